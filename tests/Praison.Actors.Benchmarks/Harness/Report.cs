using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Praison.Actors.Benchmarks.Harness;

/// <summary>Prints results as Markdown and writes the same figures as JSON.</summary>
public static class Report
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Markdown(IReadOnlyList<ScenarioResult> results, string machine, string command)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"Machine: {machine}  ");
        sb.AppendLine($"Command: `{command}`  ");
        sb.AppendLine("Each cell: median (min–max) over the runs; ratio = Praison.Actors ÷ baseline, of the medians.");
        sb.AppendLine();
        sb.AppendLine("| scenario | case | metric | Praison.Actors | raw | ÷ raw | Hangfire | ÷ Hangfire | goal | |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in results)
        {
            if (r.Error is not null) { sb.AppendLine($"| {r.Name} | FAILED | {Escape(r.Error)} | | | | | | | |"); continue; }
            if (r.Skipped is not null) { sb.AppendLine($"| {r.Name} | skipped | {Escape(r.Skipped)} | | | | | | | |"); continue; }
            foreach (var f in r.Figures)
            {
                var met = f.GoalMet switch { true => "met", false => "**not met**", null => "" };
                sb.AppendLine($"| {r.Name} | {f.Case} | {f.Metric} ({f.Unit}) | {Cell(f.Of(Side.Project))} | {Cell(f.Of(Side.Raw))} | " +
                              $"{Ratio(f.Ratio(Side.Raw))} | {Cell(f.Of(Side.Hangfire))} | {Ratio(f.Ratio(Side.Hangfire))} | {f.Goal?.Text} | {met} |");
            }
            foreach (var (c, reason) in r.SkippedCases)
                sb.AppendLine($"| {r.Name} | {c} | skipped: {Escape(reason)} | | | | | | | |");
        }
        sb.AppendLine();
        foreach (var r in results)
        {
            sb.AppendLine($"- **{r.Name}** ({r.Elapsed.TotalSeconds:0.0} s): {r.Settings}");
            foreach (var n in r.Notes) sb.AppendLine($"  - {n}");
        }
        return sb.ToString();
    }

    public static void WriteJson(string path, IReadOnlyList<ScenarioResult> results, string machine, string command, bool quick)
    {
        var doc = new
        {
            machine,
            command,
            quick,
            finishedAt = DateTimeOffset.UtcNow,
            scenarios = results.Select(r => new
            {
                name = r.Name,
                settings = r.Settings,
                skipped = r.Skipped,
                error = r.Error,
                elapsedSeconds = Math.Round(r.Elapsed.TotalSeconds, 2),
                notes = r.Notes,
                skippedCases = r.SkippedCases.Select(c => new { @case = c.Case, reason = c.Reason }),
                figures = r.Figures.Select(f => new
                {
                    @case = f.Case,
                    metric = f.Metric,
                    unit = f.Unit,
                    project = Json(f, Side.Project),
                    raw = Json(f, Side.Raw),
                    hangfire = Json(f, Side.Hangfire),
                    ratioToRaw = f.Ratio(Side.Raw),
                    ratioToHangfire = f.Ratio(Side.Hangfire),
                    goal = f.Goal is null ? null : new { text = f.Goal.Text, met = f.GoalMet },
                }),
            }),
        };
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true }));
    }

    private static object? Json(Figure f, Side side) =>
        f.Of(side) is not { } s ? null : new { median = s.Median, min = s.Min, max = s.Max, runs = f.Runs[side] };

    private static string Cell(Summary? s) =>
        s is null ? "" : s.Runs == 1 ? Num(s.Median) : $"{Num(s.Median)} ({Num(s.Min)}–{Num(s.Max)})";

    private static string Ratio(double? r) => r is { } x ? $"{Num(x)}×" : "";

    /// <summary>Three significant digits, thousands separated: enough for noisy timings, easy to read.</summary>
    public static string Num(double v)
    {
        var a = Math.Abs(v);
        if (a >= 1000) return v.ToString("#,0", Inv);
        if (a >= 100) return v.ToString("0", Inv);
        if (a >= 10) return v.ToString("0.0", Inv);
        if (a >= 1) return v.ToString("0.00", Inv);
        if (a == 0) return "0";
        // Small ratios (e.g. a durable store ÷ raw) keep three significant digits instead of rounding to 0.000.
        var digits = Math.Clamp(2 - (int)Math.Floor(Math.Log10(a)), 3, 12);
        return Math.Round(v, digits).ToString("0.############", Inv);
    }

    private static string Escape(string s) => s.Replace("|", "\\|").ReplaceLineEndings(" ");
}
