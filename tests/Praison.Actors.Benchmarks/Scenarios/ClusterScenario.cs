using System.Diagnostics;
using Npgsql;
using Praison.Actors.Benchmarks.Baselines;
using Praison.Actors.Benchmarks.Harness;
using Praison.Actors.TestSupport;
using Praison.Actors.Persistence;

namespace Praison.Actors.Benchmarks.Scenarios;

/// <summary>
/// No-op recipe tasks/s through clusters of 1, 2 and 3 nodes, each node its own process
/// (tests/Praison.Actors.ClusterNode, the multi-process tests' node) on loopback and one PostgreSQL database, beside a
/// standalone PostgreSQL host (in this process) in the same run. Each node submits its share through its own runner
/// (the client sits in the node's process, as it does in the standalone host's), at most 64 submitted-and-awaited at
/// once per node. The goals of issue 17: 1 node ≥ 50% of standalone; 3 nodes ≥ 1 node. All processes share this
/// machine's cores and its PostgreSQL server. Skipped without PRAISON_TEST_POSTGRES.
/// </summary>
public sealed class ClusterScenario : Scenario
{
    public override string Name => "cluster";

    private const string Recipe = "noop";
    private const int MaxConcurrentPerNode = 64;
    private const int InFlight = 64;
    /// <summary>Each node process has its own Npgsql pool; capped so 3 nodes and this process stay far below the server's max_connections.</summary>
    private const int NodePoolSize = 20;
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(120);
    private const int JitSettled = 200;
    private const int MaxWarmUpRounds = 5;

    // Failover: 3 node processes with 4 slots each run tasks of 4 s (the recipe "cluster-rerun", on_restart: rerun); the
    // third is SIGKILLed while it runs some; timed until those run again on a survivor. Under the node's default timings
    // (ClusterTimings.Fast) and tighter ones for a LAN (docs/architecture.md §10 says what each risks); the goal (≤ 10 s)
    // is the tightest's.
    private const int FailoverTasks = 24;
    private const int FailoverTaskMs = 4000;
    private const int FailoverSlots = 4;
    private const string LanTimings =
        "akka.cluster.failure-detector.acceptable-heartbeat-pause = 3s\nakka.cluster.split-brain-resolver.stable-after = 2s\nakka.cluster.down-removal-margin = 1s";
    private static readonly (string Case, string? Hocon, bool Goal)[] FailoverTimings =
    [
        ("failover, ClusterTimings.Fast (heartbeat pause 4 s, stable-after 3 s, down-removal-margin 2 s)", null, false),
        ("failover, heartbeat pause 3 s, stable-after 2 s, down-removal-margin 1 s", LanTimings, false),
        ("failover, the same with gossip and leader actions every 500 ms",
            LanTimings + "\nakka.cluster.gossip-interval = 500ms\nakka.cluster.leader-actions-interval = 500ms", true),
    ];

