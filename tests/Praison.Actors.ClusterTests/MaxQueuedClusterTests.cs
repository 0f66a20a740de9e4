using Akka.Configuration;
using Praison.Actors.TestSupport;
using Praison.Actors.IntegrationTests.Support;
using Xunit;

namespace Praison.Actors.ClusterTests;

/// <summary>
/// MaxQueued holds per node in a cluster as on a standalone host: with one slot busy and the queue at its bound, the
/// next submission is refused with the standalone host's error and nothing of it is stored; room comes back as the
/// queue drains.
/// </summary>
[Collection("cluster")]
public class MaxQueuedClusterTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_node_refuses_a_submission_beyond_its_queue_bound_and_stores_nothing_of_it()
    {
        await using var dir = new SqliteTestStore();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cluster = await InProcessCluster.StartAsync(dir.Store, 1, _ => new RecipeRegistry().Register("name: gated\n", async ctx =>
            {
                started.TrySetResult();
                await gate.Task.WaitAsync(ctx.CancellationToken);
                return ctx.TaskId;
            }), maxConcurrent: 1, ConfigurationFactory.ParseString("akka.loglevel = WARNING"), maxQueued: 2);
        await using (cluster)
        {
            var runner = cluster.Nodes[0].Runner;
            var running = await runner.RunBackgroundAsync("gated", new RecipeRunOptions { TaskId = "q-running" });
            await started.Task.WaitAsync(Patience);            // it holds the node's one slot
            var queued = new[]
            {
                await runner.RunBackgroundAsync("gated", new RecipeRunOptions { TaskId = "q-1" }),
                await runner.RunBackgroundAsync("gated", new RecipeRunOptions { TaskId = "q-2" }),
            };

            var refused = await Assert.ThrowsAsync<TaskRejectedException>(() =>
                runner.RunBackgroundAsync("gated", new RecipeRunOptions { TaskId = "q-refused" }));
            Assert.Contains("The task queue is full: 2 tasks are waiting and MaxQueued is 2. Nothing was stored", refused.Message);
            await Assert.ThrowsAsync<TaskNotFoundException>(() => runner.GetStatusAsync("q-refused"));
            Assert.Equal(new[] { "q-1", "q-2", "q-running" }, (await runner.ListAsync()).Select(t => t.TaskId).Order());

            // A reused id is no new task: it is answered with the stored one even while the queue is full.
            var again = await runner.RunBackgroundAsync("gated", new RecipeRunOptions { TaskId = "q-1" });
            Assert.Equal("q-1", again.TaskId);

            gate.SetResult();
            foreach (var h in queued.Prepend(running))
                Assert.Equal(h.TaskId, await h.WaitAsync(Patience));
            // The queue drained: the id refused before is accepted now and runs.
            var later = await runner.RunBackgroundAsync("gated", new RecipeRunOptions { TaskId = "q-refused" });
            Assert.Equal("q-refused", await later.WaitAsync(Patience));
        }
    }
}
