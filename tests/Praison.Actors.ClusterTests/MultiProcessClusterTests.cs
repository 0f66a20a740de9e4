using Praison.Actors.IntegrationTests.Support;
using System.Text.Json;
using Praison.Actors.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace Praison.Actors.ClusterTests;

/// <summary>
/// Three real node processes on loopback share one PostgreSQL database. One is SIGKILLed (or stopped gracefully and
/// started again) while tasks run on it; every task must still end Completed, exactly once.
/// </summary>
[Collection("cluster")]
public class MultiProcessClusterTests(ITestOutputHelper output)
{
    internal const int MaxConcurrent = 4;
    internal static readonly TimeSpan Startup = TimeSpan.FromSeconds(90);

    [PostgresFact]
    public async Task A_sigkilled_node_s_tasks_finish_elsewhere_each_completed_exactly_once()
    {
        await using var db = await PostgresTestStore.CreateAsync();
        var log = NewLog();
        var nodes = new List<NodeProcess>();
        try
        {
            nodes.AddRange(await StartClusterAsync(db, log));
            var ids = await SubmitAsync(nodes[0], 60, 2000);
            // A client on node 1 waits (no timeout) for every task, those node 3 will be running included.
            nodes[0].Send("wait " + string.Join(' ', ids));
            await nodes[0].WaitForLineAsync(l => l == "wait-sent", Startup);

            // Kill node 3 once it has finished a task and has others mid-run.
            var victim = nodes[2];
            await Eventually.UntilAsync(() => Task.FromResult(ExecutionLog.Read(log)),
                l => l.Ends(victim.Name) >= 1 && l.Running(victim.Name).Count >= 2, Startup, $"{victim.Name} runs tasks");
            victim.Kill();
            var killedAt = DateTimeOffset.UtcNow;
            var interrupted = ExecutionLog.Read(log).Running(victim.Name);
            output.WriteLine($"killed {victim.Name} at {killedAt:HH:mm:ss.fff} with {interrupted.Count} tasks running on it");

            var tasks = await Eventually.UntilAsync(() => db.Store.ReadTasksAsync(),
                t => t.Count == ids.Count && t.All(x => x.Info.IsTerminal), TimeSpan.FromSeconds(150), "every task ends");

            var lines = ExecutionLog.Read(log);
            var restarts = interrupted.Select(id => lines.Entries.Where(e => e.Kind == "start" && e.Id == id && e.Node != victim.Name && e.At > killedAt)
                .Select(e => e.At).DefaultIfEmpty(DateTimeOffset.MaxValue).Min()).ToList();
            Assert.All(restarts, r => Assert.NotEqual(DateTimeOffset.MaxValue, r));
            output.WriteLine($"failover: kill → first interrupted task running again elsewhere {(restarts.Min() - killedAt).TotalSeconds:0.0} s, " +
                $"→ all {interrupted.Count} running again {(restarts.Max() - killedAt).TotalSeconds:0.0} s");

            await AssertEachCompletedExactlyOnceAsync(db, ids, tasks, lines, victim.Name, killedAt);

            // Every wait returns, also for the tasks whose entity was on the killed node when the wait began.
            var answered = new List<string>();
            for (var i = 0; i < ids.Count; i++)
                answered.Add(await nodes[0].WaitForLineAsync(l => l.StartsWith("waited ", StringComparison.Ordinal) ||
                                                                  l.StartsWith("wait-failed ", StringComparison.Ordinal), TimeSpan.FromSeconds(60)));
            Assert.Equal(ids.Select(id => $"waited {id}").Order(), answered.Order());
            foreach (var n in nodes.Where(n => !n.HasExited)) await n.StopAsync(Startup);
        }
        finally
        {
            foreach (var n in nodes) n.Dispose();
            DeleteLogs(log);
        }
    }

