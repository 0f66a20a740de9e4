namespace Praison.Actors.Benchmarks.Harness;

/// <summary>Which side of the comparison a series of runs belongs to.</summary>
public enum Side { Project, Raw, Hangfire }

/// <summary>Median, min and max of one figure over its runs.</summary>
public sealed record Summary(double Median, double Min, double Max, int Runs)
{
    public static Summary Of(IReadOnlyList<double> runs)
    {
        if (runs.Count == 0) throw new ArgumentException("A figure needs at least one run.", nameof(runs));
        var sorted = runs.Order().ToArray();
        var mid = sorted.Length / 2;
        var median = sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
        return new Summary(median, sorted[0], sorted[^1], sorted.Length);
    }
}

/// <summary>A goal from issue 6, checked against the project's median (or its ratio to a baseline).</summary>
public sealed record Goal(string Text, Func<Figure, bool?> Check);

/// <summary>
/// One measured quantity (e.g. "tasks/s" of "ephemeral c=64"): the project's runs and, where a baseline
/// exists, the baselines' runs from the same process, so ratios compare like with like.
/// </summary>
public sealed class Figure
{
    public required string Case { get; init; }
    public required string Metric { get; init; }
    public required string Unit { get; init; }
    public Dictionary<Side, List<double>> Runs { get; } = new();
    public Goal? Goal { get; init; }

    public Summary? Of(Side side) => Runs.TryGetValue(side, out var r) && r.Count > 0 ? Summary.Of(r) : null;

    /// <summary>project ÷ baseline, of the medians.</summary>
    public double? Ratio(Side baseline) =>
        Of(Side.Project) is { } p && Of(baseline) is { Median: > 0 } b ? p.Median / b.Median : null; // a baseline at or below zero is noise

    public bool? GoalMet => Goal?.Check(this);

    public void Add(Side side, double value)
    {
        if (!Runs.TryGetValue(side, out var list)) Runs[side] = list = new List<double>();
        list.Add(value);
    }
}

/// <summary>What one scenario produced: figures, or the reason it has none.</summary>
public sealed class ScenarioResult
{
    public required string Name { get; init; }
    public string Settings { get; set; } = "";
    public List<Figure> Figures { get; } = new();
    public List<string> Notes { get; } = new();

    /// <summary>Set when the scenario cannot run here (e.g. no PostgreSQL configured); not a failure.</summary>
    public string? Skipped { get; set; }

    /// <summary>Set when the scenario threw; the harness then exits non-zero.</summary>
    public string? Error { get; set; }

    /// <summary>Cases that could not run here, with the reason printed in their row (e.g. PostgreSQL not configured).</summary>
    public List<(string Case, string Reason)> SkippedCases { get; } = new();

    public TimeSpan Elapsed { get; set; }

    public Figure Figure(string @case, string metric, string unit, Goal? goal = null)
    {
        var f = Figures.FirstOrDefault(x => x.Case == @case && x.Metric == metric);
        if (f is null) Figures.Add(f = new Figure { Case = @case, Metric = metric, Unit = unit, Goal = goal });
        return f;
    }
}
