using System.Diagnostics;
using Praison.Actors.Benchmarks.Baselines;
using Praison.Actors.Benchmarks.Harness;

namespace Praison.Actors.Benchmarks.Scenarios;

/// <summary>
/// How busy the slots are kept: N tasks of <c>await Task.Delay(10 ms)</c> on 64 slots can at best finish 6,400 per
/// second; efficiency = achieved ÷ that ideal. What is lost is time a slot is held (or left idle) around the work: the
/// store writes before and after it, and the hand-over of the slot to the next task.
/// </summary>
public sealed class SlotsScenario : Scenario
{
    public override string Name => "slots";

    private const int Slots = 64;
    private static readonly TimeSpan Work = TimeSpan.FromMilliseconds(10);

    public override async Task RunAsync(ScenarioResult result, HarnessOptions o, CancellationToken ct)
    {
        var n = o.Size(2_000, 640);
        var ideal = Slots / Work.TotalSeconds;
        result.Settings = $"N = {n:N0} tasks of `await Task.Delay({Work.TotalMilliseconds:0} ms)` on MaxConcurrentTasks = {Slots}, all submitted at once " +
                          $"(at most 1024 in flight) and awaited; ideal = {Slots} ÷ {Work.TotalMilliseconds:0} ms = {ideal:N0} tasks/s; " +
                          $"efficiency = achieved ÷ ideal; raw = SemaphoreSlim({Slots}) + Task.Run of the same work (the timer's own overhead); {o.Runs} runs. " +
                          $"Where the time goes, from timestamps the work takes: first work began = after the first submission; slots running work = " +
                          $"the works' summed durations ÷ ({Slots} × the span from the first work's start to the last work's end); one work's duration = " +
                          "the delay as the work measured it; last result = after the last work ended.";
        // Where the time goes: when each work began and ended (timestamps, written by the work itself).
        var began = new long[n];
        var ended = new long[n];
        var next = -1;
        Func<TaskContext, Task<int>> work = async ctx =>
        {
            var i = Interlocked.Increment(ref next);
            if (i < n) began[i] = Stopwatch.GetTimestamp();
            await Task.Delay(Work, ctx.CancellationToken).ConfigureAwait(false);
            if (i < n) ended[i] = Stopwatch.GetTimestamp();
            return 0;
        };

        var raw = new List<double>();
        for (var run = 0; run < o.Runs; run++)
        {
            using var gate = new SemaphoreSlim(Slots);
            var sw = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, n).Select(async _ =>
            {
                await gate.WaitAsync(ct).ConfigureAwait(false);
                try { await Task.Run(() => Task.Delay(Work, ct), ct).ConfigureAwait(false); }
                finally { gate.Release(); }
            }));
            raw.Add(n / sw.Elapsed.TotalSeconds / ideal * 100);
        }

        foreach (var kind in Stores(result, o, "", StoreKind.Ephemeral, StoreKind.Sqlite, StoreKind.PostgreSql))
        {
            var name = Label(kind);
            var efficiency = result.Figure(name, "slot efficiency", "% of ideal",
                kind == StoreKind.Ephemeral ? null : new Goal("≥ 90%", f => f.Of(Side.Project)!.Median >= 90));
            var rate = result.Figure(name, "throughput", "tasks/s");
            var firstWork = result.Figure(name, "first work began (after the first submission)", "ms");
            var busy = result.Figure(name, "slots running work, from the first work's start to the last work's end", "%");
            var workTime = result.Figure(name, "one work's duration, mean", "ms");
            var tail = result.Figure(name, "last result after the last work ended", "ms");
            efficiency.Runs[Side.Raw] = raw;
            for (var run = 0; run < o.Runs; run++)
            {
                await using var store = await StoreUnderTest.CreateAsync(kind, o.PostgresConnectionString, ct);
                await using var rt = await PraisonDriver.StartAsync(store.Store, Slots, n + 1000, ct);
                await PraisonDriver.SubmitManyAsync(rt.Runner, 64, 1024, true, ct, work);
                Settle();
                next = -1;
                var start = Stopwatch.GetTimestamp();
                await PraisonDriver.SubmitManyAsync(rt.Runner, n, 1024, true, ct, work);
                var end = Stopwatch.GetTimestamp();
                var perSecond = n / Stopwatch.GetElapsedTime(start, end).TotalSeconds;
                var (first, last) = (began.Min(), ended.Max());
                var worked = Enumerable.Range(0, n).Sum(i => (double)(ended[i] - began[i]));
                firstWork.Add(Side.Project, Stopwatch.GetElapsedTime(start, first).TotalMilliseconds);
                busy.Add(Side.Project, worked / (Slots * (double)(last - first)) * 100);
                workTime.Add(Side.Project, TimeSpan.FromTicks((long)(worked / n * TimeSpan.TicksPerSecond / Stopwatch.Frequency)).TotalMilliseconds);
                tail.Add(Side.Project, Stopwatch.GetElapsedTime(last, end).TotalMilliseconds);
                rate.Add(Side.Project, perSecond);
                efficiency.Add(Side.Project, perSecond / ideal * 100);
            }
            Progress($"{name}: {Report.Num(efficiency.Of(Side.Project)!.Median)}% of ideal");
        }
    }
}
