namespace Praison.Actors.Benchmarks.Harness;

/// <summary>Command line: <c>[--quick] [--scenario NAME] [--json PATH] [--runs N]</c>.</summary>
public sealed class HarnessOptions
{
    public bool Quick { get; private init; }
    public string? Scenario { get; private init; }
    public string? JsonPath { get; private init; }
    public int? RunsOverride { get; private init; }


    /// <summary>--recovery-sizes 10000[,100000]: how many stored tasks the recovery scenario restarts with.</summary>
    public int[]? RecoverySizes { get; private init; }

    /// <summary>--reads-sizes 1000000,100000: stored tasks and pending tasks of the reads scenario.</summary>
    public int[]? ReadsSizes { get; private init; }

    /// <summary>PRAISON_TEST_POSTGRES, as the integration tests use it; null skips the PostgreSQL cases.</summary>
    public string? PostgresConnectionString { get; } = Environment.GetEnvironmentVariable("PRAISON_TEST_POSTGRES") is { Length: > 0 } cs ? cs : null;

    /// <summary>Runs per figure: the median needs at least three.</summary>
    public int Runs => RunsOverride ?? 3;

    /// <summary>Picks the full size or the --quick size of a parameter.</summary>
    public int Size(int full, int quick) => Quick ? quick : full;

    /// <summary>Every run must end within this, or the scenario fails instead of hanging CI.</summary>
    public TimeSpan RunTimeout => Quick ? TimeSpan.FromSeconds(60) : TimeSpan.FromMinutes(60);

    public static HarnessOptions Parse(string[] args)
    {
        var quick = false;
        string? scenario = null, json = null;
        int? runs = null;
        int[]? recoverySizes = null, readsSizes = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick": quick = true; break;
                case "--recovery-sizes":
                    recoverySizes = Value(args, ref i).Split(',').Select(v => int.TryParse(v, out var n) && n > 0
                        ? n : throw new ArgumentException("--recovery-sizes needs positive numbers, e.g. 10000,100000.")).ToArray();
                    break;
                case "--reads-sizes":
                    readsSizes = Value(args, ref i).Split(',').Select(v => int.TryParse(v, out var n) && n > 0
                        ? n : throw new ArgumentException("--reads-sizes needs two positive numbers, e.g. 1000000,100000.")).ToArray();
                    if (readsSizes.Length != 2) throw new ArgumentException("--reads-sizes needs two positive numbers, e.g. 1000000,100000.");
                    break;
                case "--scenario": scenario = Value(args, ref i); break;
                case "--json": json = Value(args, ref i); break;
                case "--runs":
                    runs = int.TryParse(Value(args, ref i), out var r) && r > 0 ? r : throw new ArgumentException("--runs needs a positive number.");
                    break;
                case "-h" or "--help":
                    throw new ArgumentException("");
                default: throw new ArgumentException($"Unknown argument '{args[i]}'.");
            }
        }
        return new HarnessOptions { Quick = quick, Scenario = scenario, JsonPath = json, RunsOverride = runs, RecoverySizes = recoverySizes, ReadsSizes = readsSizes };
    }

    private static string Value(string[] args, ref int i) =>
        ++i < args.Length ? args[i] : throw new ArgumentException($"{args[i - 1]} needs a value.");

    public const string Usage =
        "usage: dotnet run -c Release --project tests/Praison.Actors.Benchmarks -- [--quick] [--scenario NAME] [--json PATH] [--runs N] [--recovery-sizes N,M] [--reads-sizes STORED,PENDING]";
}
