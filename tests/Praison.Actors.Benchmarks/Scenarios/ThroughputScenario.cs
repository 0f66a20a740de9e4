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
                          (o.Quick ? " (not run in --quick)." : ".") +
                          " PostgreSQL c=64 also has the COPY limit of each run: the journal and task rows that run stored, read back and written " +
                          $"into an empty store of the same schema by binary COPY ({StoredRows.BatchEvents} journal rows and their tasks' rows per " +
                          "transaction, one at a time), and ours ÷ COPY; SQLite c=64 the INSERT limit of each run: the same, into an empty SQLite store " +
                          "(same schema, indexes and pragmas) by prepared INSERTs on one connection, as many rows per transaction (SQLite has no COPY). Server CPU time: on-CPU time of the database's backends (/proc/PID/schedstat) " +
                          "per task, which moves far less with other load on the machine than the rates do.";

        // THROUGHPUT_ONLY=text: only the cases whose name contains it (e.g. "postgresql c=64"), without the in-memory
        // baselines; for comparing one store before and after a change.
        var only = Environment.GetEnvironmentVariable("THROUGHPUT_ONLY") is { Length: > 0 } filter ? filter : null;
        foreach (var c in concurrencies)
        {
            var raw = new List<double>();
            var hangfire = new List<double>();
            for (var run = 0; run < (only is null ? o.Runs : 0); run++)
            {
                Settle();
                var sw = Stopwatch.StartNew();
                await RawBaseline.RunAsync(n, c, ct);
                raw.Add(n / sw.Elapsed.TotalSeconds);
            }
            if (only is null)
            {
                Progress($"raw c={c}: {Report.Num(Summary.Of(raw).Median)} tasks/s");
                for (var run = 0; run < o.Runs; run++) hangfire.Add(await HangfireRunAsync(StoreKind.Ephemeral, c, n, o, ct));
                Progress($"hangfire in-memory c={c}: {Report.Num(Summary.Of(hangfire).Median)} tasks/s");
            }

            // --quick measures durable stores at c=64 only: at c=5 they take seconds per run even with 100 tasks.
            StoreKind[] kinds = o.Quick && c != 64 ? [StoreKind.Ephemeral] : [StoreKind.Ephemeral, StoreKind.Sqlite, StoreKind.PostgreSql];
            foreach (var kind in Stores(result, o, $" c={c}", kinds))
            {
                var count = kind == StoreKind.Ephemeral ? n : nDurable;
                var name = $"{Label(kind)} c={c}";
                if (only is not null && !name.Contains(only, StringComparison.Ordinal)) continue;
                var tasksPerSec = result.Figure(name, "throughput", "tasks/s", GoalFor(kind, c));
                var acceptedPerSec = result.Figure(name, "submissions accepted", "tasks/s");
                var allocated = result.Figure(name, "allocated", "KB/task");
                var gen2 = result.Figure(name, "gen2 GCs", "per run");
                // Time every thread stood still for the collector: the part of the run no work could use.
                var gcPause = result.Figure(name, "GC pauses", "% of the run");
                // CPU time over wall time: near the core count means CPU-bound; far below it means waiting (locks, sleeps, I/O).
                var cpu = result.Figure(name, "process CPU", "cores busy");
                tasksPerSec.Runs[Side.Raw] = raw;
                if (kind == StoreKind.Ephemeral) tasksPerSec.Runs[Side.Hangfire] = hangfire;
                else if (!o.Quick && only is null)
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
                var warmUp = kind == StoreKind.Ephemeral ? 200 : o.Size(50, 20);
                for (var run = 0; run < o.Runs; run++)
                {
                    await using var store = await StoreUnderTest.CreateAsync(kind, o.PostgresConnectionString, ct);
                    await using var rt = await PraisonDriver.StartAsync(store.Store, c, count + 1000, ct);
                    await PraisonDriver.SubmitManyAsync(rt.Runner, warmUp, Window, true, ct);
                    Settle();
                    var pg = store.Store is TaskStore.PostgreSqlStore p ? p.ConnectionString : null;
                    var server = pg is null ? null : await PostgresServerCpu.StartAsync(pg, ct);
                    var alloc0 = GC.GetTotalAllocatedBytes(precise: true);
                    var gen2Before = GC.CollectionCount(2);
                    var pause0 = GC.GetTotalPauseDuration();
                    var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
                    var start = Stopwatch.GetTimestamp();
                    var lastAccepted = await PraisonDriver.SubmitManyAsync(rt.Runner, count, Window, true, ct);
                    var elapsed = Stopwatch.GetElapsedTime(start);
                    var processCpu = Process.GetCurrentProcess().TotalProcessorTime - cpu0;
                    tasksPerSec.Add(Side.Project, count / elapsed.TotalSeconds);
                    acceptedPerSec.Add(Side.Project, count / Stopwatch.GetElapsedTime(start, lastAccepted).TotalSeconds);
                    allocated.Add(Side.Project, (GC.GetTotalAllocatedBytes(precise: true) - alloc0) / 1024.0 / count);
                    gen2.Add(Side.Project, GC.CollectionCount(2) - gen2Before);
                    gcPause.Add(Side.Project, 100 * (GC.GetTotalPauseDuration() - pause0) / elapsed);
                    cpu.Add(Side.Project, processCpu / elapsed);
                    if (kind != StoreKind.Ephemeral)
                        result.Figure(name, "process CPU time", "µs per task").Add(Side.Project, processCpu.TotalMicroseconds / count);
                    if (server is not null && await server.ElapsedSecondsAsync(ct) is { } serverSeconds)
                        result.Figure(name, "server CPU time", "µs per task").Add(Side.Project, serverSeconds * 1e6 / count);
                    // The limit beside it, in the same run: the rows this run stored, COPYed into an empty store (c=64, the goal's).
                    if (pg is not null && c == 64) await CopyRunAsync(result, name, o, warmUp, pg, count, count / elapsed.TotalSeconds, ct);
                    if (store.Store is TaskStore.SqliteStore sqlite && c == 64)
                        await InsertRunAsync(result, name, warmUp, sqlite.JournalPath, count, count / elapsed.TotalSeconds, ct);
                }
                Progress($"{name}: {Report.Num(tasksPerSec.Of(Side.Project)!.Median)} tasks/s");
                if (result.Figures.FirstOrDefault(f => f.Case == name && f.Metric is "COPY of the same rows, tasks" or "INSERT of the same rows, tasks") is { } limit)
                    Progress($"{name} {limit.Metric}: {Report.Num(limit.Of(Side.Project)!.Median)} tasks/s");
            }
        }
    }

    /// <summary>
    /// The COPY baseline of one run (<see cref="CopyBaseline"/>): the rows our run stored, read back, written into a fresh
    /// store (schema made by a runtime that ran the same warm-up, then stopped) by binary COPY; events/s, tasks/s, the
    /// server's CPU per task, and our tasks/s ÷ COPY's. Tasks counted are those COPYed (the run's and the warm-up's).
    /// </summary>
    private static async Task CopyRunAsync(ScenarioResult result, string name, HarnessOptions o, int warmUp, string ours, int count,
        double ourTasksPerSec, CancellationToken ct)
    {
        var rows = await CopyBaseline.ReadAsync(ours, ct);
        await using var target = await StoreUnderTest.CreateAsync(StoreKind.PostgreSql, o.PostgresConnectionString, ct);
        await using (var rt = await PraisonDriver.StartAsync(target.Store, 64, count + 1000, ct))
            await PraisonDriver.SubmitManyAsync(rt.Runner, warmUp, Window, true, ct);
        // The warm-up's own tasks are in the target already: COPY the others (ids differ between the two stores).
        await using (var connection = new Npgsql.NpgsqlConnection(((TaskStore.PostgreSqlStore)target.Store).ConnectionString))
        {
            await connection.OpenAsync(ct);
            await using var clear = new Npgsql.NpgsqlCommand("DELETE FROM journal WHERE persistence_id LIKE 'task-%'; DELETE FROM praison_tasks", connection);
            await clear.ExecuteNonQueryAsync(ct);
        }
        Settle();
        var (elapsed, serverSeconds) = await CopyBaseline.RunAsync(rows, ((TaskStore.PostgreSqlStore)target.Store).ConnectionString, ct);
        var tasksPerSec = rows.Tasks.Count / elapsed.TotalSeconds;
        result.Figure(name, "COPY of the same rows, events", "events/s").Add(Side.Project, rows.Journal.Count / elapsed.TotalSeconds);
        result.Figure(name, "COPY of the same rows, tasks", "tasks/s").Add(Side.Project, tasksPerSec);
        if (serverSeconds is { } s) result.Figure(name, "COPY server CPU time", "µs per task").Add(Side.Project, s * 1e6 / rows.Tasks.Count);
        result.Figure(name, "ours ÷ COPY", "tasks/s ratio", new Goal("≥ 0.40", f => f.Of(Side.Project)!.Median >= 0.40))
            .Add(Side.Project, ourTasksPerSec / tasksPerSec);
    }

    /// <summary>
    /// The SQLite limit of one run (<see cref="SqliteInsertBaseline"/>): the rows our run stored, read back, inserted
    /// into a fresh store (schema made by a runtime that ran the same warm-up, then stopped) by prepared INSERTs; tasks/s,
    /// this process's CPU per task, and our tasks/s ÷ the insert's. Tasks counted are those inserted (the run's and the warm-up's).
    /// </summary>
    private static async Task InsertRunAsync(ScenarioResult result, string name, int warmUp, string ours, int count,
        double ourTasksPerSec, CancellationToken ct)
    {
        var rows = await SqliteInsertBaseline.ReadAsync(ours, ct);
        await using var target = await StoreUnderTest.CreateAsync(StoreKind.Sqlite, null, ct);
        await using (var rt = await PraisonDriver.StartAsync(target.Store, 64, count + 1000, ct))
            await PraisonDriver.SubmitManyAsync(rt.Runner, warmUp, Window, true, ct);
        var path = ((TaskStore.SqliteStore)target.Store).JournalPath;
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path}"))
        {
            await connection.OpenAsync(ct);
            await using var clear = new Microsoft.Data.Sqlite.SqliteCommand("DELETE FROM journal WHERE persistence_id LIKE 'task-%'; DELETE FROM praison_tasks", connection);
            await clear.ExecuteNonQueryAsync(ct);
        }
        Settle();
        var (elapsed, cpu) = await SqliteInsertBaseline.RunAsync(rows, path, ct);
        var tasksPerSec = rows.Tasks.Count / elapsed.TotalSeconds;
        result.Figure(name, "INSERT of the same rows, tasks", "tasks/s").Add(Side.Project, tasksPerSec);
        result.Figure(name, "INSERT process CPU time", "µs per task").Add(Side.Project, cpu.TotalMicroseconds / rows.Tasks.Count);
        result.Figure(name, "ours ÷ INSERT", "tasks/s ratio").Add(Side.Project, ourTasksPerSec / tasksPerSec);
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
        (StoreKind.Sqlite, 64) => new Goal("≥ 15,000/s", f => f.Of(Side.Project)!.Median >= 15_000),
        (StoreKind.PostgreSql, 64) => new Goal("≥ 15,000/s (and ≥ 40% of COPY: the ÷ COPY row)", f => f.Of(Side.Project)!.Median >= 15_000),
        _ => null,
    };
}
