using Hangfire;
using Praison.Actors.Benchmarks.Baselines;
using Praison.Actors.Benchmarks.Harness;

namespace Praison.Actors.Benchmarks.Scenarios;

/// <summary>
/// Bytes per pending task (N queued behind one blocked task at concurrency 1) and per finished task the
/// runtime still retains (cleanup delay not yet passed), from GC.GetTotalMemory(true) deltas after a full
/// compacting collection, and from process RSS (VmRSS) deltas.
/// </summary>
public sealed class MemoryScenario : Scenario
{
    public override string Name => "memory";

    public override async Task RunAsync(ScenarioResult result, HarnessOptions o, CancellationToken ct)
    {
        var n = o.Size(100_000, 1_000);
        // SQLite accepts a few hundred submissions/s or less in this build; 2k keeps a full run within minutes.
        var nDurable = o.Size(2_000, 100);
        result.Settings = $"N = {n:N0} pending tasks (SQLite: {nDurable:N0}): MaxConcurrentTasks = 1 with the first task blocked, MaxQueued = N + 1000; " +
                          "then the gate opens and all N finish, kept for the default cleanup delay (3600 s). Bytes = (heap after − heap before) ÷ N, " +
                          $"heap from GC.GetTotalMemory(true) after a compacting full GC; RSS from /proc/self/status VmRSS. {o.Runs} runs. " +
                          "Baselines: raw = N Task.Run closures waiting on one SemaphoreSlim, retained = their completed Task<int>s; " +
                          "Hangfire.InMemory with 1 worker blocked, retained = succeeded jobs before expiry.";
        result.Notes.Add("Pending tasks are records in memory on both stores; finished ones stay in memory on the ephemeral store (no table to read them from) and leave it on SQLite, where the task table answers for them.");
        result.Notes.Add("RSS deltas are only indicative: the GC grows and returns heap segments in steps of megabytes, " +
                         "so with a few thousand tasks (SQLite) they are noise; the heap figures are the measurement.");

        for (var run = 0; run < o.Runs; run++)
        {
            var (pending, finished, pendingRss, finishedRss) = await RawAsync(n, ct);
            foreach (var kind in new[] { StoreKind.Ephemeral, StoreKind.Sqlite })
            {
                Record(result, Label(kind), Side.Raw, pending, finished, pendingRss, finishedRss);
            }
        }
        Progress("memory raw done");
        for (var run = 0; run < o.Runs; run++)
        {
            var (pending, finished, pendingRss, finishedRss) = await HangfireAsync(n, ct);
            foreach (var kind in new[] { StoreKind.Ephemeral, StoreKind.Sqlite })
                Record(result, Label(kind), Side.Hangfire, pending, finished, pendingRss, finishedRss);
        }
        Progress("memory hangfire done");

        foreach (var kind in new[] { StoreKind.Ephemeral, StoreKind.Sqlite })
        {
            var count = kind == StoreKind.Ephemeral ? n : nDurable;
            for (var run = 0; run < o.Runs; run++)
            {
                var (pending, finished, pendingRss, finishedRss) = await PraisonAsync(kind, count, o, ct);
                Record(result, Label(kind), Side.Project, pending, finished, pendingRss, finishedRss);
            }
            Progress($"memory {Label(kind)}: {Report.Num(result.Figure(Label(kind), "pending task", "bytes").Of(Side.Project)!.Median)} bytes/pending task");
        }
    }

    private static void Record(ScenarioResult result, string name, Side side, double pending, double finished, double pendingRss, double finishedRss)
    {
        result.Figure(name, "pending task", "bytes", new Goal("≤ 2,048 B", f => f.Of(Side.Project)!.Median <= 2048)).Add(side, pending);
        result.Figure(name, "finished task retained", "bytes", new Goal("≤ 1,024 B", f => f.Of(Side.Project)!.Median <= 1024)).Add(side, finished);
        result.Figure(name, "pending task, RSS", "bytes").Add(side, pendingRss);
        result.Figure(name, "finished task retained, RSS", "bytes").Add(side, finishedRss);
    }

