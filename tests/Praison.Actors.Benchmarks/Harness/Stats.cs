namespace Praison.Actors.Benchmarks.Harness;

public static class Stats
{
    /// <summary>Nearest-rank percentile of <paramref name="sorted"/> (ascending).</summary>
    public static double Percentile(double[] sorted, double p)
    {
        if (sorted.Length == 0) throw new ArgumentException("No samples.", nameof(sorted));
        var rank = (int)Math.Ceiling(p / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    public static double Microseconds(long stopwatchTicks) => stopwatchTicks * 1_000_000.0 / System.Diagnostics.Stopwatch.Frequency;
}
