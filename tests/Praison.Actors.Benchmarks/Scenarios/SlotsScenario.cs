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
                          $"efficiency = achieved ÷ ideal; raw = SemaphoreSlim({Slots}) + Task.Run of the same work (the timer's own overhead); {o.Runs} runs.";
        Func<TaskContext, Task<int>> work = async ctx =>
        {
            await Task.Delay(Work, ctx.CancellationToken).ConfigureAwait(false);
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
            efficiency.Runs[Side.Raw] = raw;
            for (var run = 0; run < o.Runs; run++)
            {
                await using var store = await StoreUnderTest.CreateAsync(kind, o.PostgresConnectionString, ct);
                await using var rt = await PraisonDriver.StartAsync(store.Store, Slots, n + 1000, ct);
                await PraisonDriver.SubmitManyAsync(rt.Runner, 64, 1024, true, ct, work);
                Settle();
                var start = Stopwatch.GetTimestamp();
                await PraisonDriver.SubmitManyAsync(rt.Runner, n, 1024, true, ct, work);
                var perSecond = n / Stopwatch.GetElapsedTime(start).TotalSeconds;
                rate.Add(Side.Project, perSecond);
                efficiency.Add(Side.Project, perSecond / ideal * 100);
            }
            Progress($"{name}: {Report.Num(efficiency.Of(Side.Project)!.Median)}% of ideal");
        }
    }
}
