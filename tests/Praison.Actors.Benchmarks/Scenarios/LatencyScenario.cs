using System.Diagnostics;
using Hangfire;
using Praison.Actors.Benchmarks.Baselines;
using Praison.Actors.Benchmarks.Harness;

namespace Praison.Actors.Benchmarks.Scenarios;

/// <summary>
/// Single tasks, one after another, on an idle runtime. Submit-to-start: from a timestamp taken just before
/// SubmitAsync to one taken first thing inside the work. Submit-to-complete: until the awaited result arrives.
/// </summary>
public sealed class LatencyScenario : Scenario
{
    public override string Name => "latency";

    private int Warmup { get; set; } = 50;

    public override async Task RunAsync(ScenarioResult result, HarnessOptions o, CancellationToken ct)
    {
        var samples = o.Size(1_000, 50);
        Warmup = o.Size(50, 20);
        result.Settings = $"{samples} sequential single no-op tasks per run (after {Warmup} warm-up tasks), MaxConcurrentTasks = 5, {o.Runs} runs; " +
                          "p50 / p99 / max are per run, then median (min–max) over runs. Baselines: raw = Task.Run, " +
                          "Hangfire = Enqueue to the job method on an idle server (5 workers).";

        var rawStart = new List<double[]>();
        var rawDone = new List<double[]>();
        var hfStart = new List<double[]>();
        var hfDone = new List<double[]>();
        for (var run = 0; run < o.Runs; run++)
        {
            Settle();
            var (s, d) = await MeasureAsync(samples, async () =>
            {
                long started = 0;
                var t0 = Stopwatch.GetTimestamp();
                await Task.Run(() => started = Stopwatch.GetTimestamp(), ct);
                return (t0, started);
            });
            rawStart.Add(s);
            rawDone.Add(d);
        }
        await using (var hf = new HangfireBaseline(5))
        {
            await hf.WarmUpAsync(ct);
            for (var run = 0; run < o.Runs; run++)
            {
                Settle();
                var (s, d) = await MeasureAsync(samples, async () =>
                {
                    HangfireJobs.SingleDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    var t0 = Stopwatch.GetTimestamp();
                    hf.Client.Enqueue(() => HangfireJobs.Stamp());
                    await HangfireJobs.SingleDone.Task.WaitAsync(ct);
                    return (t0, HangfireJobs.StartedAt);
                });
                hfStart.Add(s);
                hfDone.Add(d);
            }
        }
        Progress("latency baselines done");

        foreach (var kind in Stores(result, o, "", StoreKind.Ephemeral, StoreKind.Sqlite, StoreKind.PostgreSql))
        {
            var name = Label(kind);
            var goal = kind switch
            {
                StoreKind.Ephemeral => new Goal("p50 ≤ 200 µs", f => f.Of(Side.Project)!.Median <= 200),
                StoreKind.Sqlite => new Goal("p50 ≤ 5,000 µs", f => f.Of(Side.Project)!.Median <= 5_000),
                _ => null,
            };
            var starts = new List<double[]>();
            var dones = new List<double[]>();
            for (var run = 0; run < o.Runs; run++)
            {
                await using var store = await StoreUnderTest.CreateAsync(kind, o.PostgresConnectionString, ct);
                await using var rt = await PraisonDriver.StartAsync(store.Store, 5, ct: ct);
                Settle();
                var (s, d) = await MeasureAsync(samples, async () =>
                {
                    long started = 0;
                    var t0 = Stopwatch.GetTimestamp();
                    var h = await rt.Runner.SubmitAsync(_ =>
                    {
                        started = Stopwatch.GetTimestamp();
                        return Task.FromResult(0);
                    }, null, ct);
                    await h.WaitAsync(null, ct);
                    return (t0, started);
                });
                starts.Add(s);
                dones.Add(d);
            }
            Add(result, name, "submit-to-start", starts, rawStart, hfStart, goal);
            Add(result, name, "submit-to-complete", dones, rawDone, hfDone, null);
            Progress($"latency {name}: submit-to-start p50 {Report.Num(result.Figure(name, "submit-to-start p50", "µs").Of(Side.Project)!.Median)} µs");
        }
    }

    /// <summary>Runs <paramref name="one"/> after the warm-ups; returns sorted submit-to-start and submit-to-complete in µs.</summary>
    private async Task<(double[] Start, double[] Done)> MeasureAsync(int samples, Func<Task<(long T0, long Started)>> one)
    {
        for (var i = 0; i < Warmup; i++) await one();
        var start = new double[samples];
        var done = new double[samples];
        for (var i = 0; i < samples; i++)
        {
            var (t0, started) = await one();
            var end = Stopwatch.GetTimestamp();
            start[i] = Stats.Microseconds(started - t0);
            done[i] = Stats.Microseconds(end - t0);
        }
        Array.Sort(start);
        Array.Sort(done);
        return (start, done);
    }

    private static void Add(ScenarioResult result, string name, string what, List<double[]> project, List<double[]> raw, List<double[]> hf, Goal? p50Goal)
    {
        foreach (var (label, pick) in new (string, Func<double[], double>)[]
                 {
                     ("p50", s => Stats.Percentile(s, 50)), ("p99", s => Stats.Percentile(s, 99)), ("max", s => s[^1]),
                 })
        {
            var f = result.Figure(name, $"{what} {label}", "µs", label == "p50" ? p50Goal : null);
            foreach (var s in project) f.Add(Side.Project, pick(s));
            foreach (var s in raw) f.Add(Side.Raw, pick(s));
            foreach (var s in hf) f.Add(Side.Hangfire, pick(s));
        }
    }
}