    public override async Task RunAsync(ScenarioResult result, HarnessOptions o, CancellationToken ct)
    {
        // --quick: one node process only (each process start costs 10+ s on a loaded machine; the harness allows 60 s).
        int[] nodeCounts = o.Quick ? [1] : [1, 2, 3];
        var n = o.Size(3_000, 300);
        var warmUp = o.Size(3_000, 60);
        result.Settings = $"N = {n:N0} no-op recipe tasks per run, split evenly over the nodes, each node submitting its share through its own runner " +
                          $"with at most {InFlight} submitted-and-awaited at once; clusters of {string.Join(", ", nodeCounts)} node process(es) " +
                          $"(Praison.Actors.ClusterNode: PraisonCluster.StartAsync, ClusterTimings.Fast, MaxConcurrentTasks = {MaxConcurrentPerNode}, " +
                          $"Npgsql pool ≤ {NodePoolSize} per process) on loopback, one fresh PostgreSQL database per node count; " +
                          $"standalone: one PraisonRuntime on PostgreSQL in this process, MaxConcurrentTasks = {MaxConcurrentPerNode}, the same submit-and-wait " +
                          $"with {InFlight} in flight. Warm-up: rounds of {warmUp} tasks until a round compiles fewer than {JitSettled} methods per process (at most {MaxWarmUpRounds}; " +
                          "a process that is still compiling and tiering its code up is not in the steady state a long-running node is), then " +
                          $"{o.Runs} runs; \"methods compiled during the run\" (JitInfo, summed over the processes) shows what compiling was left. Throughput = N ÷ wall time from the start command to the last node's end. " +
                          "All processes share this machine's cores and PostgreSQL server: more nodes add processes, not CPU. " +
                          $"Failover{(o.Quick ? " (not run in --quick)" : "")}: 3 node processes ({FailoverSlots} slots each, a fresh database per run) run " +
                          $"{FailoverTasks} tasks of {FailoverTaskMs / 1000} s (on_restart: rerun) submitted through the first; the third is SIGKILLed once it runs " +
                          "one; timed from the kill until the first, and until every, task it was running starts again on a survivor (the nodes' own " +
                          $"execution logs); {o.Runs} runs per timing.";

        if (o.PostgresConnectionString is null)
        {
            result.Skipped = "PRAISON_TEST_POSTGRES is not set: the cluster scenario needs the PostgreSQL database every node shares";
            Progress($"skipped: {result.Skipped}");
            return;
        }

        // CLUSTER_ONLY=failover: only the failover cases (to measure a timing change without the throughput runs).
        if (Environment.GetEnvironmentVariable("CLUSTER_ONLY") != "failover")
            await MeasureThroughputAsync(result, nodeCounts, o, n, warmUp, ct);

        if (o.Quick) return;
        foreach (var (name, hocon, hasGoal) in FailoverTimings)
        {
            var first = result.Figure(name, "kill → first interrupted task running on a survivor", "s",
                hasGoal ? new Goal("≤ 10 s", f => f.Of(Side.Project)!.Median <= 10) : null);
            var all = result.Figure(name, "kill → every interrupted task running on a survivor", "s");
            for (var run = 0; run < o.Runs; run++)
            {
                var (toFirst, toAll, interrupted) = await MeasureFailoverAsync(hocon, o, ct);
                first.Add(Side.Project, toFirst.TotalSeconds);
                all.Add(Side.Project, toAll.TotalSeconds);
                result.Notes.Add($"{name}, run {run + 1}: {interrupted} tasks were running on the killed node");
            }
            Progress($"{name}: {Report.Num(first.Of(Side.Project)!.Median)} s to the first re-run");
        }
    }

    /// <summary>The standalone host, then clusters of each node count: tasks/s and the goals of issue 17.</summary>
    private static async Task MeasureThroughputAsync(ScenarioResult result, int[] nodeCounts, HarnessOptions o, int n, int warmUp, CancellationToken ct)
    {
        var standalone = result.Figure("standalone postgresql", "throughput", "tasks/s");
        var standaloneStored = await MeasureStandaloneAsync(standalone, result.Figure("standalone postgresql", "node CPU per task", "µs"),
            result.Figure("standalone postgresql", "methods compiled during the run", "methods"), o, n, warmUp, ct);
        result.Notes.Add($"standalone: per task stored {standaloneStored}");
        Progress($"standalone: {Report.Num(standalone.Of(Side.Project)!.Median)} tasks/s");

        Figure? one = null;
        foreach (var nodes in nodeCounts)
        {
            var name = $"{nodes} node process{(nodes == 1 ? "" : "es")}";
            Goal? goal = nodes switch
            {
                1 => new Goal("≥ 50% of standalone", f => Share(f, standalone) is { } s ? s >= 0.5 : null),
                3 => new Goal("≥ 1 node", f => one is null ? null : Share(f, one) is { } s ? s >= 1.0 : null),
                _ => null,
            };
            var throughput = result.Figure(name, "throughput", "tasks/s", goal);
            var startup = result.Figure(name, "cluster start", "s");
            var cpu = result.Figure(name, "node CPU per task", "µs");
            var jit = result.Figure(name, "methods compiled during the run", "methods");
            if (nodes == 1) one = throughput;
            var stored = await MeasureClusterAsync(nodes, throughput, startup, cpu, jit, o, n, warmUp, ct);
            result.Notes.Add($"{name}: per task stored {stored}");
            var median = throughput.Of(Side.Project)!.Median;
            Progress($"{name}: {Report.Num(median)} tasks/s ({median / standalone.Of(Side.Project)!.Median:P0} of standalone; start {startup.Of(Side.Project)!.Median:0.0} s)");
            result.Notes.Add($"{name}: {median / standalone.Of(Side.Project)!.Median:P0} of the standalone host" +
                             (one is not null && nodes > 1 ? $", {median / one.Of(Side.Project)!.Median:0.00}× 1 node" : ""));
        }
    }