    private static async Task<(double, double, double, double)> PraisonAsync(StoreKind kind, int n, HarnessOptions o, CancellationToken ct)
    {
        await using var store = await StoreUnderTest.CreateAsync(kind, o.PostgresConnectionString, ct);
        await using var rt = await PraisonDriver.StartAsync(store.Store, 1, n + 1000, ct);
        await PraisonDriver.SubmitManyAsync(rt.Runner, 200, 256, true, ct);

        // One task holds the only slot, so everything submitted after it stays pending.
        var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var blocking = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await rt.Runner.SubmitAsync(_ =>
        {
            blocking.TrySetResult();
            return gate.Task;
        }, null, ct);
        await blocking.Task.WaitAsync(ct);

        var heap0 = Machine.RetainedBytes();
        var rss0 = Machine.ResidentBytes() ?? 0;
        await PraisonDriver.SubmitManyAsync(rt.Runner, n, 1024, false, ct);
        // Submitted after every one of the N was accepted, so it is queued behind them: when it ends, all have.
        var sentinel = await rt.Runner.SubmitAsync(PraisonDriver.Noop, null, ct);
        var heapPending = Machine.RetainedBytes();
        var rssPending = Machine.ResidentBytes() ?? 0;

        gate.SetResult(0);
        await sentinel.WaitAsync(null, ct);
        var heapFinished = Machine.RetainedBytes();
        var rssFinished = Machine.ResidentBytes() ?? 0;
        return ((heapPending - heap0) / (double)n, (heapFinished - heap0) / (double)n,
            (rssPending - rss0) / (double)n, (rssFinished - rss0) / (double)n);
    }

    private static async Task<(double, double, double, double)> RawAsync(int n, CancellationToken ct)
    {
        var tasks = new Task<int>[n];
        using var slot = new SemaphoreSlim(0);
        var waiting = 0;
        var heap0 = Machine.RetainedBytes();
        var rss0 = Machine.ResidentBytes() ?? 0;
        for (var i = 0; i < n; i++)
        {
            tasks[i] = Task.Run(async () =>
            {
                Interlocked.Increment(ref waiting);
                await slot.WaitAsync(ct);
                slot.Release();
                return 0;
            }, ct);
        }
        while (Volatile.Read(ref waiting) < n) await Task.Delay(5, ct);
        var heapPending = Machine.RetainedBytes();
        var rssPending = Machine.ResidentBytes() ?? 0;
        slot.Release();
        await Task.WhenAll(tasks);
        var heapFinished = Machine.RetainedBytes();
        var rssFinished = Machine.ResidentBytes() ?? 0;
        GC.KeepAlive(tasks);
        return ((heapPending - heap0) / (double)n, (heapFinished - heap0) / (double)n,
            (rssPending - rss0) / (double)n, (rssFinished - rss0) / (double)n);
    }

    private static async Task<(double, double, double, double)> HangfireAsync(int n, CancellationToken ct)
    {
        await using var hf = new HangfireBaseline(1);
        await hf.WarmUpAsync(ct);
        HangfireJobs.CloseGate();
        hf.Client.Enqueue(() => HangfireJobs.Block());
        await HangfireJobs.BlockStarted!.Task.WaitAsync(ct);
        var done = HangfireJobs.Expect(n);
        var heap0 = Machine.RetainedBytes();
        var rss0 = Machine.ResidentBytes() ?? 0;
        for (var i = 0; i < n; i++) hf.Client.Enqueue(() => HangfireJobs.Noop());
        var heapPending = Machine.RetainedBytes();
        var rssPending = Machine.ResidentBytes() ?? 0;
        HangfireJobs.OpenGate();
        await done.WaitAsync(ct);
        var heapFinished = Machine.RetainedBytes();
        var rssFinished = Machine.ResidentBytes() ?? 0;
        return ((heapPending - heap0) / (double)n, (heapFinished - heap0) / (double)n,
            (rssPending - rss0) / (double)n, (rssFinished - rss0) / (double)n);
    }
}
