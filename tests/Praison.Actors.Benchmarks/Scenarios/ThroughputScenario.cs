using System.Diagnostics;
using Praison.Actors.Benchmarks.Baselines;
using Praison.Actors.Benchmarks.Harness;

namespace Praison.Actors.Benchmarks.Scenarios;

/// <summary>
/// N no-op tasks submitted (a bounded window of submissions in flight) and awaited, at concurrency 5 and 64,
/// against raw SemaphoreSlim + Task.Run and Hangfire.InMemory at the same concurrency.
/// </summary>
public sealed class ThroughputScenario : Scenario
{
    public override string Name => "throughput";

    private const int Window = 1024;

    public override async Task RunAsync(ScenarioResult result, HarnessOptions o, CancellationToken ct)
    {
        var n = o.Size(100_000, 2_000);
        // Durable stores run at a few thousand tasks/s: 100k would take about a minute per run, so they get 20k
        // (the rate is flat past a few thousand), and in --quick 1,000 so the whole harness stays under a minute.
        var nDurable = o.Size(20_000, 1_000);
        // Hangfire on a durable store runs at tens to hundreds of jobs/s: 500 jobs, one run, and none in --quick (it
        // alone would take the quick harness's whole minute).
        var nHangfire = 500;
        int[] concurrencies = [5, 64];
        result.Settings = $"N = {n:N0} no-op tasks (durable stores: {nDurable:N0}{(o.Quick ? ", at c=64 only" : "")}), each submitted and its result awaited; " +
                          $"at most {Window} submissions in flight; MaxConcurrentTasks = concurrency, MaxQueued = N + 1000, other options default " +
                          $"(cleanup delay 3600 s, so finished tasks stay in memory); {o.Runs} runs per figure, each on a new runtime and an empty store after a warm-up of 200 tasks (durable: {o.Size(50, 20)}). " +
                          "Baselines: raw = SemaphoreSlim + Task.Run (in memory, beside every store for scale); Hangfire = Hangfire.Core with " +
                          "WorkerCount = concurrency on the same kind of store: Hangfire.InMemory beside ephemeral, Hangfire.Storage.SQLite 0.4.3 " +
                          $"beside sqlite, Hangfire.PostgreSql 1.21.1 (same server) beside postgresql, durable ones with QueuePollInterval = " +
                          $"{HangfireBaseline.QueuePollInterval.TotalMilliseconds:0} ms, one run of {nHangfire:N0} jobs after a warm-up of 50" +
                          (o.Quick ? " (not run in --quick)." : ".");

        foreach (var c in concurrencies)
        {
            var raw = new List<double>();
            var hangfire = new List<double>();
            for (var run = 0; run < o.Runs; run++)
            {
                Settle();
                var sw = Stopwatch.StartNew();
                await RawBaseline.RunAsync(n, c, ct);
                raw.Add(n / sw.Elapsed.TotalSeconds);
            }
            Progress($"raw c={c}: {Report.Num(Summary.Of(raw).Median)} tasks/s");
            for (var run = 0; run < o.Runs; run++) hangfire.Add(await HangfireRunAsync(StoreKind.Ephemeral, c, n, o, ct));
            Progress($"hangfire in-memory c={c}: {Report.Num(Summary.Of(hangfire).Median)} tasks/s");

            // --quick measures durable stores at c=64 only: at c=5 they take seconds per run even with 100 tasks.
            StoreKind[] kinds = o.Quick && c != 64 ? [StoreKind.Ephemeral] : [StoreKind.Ephemeral, StoreKind.Sqlite, StoreKind.PostgreSql];
            foreach (var kind in Stores(result, o, $" c={c}", kinds))
            {
                var count = kind == StoreKind.Ephemeral ? n : nDurable;
                var name = $"{Label(kind)} c={c}";
                var tasksPerSec = result.Figure(name, "throughput", "tasks/s", GoalFor(kind, c));
                var acceptedPerSec = result.Figure(name, "submissions accepted", "tasks/s");
                var allocated = result.Figure(name, "allocated", "KB/task");
                var gen2 = result.Figure(name, "gen2 GCs", "per run");
                // CPU time over wall time: near the core count means CPU-bound; far below it means waiting (locks, sleeps, I/O).
                var cpu = result.Figure(name, "process CPU", "cores busy");
                tasksPerSec.Runs[Side.Raw] = raw;
                if (kind == StoreKind.Ephemeral) tasksPerSec.Runs[Side.Hangfire] = hangfire;
                else if (!o.Quick)
                {
                    // A baseline that fails leaves its cell empty with the reason in the notes; it never fails our figures.
                    try
                    {
                        tasksPerSec.Add(Side.Hangfire, await HangfireRunAsync(kind, c, nHangfire, o, ct));
                        Progress($"hangfire {Label(kind)} c={c}: {Report.Num(tasksPerSec.Of(Side.Hangfire)!.Median)} tasks/s");
                    }
                    catch (Exception ex) when (!ct.IsCancellationRequested)
                    {
                        var reason = (ex.InnerException ?? ex).Message;
                        result.Notes.Add($"Hangfire on {Label(kind)} c={c} failed: {ex.GetType().Name}: {reason}");
                        Progress($"hangfire {Label(kind)} c={c} failed: {reason}");
                    }
                }
                for (var run = 0; run < o.Runs; run++)
                {
                    await using var store = await StoreUnderTest.CreateAsync(kind, o.PostgresConnectionString, ct);
                    await using var rt = await PraisonDriver.StartAsync(store.Store, c, count + 1000, ct);
                    await PraisonDriver.SubmitManyAsync(rt.Runner, kind == StoreKind.Ephemeral ? 200 : o.Size(50, 20), Window, true, ct);
                    Settle();
                    var alloc0 = GC.GetTotalAllocatedBytes(precise: true);
                    var gen2Before = GC.CollectionCount(2);
                    var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
                    var start = Stopwatch.GetTimestamp();
                    var lastAccepted = await PraisonDriver.SubmitManyAsync(rt.Runner, count, Window, true, ct);
                    var elapsed = Stopwatch.GetElapsedTime(start);
                    tasksPerSec.Add(Side.Project, count / elapsed.TotalSeconds);
                    acceptedPerSec.Add(Side.Project, count / Stopwatch.GetElapsedTime(start, lastAccepted).TotalSeconds);
                    allocated.Add(Side.Project, (GC.GetTotalAllocatedBytes(precise: true) - alloc0) / 1024.0 / count);
                    gen2.Add(Side.Project, GC.CollectionCount(2) - gen2Before);
                    cpu.Add(Side.Project, (Process.GetCurrentProcess().TotalProcessorTime - cpu0) / elapsed);
                }
                Progress($"{name}: {Report.Num(tasksPerSec.Of(Side.Project)!.Median)} tasks/s");
            }
        }
    }

    /// <summary>One Hangfire run on a fresh storage of <paramref name="kind"/>: jobs per second, enqueue to the last completion.</summary>
    private static async Task<double> HangfireRunAsync(StoreKind kind, int workers, int count, HarnessOptions o, CancellationToken ct)
    {
        await using var hf = await HangfireBaseline.CreateAsync(kind, workers, o.PostgresConnectionString, ct);
        await hf.WarmUpAsync(ct);
        Settle();
        var sw = Stopwatch.StartNew();
        await hf.RunAsync(count, ct);
        return count / sw.Elapsed.TotalSeconds;
    }

    private static Goal? GoalFor(StoreKind kind, int concurrency) => (kind, concurrency) switch
    {
        (StoreKind.Ephemeral, 64) => new Goal("≥ 50,000/s and ≥ 10× Hangfire",
            f => f.Of(Side.Project)!.Median >= 50_000 && f.Ratio(Side.Hangfire) >= 10),
        (StoreKind.Sqlite, 64) => new Goal("≥ 5,000/s", f => f.Of(Side.Project)!.Median >= 5_000),
        (StoreKind.PostgreSql, 64) => new Goal("≥ 10,000/s", f => f.Of(Side.Project)!.Median >= 10_000),
        _ => null,
    };
}
