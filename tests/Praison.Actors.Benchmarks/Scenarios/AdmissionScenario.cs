using System.Diagnostics;
using Praison.Actors.Benchmarks.Baselines;
using Praison.Actors.Benchmarks.Harness;
using Praison.Actors.Persistence;

namespace Praison.Actors.Benchmarks.Scenarios;

/// <summary>
/// Admission when the queue backs up behind a recipe's own cap: N submissions of one recipe with
/// <c>max_concurrent: 1</c> whose work blocks until released, so one runs and the rest queue; the figure is the
/// time until every submission is accepted. The same N of a recipe without a cap (64 run, the rest queue)
/// shows what admission costs when only the global limit holds tasks back.
/// </summary>
public sealed class AdmissionScenario : Scenario
{
    public override string Name => "admission";

    private const int Window = 1024;
    private const int Concurrency = 64;

    public override async Task RunAsync(ScenarioResult result, HarnessOptions o, CancellationToken ct)
    {
        var n = o.Size(100_000, 10_000);
        result.Settings = $"N = {n:N0} submissions of one recipe (RunBackgroundAsync), ephemeral store, MaxConcurrentTasks = {Concurrency}, " +
                          $"MaxQueued = N + 1000, at most {Window} submissions in flight; the recipe's work blocks until the run ends, so the queue fills. " +
                          $"Time from the first submission until the last is accepted; {o.Runs} runs per figure, each on a new runtime after a warm-up of 200 submissions, " +
                          "after one untimed run of the same size (so the figures are of code the JIT has finished tiering, as in a host that has been up a while).";
        // The process's first run of this path compiles it (tier 0, then instrumented and optimised tiers): measured once,
        // it was ~1.5 s against ~0.9–1.0 s for every later run on the same machine, which would make a 3-run median a JIT figure.
        await RunOnce(n, 1, ct);
        foreach (var (name, cap, goal) in new (string, int?, Goal?)[]
                 {
                     ("max_concurrent=1", 1, new Goal("≤ 1 s", f => f.Of(Side.Project)!.Median <= 1)),
                     ("no cap", null, null),
                 })
        {
            var @case = $"ephemeral {name}";
            var seconds = result.Figure(@case, "all accepted", "s", goal);
            var rate = result.Figure(@case, "submissions accepted", "tasks/s");
            var cpu = result.Figure(@case, "process CPU", "cores busy");
            // CPU time per submission depends far less than wall time on what else the machine runs.
            var cpuPerTask = result.Figure(@case, "process CPU time", "µs per task");
            // Every queued task stays in memory: what a submission allocates, and the GC pauses of promoting the queue.
            var allocated = result.Figure(@case, "allocated", "KB/task");
            var gcPause = result.Figure(@case, "GC pauses", "s");
            // Full (gen2) collections mark every queued task: the ones a submission burst should not cause.
            var gen2 = result.Figure(@case, "gen2 collections", "count");
            for (var run = 0; run < o.Runs; run++)
            {
                var (elapsed, cpuTime, bytes, pause, fullGcs) = await RunOnce(n, cap, ct);
                seconds.Add(Side.Project, elapsed.TotalSeconds);
                rate.Add(Side.Project, n / elapsed.TotalSeconds);
                cpu.Add(Side.Project, cpuTime / elapsed);
                cpuPerTask.Add(Side.Project, cpuTime.TotalMicroseconds / n);
                allocated.Add(Side.Project, bytes / 1024.0 / n);
                gcPause.Add(Side.Project, pause.TotalSeconds);
                gen2.Add(Side.Project, fullGcs);
            }
            Progress($"{@case}: {Report.Num(seconds.Of(Side.Project)!.Median)} s for {n:N0}");
        }
    }

    private static async Task<(TimeSpan Elapsed, TimeSpan Cpu, long Allocated, TimeSpan GcPause, int Gen2)> RunOnce(int n, int? cap, CancellationToken ct)
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var recipes = new RecipeRegistry().Register(
            cap is { } c ? $"name: held\nruntime:\n  background:\n    max_concurrent: {c}\n" : "name: held\n",
            async _ => { await release.Task.ConfigureAwait(false); return null; });
        try
        {
            await using var rt = await PraisonDriver.StartAsync(TaskStore.Ephemeral, Concurrency, n + 1000, ct, recipes);
            await SubmitAsync(rt.Runner, 200, ct);
            Settle();
            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            var alloc0 = GC.GetTotalAllocatedBytes();
            var pause0 = GC.GetTotalPauseDuration();
            var gen20 = GC.CollectionCount(2);
            var start = Stopwatch.GetTimestamp();
            await SubmitAsync(rt.Runner, n, ct);
            var elapsed = Stopwatch.GetElapsedTime(start);
            var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu0;
            var (allocated, gcPause, gen2) = (GC.GetTotalAllocatedBytes() - alloc0, GC.GetTotalPauseDuration() - pause0, GC.CollectionCount(2) - gen20);
            // The figure means something only if the queue did fill: the cap (or the global limit) holds all the rest.
            var running = (await rt.Runner.ListAsync(new TaskQuery(BackgroundTaskStatus.Running), ct)).Count;
            if (running != (cap ?? Concurrency))
                throw new InvalidOperationException($"{running} runs were running after the submissions, expected {cap ?? Concurrency}.");
            return (elapsed, cpu, allocated, gcPause, gen2);
        }
        finally
        {
            // The queued tasks never run: the runtime stops with them in its in-memory queue; this lets the held runs return.
            release.TrySetResult();
        }
    }

    /// <summary>Submits <paramref name="count"/> runs of the recipe, at most <see cref="Window"/> in flight, and returns when all are accepted.</summary>
    private static async Task SubmitAsync(BackgroundRunner runner, int count, CancellationToken ct)
    {
        using var inFlight = new SemaphoreSlim(Window);
        var all = new Task[count];
        for (var i = 0; i < count; i++)
        {
            await inFlight.WaitAsync(ct).ConfigureAwait(false);
            all[i] = One();
        }
        await Task.WhenAll(all).ConfigureAwait(false);

        async Task One()
        {
            try { await runner.RunBackgroundAsync("held", null, ct).ConfigureAwait(false); }
            finally { inFlight.Release(); }
        }
    }
}