    /// <summary>One failover run (see <see cref="FailoverTimings"/>): kill → first and every re-run of the killed node's running tasks, and how many there were.</summary>
    private static async Task<(TimeSpan First, TimeSpan All, int Interrupted)> MeasureFailoverAsync(string? hocon, HarnessOptions o, CancellationToken ct)
    {
        await using var store = await StoreUnderTest.CreateAsync(StoreKind.PostgreSql, o.PostgresConnectionString, ct);
        var connection = new NpgsqlConnectionStringBuilder(((TaskStore.PostgreSqlStore)store.Store).ConnectionString) { MaxPoolSize = NodePoolSize }.ToString();
        var log = Path.Combine(Path.GetTempPath(), $"praison-bench-failover-{Guid.NewGuid():N}.log");
        var nodes = new List<NodeProcess>();
        try
        {
            var seed = NodeProcess.Start("node1", FreePort.Next(), null, connection, log, FailoverSlots, hocon);
            nodes.Add(seed);
            await seed.WaitForLineAsync(l => l.StartsWith("ready ", StringComparison.Ordinal), Startup).WaitAsync(ct);
            for (var i = 2; i <= 3; i++) nodes.Add(NodeProcess.Start($"node{i}", FreePort.Next(), seed.Address, connection, log, FailoverSlots, hocon));
            foreach (var node in nodes.Skip(1)) await node.WaitForLineAsync(l => l.StartsWith("ready ", StringComparison.Ordinal), Startup).WaitAsync(ct);
            seed.Send($"submit {FailoverTasks} {FailoverTaskMs}");
            await seed.WaitForLineAsync(l => l == "submit-done", Startup).WaitAsync(ct);

            var victim = nodes[2];
            await Eventually.UntilAsync(() => Task.FromResult(ExecutionLog.Read(log)), l => l.Running(victim.Name).Count > 0, Startup,
                $"{victim.Name} runs a task").WaitAsync(ct);
            victim.Kill();
            var killedAt = DateTimeOffset.UtcNow;
            // Tasks that began on the victim and had not ended when it died (an end logged just before the kill counts as ended).
            var interrupted = ExecutionLog.Read(log).Running(victim.Name);
            if (interrupted.Count == 0)
                throw new InvalidOperationException($"{victim.Name} had ended every task it began by the time it was killed: nothing to fail over");
            // The times are the nodes' own (each re-run's logged start), not when this poll saw them.
            DateTimeOffset? RestartOf(ExecutionLog l, string id) =>
                l.Entries.Where(e => e.Kind == "start" && e.Id == id && e.Node != victim.Name && e.At >= killedAt).Select(e => (DateTimeOffset?)e.At).Min();
            var restarted = await Eventually.UntilAsync(() => Task.FromResult(ExecutionLog.Read(log)),
                l => interrupted.All(id => RestartOf(l, id) is not null), Startup, "every interrupted task runs again").WaitAsync(ct);
            var restarts = interrupted.Select(id => RestartOf(restarted, id)!.Value - killedAt).ToList();
            return (restarts.Min(), restarts.Max(), interrupted.Count);
        }
        finally
        {
            foreach (var node in nodes) node.Dispose(); // SIGKILL: the database goes with the run
            foreach (var f in Directory.GetFiles(Path.GetTempPath(), Path.GetFileName(log) + "*")) File.Delete(f);
        }
    }

