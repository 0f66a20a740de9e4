using Praison.Actors.TestSupport;
using Praison.Actors.IntegrationTests.Support;
using Praison.Actors.Persistence;
using Praison.Actors.Scheduling;
using Xunit;
using Xunit.Abstractions;
using static Praison.Actors.ClusterTests.MultiProcessClusterTests;

namespace Praison.Actors.ClusterTests;

/// <summary>
/// The cluster's one scheduler (a cluster singleton) with three real node processes on loopback and one PostgreSQL
/// database: a <c>*/1s</c> schedule fires every slot exactly once, only the singleton's node looks at it, and when that
/// node leaves (gracefully, or SIGKILLed and downed) another takes over and fires the slots that fell due meanwhile.
/// The nodes log each look ("look name fired node ms") and each slot's run ("start id attempt node ms").
/// </summary>
[Collection("cluster")]
public class SchedulerSingletonTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    [PostgresFact]
    public async Task One_node_looks_each_slot_fires_once_and_a_graceful_leave_hands_the_scheduler_over()
    {
        await using var db = await PostgresTestStore.CreateAsync();
        var log = NewLog();
        var nodes = new List<NodeProcess>();
        try
        {
            nodes.AddRange(await StartClusterAsync(db, log));
            const string name = "steady";
            // Created through the youngest node: its runner tells the scheduler through the singleton proxy.
            var firstSlot = await ScheduleAsync(nodes[2], name);

            await Eventually.UntilAsync(() => Task.FromResult(ExecutionLog.Read(log)), l => FiredSlots(l, name) >= 5, Startup, "5 slots fired");
            var lookers = Looks(ExecutionLog.Read(log), name).Select(e => e.Node).Distinct().ToList();
            Assert.True(lookers.Count == 1, $"one node looks at the schedule, but these did: {string.Join(", ", lookers)}");
            var singleton = nodes.Single(n => n.Name == lookers[0]);
            output.WriteLine($"the scheduler singleton runs on {singleton.Name}");

            // Every node's scheduler API works: run-now through a node that does not host the singleton.
            var other = nodes.First(n => n != singleton);
            other.Send($"trigger {name}");
            var manual = (await other.WaitForLineAsync(l => l.StartsWith($"triggered {name} ", StringComparison.Ordinal), Startup)).Split(' ')[2];
            await Eventually.UntilAsync(() => db.Store.ReadTasksAsync(),
                t => t.Any(x => x.Info.TaskId == manual && x.Info.Status == BackgroundTaskStatus.Completed), Startup, "the run-now task completes");

            // Graceful leave: the singleton is handed over to the next oldest node.
            var leavingAt = DateTimeOffset.UtcNow;
            await singleton.StopAsync(Startup);
            var successorLook = await Eventually.UntilAsync(() => Task.FromResult(ExecutionLog.Read(log)),
                l => Looks(l, name).Any(e => e.Node != singleton.Name && e.Attempt > 0), Startup, "another node fires the schedule");
            var handedOver = Looks(successorLook, name).Where(e => e.Node != singleton.Name && e.Attempt > 0).MinBy(e => e.At)!;
            output.WriteLine($"hand-over: leave began → {handedOver.Node} fired {(handedOver.At - leavingAt).TotalSeconds:0.0} s later");

            var tasks = await SlotsUpToAsync(db, name, handedOver.At + 3 * Second);
            await AssertEachSlotOnceAsync(db, name, firstSlot, handedOver.At + 3 * Second, tasks);

            // Never two lookers at once: the node that looks changes exactly once, at the hand-over.
            var sequence = Looks(ExecutionLog.Read(log), name).OrderBy(e => e.At).Select(e => e.Node).ToList();
            var switches = sequence.Zip(sequence.Skip(1), (a, b) => a != b).Count(changed => changed);
            Assert.True(switches == 1, $"the looking node changed {switches} times: {string.Join(" ", sequence)}");
            Assert.Equal(singleton.Name, sequence[0]);
            foreach (var n in nodes.Where(n => !n.HasExited)) await n.StopAsync(Startup);
        }
        finally
        {
            foreach (var n in nodes) n.Dispose();
            DeleteLogs(log);
        }
    }

    [PostgresFact]
    public async Task When_the_scheduler_s_node_is_sigkilled_the_survivor_fires_every_missed_slot_exactly_once()
    {
        await using var db = await PostgresTestStore.CreateAsync();
        var log = NewLog();
        var nodes = new List<NodeProcess>();
        try
        {
            nodes.AddRange(await StartClusterAsync(db, log));
            const string name = "failover";
            var firstSlot = await ScheduleAsync(nodes[1], name);

            var before = await Eventually.UntilAsync(() => Task.FromResult(ExecutionLog.Read(log)), l => FiredSlots(l, name) >= 5, Startup, "5 slots fired");
            var lookers = Looks(before, name).Select(e => e.Node).Distinct().ToList();
            Assert.True(lookers.Count == 1, $"one node looks at the schedule, but these did: {string.Join(", ", lookers)}");
            var victim = nodes.Single(n => n.Name == lookers[0]);

            victim.Kill();
            var killedAt = DateTimeOffset.UtcNow;
            output.WriteLine($"SIGKILLed {victim.Name}, the scheduler singleton's node");
            var after = await Eventually.UntilAsync(() => Task.FromResult(ExecutionLog.Read(log)),
                l => Looks(l, name).Any(e => e.Node != victim.Name && e.Attempt > 0), TimeSpan.FromSeconds(90), "a survivor fires the schedule");
            var takeover = Looks(after, name).Where(e => e.Node != victim.Name && e.Attempt > 0).MinBy(e => e.At)!;
            output.WriteLine($"failover: kill → {takeover.Node}'s first fire {(takeover.At - killedAt).TotalSeconds:0.0} s, " +
                $"which submitted {takeover.Attempt} slots (catch-up all)");
            Assert.True(takeover.At > killedAt, "the survivor fired before the kill");
            // The slots that fell due while no node held the scheduler are caught up in the survivor's first look.
            Assert.True(takeover.Attempt >= 2, $"the survivor's first look fired {takeover.Attempt} slot(s); the missed ones were not caught up");

            var cutoff = takeover.At + 3 * Second;
            var tasks = await SlotsUpToAsync(db, name, cutoff);
            await AssertEachSlotOnceAsync(db, name, firstSlot, cutoff, tasks);

            // One looker at a time: the victim until the kill, then one survivor.
            var looks = Looks(ExecutionLog.Read(log), name).ToList();
            Assert.All(looks.Where(e => e.At <= killedAt), e => Assert.Equal(victim.Name, e.Node));
            var survivors = looks.Where(e => e.At > killedAt).Select(e => e.Node).Distinct().ToList();
            Assert.True(survivors.SequenceEqual([takeover.Node]), $"after the kill these nodes looked: {string.Join(", ", survivors)}");

            // Each slot's run executed once, apart from a run cut off on the killed node (rerun on restart).
            var starts = ExecutionLog.Read(log).Entries.Where(e => e.Kind == "start" && tasks.ContainsKey(e.Id)).ToList();
            Assert.All(tasks.Keys, id =>
            {
                var runs = starts.Where(e => e.Id == id).ToList();
                Assert.NotEmpty(runs);
                Assert.True(runs.Count(e => !(e.Node == victim.Name && e.At <= killedAt)) <= 1, $"{id} ran {runs.Count} times");
            });
            output.WriteLine($"{tasks.Count} slots from {firstSlot:HH:mm:ss} to {cutoff:HH:mm:ss}, one task each, all Completed");
            foreach (var n in nodes.Where(n => !n.HasExited)) await n.StopAsync(Startup);
        }
        finally
        {
            foreach (var n in nodes) n.Dispose();
            DeleteLogs(log);
        }
    }

    /// <summary>Stores a */1s schedule (catch-up all, window 120 s) through <paramref name="node"/>; returns its first slot.</summary>
    private static async Task<DateTimeOffset> ScheduleAsync(NodeProcess node, string name)
    {
        node.Send($"schedule {name} */1s all 120");
        var line = await node.WaitForLineAsync(l => l.StartsWith($"scheduled {name} ", StringComparison.Ordinal), Startup);
        // Interval slots count from the creation time (whole seconds): the first is one interval later.
        return DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(line.Split(' ')[2])) + Second;
    }

    private static IEnumerable<ExecutionLog.Entry> Looks(ExecutionLog log, string name) =>
        log.Entries.Where(e => e.Kind is "look" or "lookerr" && e.Id == name);

    private static int FiredSlots(ExecutionLog log, string name) => Looks(log, name).Sum(e => e.Attempt);

    /// <summary>
    /// Waits until the schedule's tasks reach <paramref name="cutoff"/> and those up to it have finished; returns them
    /// by task id (the slot's run-now tasks excluded).
    /// </summary>
    private static async Task<Dictionary<string, StoredTask>> SlotsUpToAsync(PostgresTestStore db, string name, DateTimeOffset cutoff)
    {
        var prefix = $"sch-{SchedulePlanner.NamePrefix(name)}-";
        bool Slot(StoredTask t, out DateTimeOffset at)
        {
            at = default;
            if (!t.Info.TaskId.StartsWith(prefix, StringComparison.Ordinal) || !long.TryParse(t.Info.TaskId[prefix.Length..], out var ms)) return false;
            at = DateTimeOffset.FromUnixTimeMilliseconds(ms);
            return true;
        }
        var all = await Eventually.UntilAsync(() => db.Store.ReadTasksAsync(), t =>
        {
            var slots = t.Where(x => Slot(x, out _)).ToList();
            return slots.Any(x => Slot(x, out var at) && at >= cutoff) && slots.All(x => !Slot(x, out var at) || at > cutoff || x.Info.IsTerminal);
        }, TimeSpan.FromSeconds(90), $"the schedule's slots up to {cutoff:HH:mm:ss} are stored and finished");
        return all.Where(x => Slot(x, out var at) && at <= cutoff).ToDictionary(x => x.Info.TaskId);
    }

    /// <summary>Every slot from the first to <paramref name="cutoff"/> has its task (no gap), submitted once, Completed.</summary>
    private static async Task AssertEachSlotOnceAsync(PostgresTestStore db, string name, DateTimeOffset firstSlot, DateTimeOffset cutoff,
        Dictionary<string, StoredTask> tasks)
    {
        var expected = new List<string>();
        for (var slot = firstSlot; slot <= cutoff; slot += Second) expected.Add(SchedulePlanner.TaskIdFor(name, slot));
        var missing = expected.Except(tasks.Keys).ToList();
        var extra = tasks.Keys.Except(expected).ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0, $"slots without a task: [{string.Join(", ", missing)}]; tasks off the slots: [{string.Join(", ", extra)}]");
        Assert.All(tasks.Values, t => Assert.True(t.Info.Status == BackgroundTaskStatus.Completed, $"{t.Info.TaskId}: {t.Info.Status} {t.Info.Error}"));
        var submitted = await db.Store.Sql!.CountEventsAsync(["ts"], CancellationToken.None);
        Assert.All(expected, id => Assert.True(submitted.GetValueOrDefault(id) == 1, $"{id}: {submitted.GetValueOrDefault(id)} Submitted events"));
    }
}
