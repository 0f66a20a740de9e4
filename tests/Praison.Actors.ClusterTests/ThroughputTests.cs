using System.Collections.Concurrent;
using Praison.Actors.IntegrationTests.Support;
using Akka.Configuration;
using Praison.Actors.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace Praison.Actors.ClusterTests;

/// <summary>
/// Many small recipe tasks through clusters of 1, 2 and 3 nodes (ActorSystems in this process, on one PostgreSQL
/// database each), submitted through every node in turn: each runs exactly once and completes with its own result,
/// which any node reads back. The elapsed time is printed for scale, never asserted: all nodes share this machine's
/// cores, so more nodes add coordination, not CPU.
/// </summary>
[Collection("cluster")]
public class ThroughputTests(ITestOutputHelper output)
{
    private const int Tasks = 600;
    private const int WarmUp = 50;

    [PostgresFact]
    public async Task Every_task_runs_once_and_completes_with_its_own_result_with_one_two_and_three_nodes()
    {
        foreach (var nodes in new[] { 1, 2, 3 })
        {
            // Runs of each input, counted inside the work on whichever node ran it.
            var runs = new ConcurrentDictionary<int, int>();
            await using var db = await PostgresTestStore.CreateAsync();
            var cluster = await InProcessCluster.StartAsync(db.Store, nodes,
                _ => new RecipeRegistry().Register("name: square\n", ctx =>
                {
                    var n = ctx.Input.GetProperty("n").GetInt32();
                    runs.AddOrUpdate(n, 1, (_, c) => c + 1);
                    return Task.FromResult<object?>(Expected(n));
                }), maxConcurrent: 16,
                ConfigurationFactory.ParseString("akka.loglevel = WARNING"));
            await using (cluster)
            {
                var runners = cluster.Nodes.Select(n => n.Runner).ToList();
                // Warm-up (shards allocated, code jitted) with inputs of its own, below zero.
                await ClusterThroughput.MeasureAsync(runners, "square", WarmUp, input: i => new { n = -1 - i });
                var result = await ClusterThroughput.MeasureAsync(runners, "square", Tasks, input: i => new { n = i });
                output.WriteLine(result.ToString());

                // Each submission got its own task, and the submitter's wait returned that task's own result.
                Assert.Equal(Tasks, result.Outcomes.Select(o => o.TaskId).Distinct().Count());
                Assert.All(result.Outcomes, o => Assert.Equal(Expected(o.Index), o.Result));
                // Each input ran exactly once, the warm-up's too.
                Assert.Equal(Tasks + WarmUp, runs.Count);
                Assert.All(runs, r => Assert.Equal(1, r.Value));

                // Read back from the store through a node other than the submitter (when there is one).
                foreach (var o in result.Outcomes)
                {
                    var reader = runners[(o.Index + 1) % runners.Count];
                    var status = await reader.GetStatusAsync(o.TaskId);
                    Assert.Equal((BackgroundTaskStatus.Completed, "square"), (status.Status, status.RecipeName));
                    Assert.Equal(Expected(o.Index), await reader.WaitForTaskAsync<string>(o.TaskId, TimeSpan.FromMinutes(1)));
                }
                var completed = (await runners[0].ListAsync(new TaskQuery(BackgroundTaskStatus.Completed))).Select(t => t.TaskId).ToHashSet();
                Assert.Superset(result.Outcomes.Select(o => o.TaskId).ToHashSet(), completed);
                Assert.Equal(Tasks + WarmUp, completed.Count);
            }
        }
    }

    private static string Expected(int n) => $"{n}^2 = {(long)n * n}";
}