    [PostgresFact]
    public async Task A_rolling_restart_loses_no_task()
    {
        await using var db = await PostgresTestStore.CreateAsync();
        var log = NewLog();
        var nodes = new List<NodeProcess>();
        try
        {
            nodes.AddRange(await StartClusterAsync(db, log));
            var ids = await SubmitAsync(nodes[0], 45, 1500);

            var leaving = nodes[1];
            await Eventually.UntilAsync(() => Task.FromResult(ExecutionLog.Read(log)),
                l => l.Running(leaving.Name).Count >= 1, Startup, $"{leaving.Name} runs tasks");
            var stoppedAt = DateTimeOffset.UtcNow;
            await leaving.StopAsync(Startup);
            output.WriteLine($"{leaving.Name} left gracefully in {(DateTimeOffset.UtcNow - stoppedAt).TotalSeconds:0.0} s");
            var back = NodeProcess.Start(leaving.Name, leaving.Port, nodes[0].Address, db.ConnectionString, log, MaxConcurrent);
            nodes[1] = back;
            leaving.Dispose();
            await back.WaitForLineAsync(l => l.StartsWith("ready "), Startup);
            output.WriteLine($"{leaving.Name} rejoined {(DateTimeOffset.UtcNow - stoppedAt).TotalSeconds:0.0} s after it began to leave");

            var tasks = await Eventually.UntilAsync(() => db.Store.ReadTasksAsync(),
                t => t.Count == ids.Count && t.All(x => x.Info.IsTerminal), TimeSpan.FromSeconds(150), "every task ends");
            var lines = ExecutionLog.Read(log);
            await AssertEachCompletedExactlyOnceAsync(db, ids, tasks, lines, null, null);
            output.WriteLine($"{lines.Entries.Count(e => e.Kind == "start")} executions for {ids.Count} tasks; " +
                $"{tasks.Count(t => t.Info.Attempt > 1)} re-run after the hand-off");
            foreach (var n in nodes.Where(n => !n.HasExited)) await n.StopAsync(Startup);
        }
        finally
        {
            foreach (var n in nodes) n.Dispose();
            DeleteLogs(log);
        }
    }

    [PostgresFact]
    public async Task A_sigterm_hands_the_node_s_shards_off_loses_no_task_and_exits_0()
    {
        await using var db = await PostgresTestStore.CreateAsync();
        var log = NewLog();
        var nodes = new List<NodeProcess>();
        try
        {
            nodes.AddRange(await StartClusterAsync(db, log));
            var ids = await SubmitAsync(nodes[0], 45, 1500);

            var leaving = nodes[1];
            await Eventually.UntilAsync(() => Task.FromResult(ExecutionLog.Read(log)),
                l => l.Running(leaving.Name).Count >= 1, Startup, $"{leaving.Name} runs tasks");
            var termAt = DateTimeOffset.UtcNow;
            var interrupted = ExecutionLog.Read(log).Running(leaving.Name);
            leaving.Terminate(); // as Kubernetes stops a pod in a rolling deploy
            await leaving.WaitForLineAsync(l => l == "stopped", Startup);
            await leaving.WaitForExitAsync(Startup);
            Assert.Equal(0, leaving.ExitCode);
            output.WriteLine($"{leaving.Name} left on SIGTERM in {(DateTimeOffset.UtcNow - termAt).TotalSeconds:0.0} s with {interrupted.Count} task(s) running on it");

            var tasks = await Eventually.UntilAsync(() => db.Store.ReadTasksAsync(),
                t => t.Count == ids.Count && t.All(x => x.Info.IsTerminal), TimeSpan.FromSeconds(150), "every task ends");
            var lines = ExecutionLog.Read(log);
            await AssertEachCompletedExactlyOnceAsync(db, ids, tasks, lines, null, null);
            // Its shards moved: every task whose run there the hand-off cut off was completed by another node. (A task
            // running at the SIGTERM may still end there before its shard is handed off; exactly once is checked above.)
            var cutOff = lines.Running(leaving.Name);
            output.WriteLine($"{cutOff.Count} run(s) there cut off by the hand-off ({interrupted.Count} running at the SIGTERM)");
            foreach (var id in cutOff)
                Assert.NotEqual(leaving.Name, System.Text.Json.JsonSerializer.Deserialize<string>(tasks.Single(t => t.Info.TaskId == id).ResultJson!)!.Split(':')[2]);
            foreach (var n in nodes.Where(n => !n.HasExited)) await n.StopAsync(Startup);
        }
        finally
        {
            foreach (var n in nodes) n.Dispose();
            DeleteLogs(log);
        }
    }

