using Praison.Actors.Benchmarks.Baselines;
using Praison.Actors.Benchmarks.Harness;

namespace Praison.Actors.Benchmarks.Scenarios;

/// <summary>A named end-to-end measurement that fills a <see cref="ScenarioResult"/>.</summary>
public abstract class Scenario
{
    public abstract string Name { get; }

    /// <summary>Opt-in scenarios run only when named with --scenario.</summary>
    public virtual bool OptIn => false;

    public abstract Task RunAsync(ScenarioResult result, HarnessOptions options, CancellationToken ct);

    /// <summary>The stores to measure: PostgreSQL only when configured; otherwise a skipped row says why.</summary>
    protected static IEnumerable<StoreKind> Stores(ScenarioResult result, HarnessOptions options, string casePrefix, params StoreKind[] kinds)
    {
        foreach (var k in kinds)
        {
            if (k == StoreKind.PostgreSql && options.PostgresConnectionString is null)
            {
                result.SkippedCases.Add(($"{Label(k)}{casePrefix}", "PRAISON_TEST_POSTGRES is not set"));
                continue;
            }
            yield return k;
        }
    }

    protected static string Label(StoreKind k) => k switch
    {
        StoreKind.Ephemeral => "ephemeral",
        StoreKind.Sqlite => "sqlite",
        StoreKind.PostgreSql => "postgresql",
        _ => k.ToString(),
    };

    /// <summary>Starts each run from a collected heap, so one run's garbage is not charged to the next.</summary>
    protected static void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    protected static void Progress(string message) => Console.Error.WriteLine($"  {DateTime.Now:HH:mm:ss} {message}");
}
