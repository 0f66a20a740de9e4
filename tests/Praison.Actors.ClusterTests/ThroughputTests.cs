using Praison.Actors.IntegrationTests.Support;
using Akka.Configuration;
using Praison.Actors.ClusterTests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Praison.Actors.ClusterTests;

/// <summary>
/// A small measurement, not a benchmark: no-op recipe tasks through clusters of 1, 2 and 3 nodes (ActorSystems in
/// this process, on one PostgreSQL database each). All nodes share this machine's cores, so more nodes add
/// coordination, not CPU; the numbers show the cost of routing through the shard region.
/// </summary>
[Collection("cluster")]
public class ThroughputTests(ITestOutputHelper output)
{
    private const int Tasks = 600;

    [PostgresFact]
    public async Task No_op_throughput_with_one_two_and_three_nodes()
    {
        foreach (var nodes in new[] { 1, 2, 3 })
        {
            await using var db = await PostgresTestStore.CreateAsync();
            var cluster = await InProcessCluster.StartAsync(db.Store, nodes,
                _ => new RecipeRegistry().Register("name: noop\n", _ => Task.FromResult<object?>(null)), maxConcurrent: 16,
                ConfigurationFactory.ParseString("akka.loglevel = WARNING"));
            await using (cluster)
            {
                var runners = cluster.Nodes.Select(n => n.Runner).ToList();
                await ClusterThroughput.MeasureAsync(runners, "noop", 50); // warm-up: shards allocated, code jitted
                var result = await ClusterThroughput.MeasureAsync(runners, "noop", Tasks);
                output.WriteLine(result.ToString());
                Assert.Equal(Tasks, result.Tasks);
            }
        }
    }
}