    [PostgresFact]
    public async Task After_a_whole_cluster_restart_its_unfinished_tasks_run_again_without_anyone_asking()
    {
        // Shards do not remember entities: the first leader of the restarted cluster reads the unfinished tasks from the
        // store and wakes them. Nobody waits for or queries a task here.
        await using var db = await PostgresTestStore.CreateAsync();
        var log = NewLog();
        var nodes = new List<NodeProcess>();
        try
        {
            var first = NodeProcess.Start("node1", FreePort.Next(), null, db.ConnectionString, log, MaxConcurrent);
            nodes.Add(first);
            await first.WaitForLineAsync(l => l.StartsWith("ready "), Startup);
            var ids = await SubmitAsync(first, 2 * MaxConcurrent, 3000); // half running, half pending when the cluster dies
            await Eventually.UntilAsync(() => Task.FromResult(ExecutionLog.Read(log)),
                l => l.Running(first.Name).Count >= 1, Startup, $"{first.Name} runs tasks");
            first.Kill(); // the whole (one-node) cluster is gone
            var killedAt = DateTimeOffset.UtcNow;

            var again = NodeProcess.Start("node1b", FreePort.Next(), null, db.ConnectionString, log, MaxConcurrent);
            nodes.Add(again);
            await again.WaitForLineAsync(l => l.StartsWith("ready "), Startup);
            var tasks = await Eventually.UntilAsync(() => db.Store.ReadTasksAsync(),
                t => t.Count == ids.Count && t.All(x => x.Info.IsTerminal), TimeSpan.FromSeconds(150), "every task ends");
            var lines = ExecutionLog.Read(log);
            await AssertEachCompletedExactlyOnceAsync(db, ids, tasks, lines, first.Name, killedAt);
            output.WriteLine($"restarted: first task running on the new cluster " +
                $"{(lines.Entries.Where(e => e.Kind == "start" && e.Node == again.Name).Min(e => e.At) - killedAt).TotalSeconds:0.0} s after the kill");
            await again.StopAsync(Startup);
        }
        finally
        {
            foreach (var n in nodes) n.Dispose();
            DeleteLogs(log);
        }
    }

    [PostgresFact]
    public async Task Two_nodes_with_config_discovery_form_one_cluster_without_seeds_and_share_tasks()
    {
        await using var db = await PostgresTestStore.CreateAsync();
        var log = NewLog();
        var ports = new[] { FreePort.Next(), FreePort.Next() };
        var endpoints = ports.Select(p => $"127.0.0.1:{p}").ToList();
        var nodes = new List<NodeProcess>();
        try
        {
            // Started together with no seed address: each looks the service up and both derive the same first seed.
            for (var i = 0; i < 2; i++)
                nodes.Add(NodeProcess.StartWithDiscovery($"node{i + 1}", ports[i], endpoints, db.ConnectionString, log, MaxConcurrent));
            foreach (var n in nodes) await n.WaitForLineAsync(l => l.StartsWith("ready ", StringComparison.Ordinal), Startup);
            foreach (var n in nodes)
            {
                // One cluster, not two: each node sees both members Up.
                await Eventually.UntilAsync(async () =>
                {
                    n.Send("members");
                    return await n.WaitForLineAsync(l => l.StartsWith("members ", StringComparison.Ordinal), Startup);
                }, l => l == "members 2", Startup, $"{n.Name} sees 2 members");
            }

            // Shards are allocated to the regions the coordinator knows; the second node's region may register a moment
            // after it is Up, so batches go on (through both nodes) until both have run tasks, within a bound.
            var ids = new List<string>();
            var byNode = new Dictionary<string, int>();
            for (var round = 0; round < 5 && byNode.Count < 2; round++)
            {
                ids.AddRange(await SubmitAsync(nodes[round % 2], 20, 200));
                await Eventually.UntilAsync(() => db.Store.ReadTasksAsync(),
                    t => t.Count == ids.Count && t.All(x => x.Info.IsTerminal), TimeSpan.FromSeconds(120), "every task ends");
                byNode = ExecutionLog.Read(log).Entries.Where(e => e.Kind == "end").GroupBy(e => e.Node).ToDictionary(g => g.Key, g => g.Count());
            }
            var tasks = await db.Store.ReadTasksAsync();
            await AssertEachCompletedExactlyOnceAsync(db, ids, tasks, ExecutionLog.Read(log), null, null);
            output.WriteLine("tasks run per node: " + string.Join(", ", byNode.Select(kv => $"{kv.Key} {kv.Value}")));
            Assert.Equal(2, byNode.Count); // shards were allocated on both nodes
            foreach (var n in nodes) await n.StopAsync(Startup);
        }
        finally
        {
            foreach (var n in nodes) n.Dispose();
            DeleteLogs(log);
        }
    }

