using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Configuration;
using Praison.Actors.TestSupport;
using Praison.Actors.IntegrationTests.Support;
using Praison.Actors.Messages;
using Xunit;
using Xunit.Abstractions;

namespace Praison.Actors.ClusterTests;

/// <summary>The cluster's scheduler singleton with three nodes (ActorSystems) in this process on one SQLite file.</summary>
[Collection("cluster")]
public class InProcessSchedulerTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_schedule_made_on_any_node_is_looked_at_by_one_node_only_and_each_slot_runs_once()
    {
        await using var dir = new SqliteTestStore();
        var ran = new ConcurrentDictionary<string, int>();
        await using var cluster = await InProcessCluster.StartAsync(dir.Store, 3, _ => new RecipeRegistry().Register("name: tick\n", ctx =>
        {
            ran.AddOrUpdate(ctx.TaskId, 1, (_, n) => n + 1);
            return Task.FromResult<object?>(null);
        }), maxConcurrent: 4, ConfigurationFactory.ParseString("akka.loglevel = WARNING"));
        // Each node's looks, from its own event stream.
        var looks = cluster.Nodes.Select(_ => new ConcurrentQueue<ScheduleLooked>()).ToList();
        for (var i = 0; i < cluster.Nodes.Count; i++)
        {
            var queue = looks[i];
            var system = cluster.Nodes[i].System;
            system.EventStream.Subscribe(system.ActorOf(Props.Create(() => new Collect(queue))), typeof(ScheduleLooked));
        }

        // Made through the youngest node, which does not host the singleton; told to reload through the proxy.
        var handle = await cluster.Nodes[2].Runner.Scheduler.ScheduleAsync("every-second", "tick", "*/1s",
            new ScheduleOptions { Overlap = ScheduleOverlap.Allow });
        var runs = await Eventually.UntilAsync(() => handle.RunsAsync(50),
            r => r.Count(x => x.Status == BackgroundTaskStatus.Completed) >= 3, Patience, "three slots completed");
        await handle.DeleteAsync();

        var lookers = Enumerable.Range(0, looks.Count).Where(i => !looks[i].IsEmpty).ToList();
        output.WriteLine($"looks per node: {string.Join(", ", looks.Select(q => q.Count))}");
        Assert.Single(lookers);
        Assert.Equal(0, lookers[0]); // the oldest node: the seed, started first
        // Every slot its own task, run once (runs are newest first; slots are a second apart).
        var slots = runs.Where(r => r.Reason == "slot").Select(r => r.SlotAt).ToList();
        Assert.Equal(slots.Count, slots.Distinct().Count());
        Assert.All(runs.Where(r => r.Status == BackgroundTaskStatus.Completed), r => Assert.Equal(1, ran[r.TaskId]));
    }

    private sealed class Collect : ReceiveActor
    {
        public Collect(ConcurrentQueue<ScheduleLooked> into) => Receive<ScheduleLooked>(into.Enqueue);
    }
}