    private static double? Share(Figure f, Figure of) =>
        f.Of(Side.Project) is { } p && of.Of(Side.Project) is { Median: > 0 } b ? p.Median / b.Median : null;

    private static async Task<string> MeasureStandaloneAsync(Figure figure, Figure cpu, Figure jit, HarnessOptions o, int n, int warmUp, CancellationToken ct)
    {
        await using var store = await StoreUnderTest.CreateAsync(StoreKind.PostgreSql, o.PostgresConnectionString, ct);
        var recipes = new RecipeRegistry().Register($"name: {Recipe}\n", _ => Task.FromResult<object?>(null));
        await using var runtime = await PraisonDriver.StartAsync(store.Store, MaxConcurrentPerNode, ct: ct, recipes: recipes);
        async Task<(double TasksPerSecond, double CpuMs, long Jitted)> Run(int count)
        {
            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            var jit0 = System.Runtime.JitInfo.GetCompiledMethodCount();
            var r = await ClusterThroughput.MeasureAsync([runtime.Runner], Recipe, count, InFlight).WaitAsync(ct);
            return (r.TasksPerSecond, (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMilliseconds, // host and its client
                System.Runtime.JitInfo.GetCompiledMethodCount() - jit0);
        }
        var rounds = await WarmUpAsync(1, async () => (await Run(warmUp)).Jitted);
        for (var run = 0; run < o.Runs; run++)
        {
            Settle();
            var (perSecond, cpuMs, jitted) = await Run(n);
            cpu.Add(Side.Project, cpuMs * 1000 / n);
            jit.Add(Side.Project, jitted);
            figure.Add(Side.Project, perSecond);
        }
        return await StoredPerTaskAsync(((TaskStore.PostgreSqlStore)store.Store).ConnectionString, rounds * warmUp + o.Runs * n, ct);
    }

    /// <summary>
    /// Warm-up rounds until one compiles fewer than <see cref="JitSettled"/> methods per process (at most
    /// <see cref="MaxWarmUpRounds"/>); returns the rounds run.
    /// </summary>
    private static async Task<int> WarmUpAsync(int processes, Func<Task<long>> round)
    {
        for (var i = 1; ; i++)
        {
            var jitted = await round();
            if (i == MaxWarmUpRounds || jitted < JitSettled * processes) return i;
        }
    }

    /// <summary>Rows and bytes (the message column) per task in the task journal and the sharding journal, and task-table rows.</summary>
    private static async Task<string> StoredPerTaskAsync(string connection, int tasks, CancellationToken ct)
    {
        await using var c = new NpgsqlConnection(connection);
        await c.OpenAsync(ct);
        async Task<(long Rows, long Bytes)> Count(string table)
        {
            await using var exists = new NpgsqlCommand("SELECT to_regclass(@t) IS NOT NULL", c);
            exists.Parameters.AddWithValue("t", table);
            if (!(bool)(await exists.ExecuteScalarAsync(ct))!) return (0, 0);
            await using var cmd = new NpgsqlCommand($"SELECT COUNT(*), COALESCE(SUM(octet_length(message)), 0) FROM {table}", c);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            await r.ReadAsync(ct);
            return (r.GetInt64(0), r.GetInt64(1));
        }
        var journal = await Count("journal");
        var sharding = await Count("sharding_journal");
        return $"journal {journal.Rows / (double)tasks:0.00} rows / {journal.Bytes / (double)tasks:0} B of messages, " +
               $"sharding_journal {sharding.Rows / (double)tasks:0.00} rows / {sharding.Bytes / (double)tasks:0} B, praison_tasks 1 row " +
               "(counted after the runs, before any entity passivates)";
    }

    private static async Task<string> MeasureClusterAsync(int count, Figure throughput, Figure startup, Figure cpu, Figure jit, HarnessOptions o, int n,
        int warmUp, CancellationToken ct)
    {
        await using var store = await StoreUnderTest.CreateAsync(StoreKind.PostgreSql, o.PostgresConnectionString, ct);
        var connection = new NpgsqlConnectionStringBuilder(((TaskStore.PostgreSqlStore)store.Store).ConnectionString) { MaxPoolSize = NodePoolSize }.ToString();
        var log = Path.Combine(Path.GetTempPath(), $"praison-bench-cluster-{Guid.NewGuid():N}.log");
        var nodes = new List<NodeProcess>();
        try
        {
            var started = Stopwatch.StartNew();
            var seed = NodeProcess.Start("node1", FreePort.Next(), null, connection, log, MaxConcurrentPerNode);
            nodes.Add(seed);
            await seed.WaitForLineAsync(l => l.StartsWith("ready ", StringComparison.Ordinal), Startup).WaitAsync(ct);
            for (var i = 2; i <= count; i++) nodes.Add(NodeProcess.Start($"node{i}", FreePort.Next(), seed.Address, connection, log, MaxConcurrentPerNode));
            foreach (var node in nodes.Skip(1)) await node.WaitForLineAsync(l => l.StartsWith("ready ", StringComparison.Ordinal), Startup).WaitAsync(ct);
            startup.Add(Side.Project, started.Elapsed.TotalSeconds);

            // Shards allocated over every node, code compiled and tiered up in every process.
            var rounds = await WarmUpAsync(nodes.Count, async () => (await BenchAsync(nodes, warmUp, ct)).Jitted);
            for (var run = 0; run < o.Runs; run++)
            {
                var (elapsed, cpuMs, jitted) = await BenchAsync(nodes, n, ct);
                throughput.Add(Side.Project, n / elapsed.TotalSeconds);
                cpu.Add(Side.Project, cpuMs * 1000 / n);
                jit.Add(Side.Project, jitted);
            }
            var stored = await StoredPerTaskAsync(connection, rounds * warmUp + o.Runs * n, ct);
            foreach (var node in nodes) await node.StopAsync(Startup);
            return stored;
        }
        finally
        {
            foreach (var node in nodes) node.Dispose();
            foreach (var f in Directory.GetFiles(Path.GetTempPath(), Path.GetFileName(log) + "*")) File.Delete(f);
        }
    }

    /// <summary>Every node submits its share at once; the wall time until the last one reports it done, the nodes' CPU time and methods compiled.</summary>
    private static async Task<(TimeSpan Elapsed, double CpuMs, long Jitted)> BenchAsync(List<NodeProcess> nodes, int total, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        var shares = nodes.Select((_, i) => total / nodes.Count + (i < total % nodes.Count ? 1 : 0)).ToList();
        for (var i = 0; i < nodes.Count; i++) nodes[i].Send($"bench {shares[i]} {InFlight}");
        var done = await Task.WhenAll(nodes.Select(x => x.WaitForLineAsync(l => l.StartsWith("bench-done ", StringComparison.Ordinal), Startup))).WaitAsync(ct);
        var elapsed = sw.Elapsed;
        var failed = done.Sum(l => int.Parse(l.Split(' ')[3]));
        if (failed > 0) throw new InvalidOperationException($"{failed} of {total} cluster tasks failed: {string.Join("; ", done)}");
        static double Field(string line, int i) => double.Parse(line.Split(' ')[i], System.Globalization.CultureInfo.InvariantCulture);
        return (elapsed, done.Sum(l => Field(l, 4)), (long)done.Sum(l => Field(l, 5)));
    }
}