    /// <summary>The prefix of the nodes' execution logs (each node writes prefix.name).</summary>
    internal static string NewLog() => Path.Combine(Path.GetTempPath(), $"praison-cluster-{Guid.NewGuid():N}.log");

    internal static void DeleteLogs(string log)
    {
        foreach (var f in Directory.GetFiles(Path.GetDirectoryName(log)!, Path.GetFileName(log) + ".*")) File.Delete(f);
    }

    /// <summary>The seed first (it also creates the schema), then the other two; each is awaited until Up.</summary>
    internal static async Task<List<NodeProcess>> StartClusterAsync(PostgresTestStore db, string log)
    {
        var nodes = new List<NodeProcess>();
        var seed = NodeProcess.Start("node1", FreePort.Next(), null, db.ConnectionString, log, MaxConcurrent);
        nodes.Add(seed);
        var seedAddress = seed.Address; // started without --seed, node 1 forms the cluster alone
        await seed.WaitForLineAsync(l => l.StartsWith("ready "), Startup);
        foreach (var name in new[] { "node2", "node3" })
        {
            var n = NodeProcess.Start(name, FreePort.Next(), seedAddress, db.ConnectionString, log, MaxConcurrent);
            nodes.Add(n);
        }
        foreach (var n in nodes.Skip(1)) await n.WaitForLineAsync(l => l.StartsWith("ready "), Startup);
        return nodes;
    }

    private static async Task<List<string>> SubmitAsync(NodeProcess node, int count, int ms)
    {
        node.Send($"submit {count} {ms}");
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
            ids.Add((await node.WaitForLineAsync(l => l.StartsWith("submitted "), Startup))["submitted ".Length..]);
        await node.WaitForLineAsync(l => l == "submit-done", Startup);
        return ids;
    }

    private async Task AssertEachCompletedExactlyOnceAsync(PostgresTestStore db, List<string> ids, IReadOnlyList<StoredTask> tasks,
        ExecutionLog lines, string? killed, DateTimeOffset? killedAt)
    {
        Assert.Equal(ids.Order(), tasks.Select(t => t.Info.TaskId).Order());
        Assert.All(tasks, t => Assert.True(t.Info.Status == BackgroundTaskStatus.Completed, $"{t.Info.TaskId}: {t.Info.Status} {t.Info.Error}"));

        // The journal: exactly one terminal event per task, and it is a completion.
        var terminal = await db.Store.Sql!.CountEventsAsync(new[] { "tc", "tf", "tx" }, CancellationToken.None);
        var completed = await db.Store.Sql!.CountEventsAsync(new[] { "tc" }, CancellationToken.None);
        Assert.Equal(ids.Order(), terminal.Keys.Order());
        Assert.All(terminal, kv => Assert.Equal(1, kv.Value));
        Assert.All(completed, kv => Assert.Equal(1, kv.Value));

        // The work's own log: the execution whose result was stored finished exactly once, and none is missing.
        var lostBeforeStore = 0;
        foreach (var t in tasks)
        {
            var result = JsonSerializer.Deserialize<string>(t.ResultJson!)!.Split(':'); // id:attempt:node
            var ends = lines.Entries.Where(e => e.Kind == "end" && e.Id == t.Info.TaskId).ToList();
            Assert.Single(ends, e => e.Attempt.ToString() == result[1] && e.Node == result[2]);
            // Any other finished execution was on the killed node, cut off before its completion was stored.
            foreach (var extra in ends.Where(e => !(e.Attempt.ToString() == result[1] && e.Node == result[2])))
            {
                Assert.True(extra.Node == killed && extra.At <= killedAt, $"{t.Info.TaskId} finished twice: {extra}");
                lostBeforeStore++;
            }
        }
        output.WriteLine($"{tasks.Count} tasks Completed, one terminal event each; {lines.Entries.Count(e => e.Kind == "start")} executions, " +
            $"{lostBeforeStore} finished on the killed node just before the kill without being stored (re-run)");
    }
}
