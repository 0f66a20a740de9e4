using System.Collections.Concurrent;
using Akka.Configuration;
using Praison.Actors.Cluster;
using Praison.Actors.IntegrationTests.Support;
using Praison.Actors.TestSupport;
using Xunit;

namespace Praison.Actors.ClusterTests;

/// <summary>
/// TEMPLATE.yaml <c>runtime.schedule</c> on cluster nodes started with <see cref="PraisonCluster.StartAsync"/>: the node
/// applies it as it starts (the local hosts' path), and nodes starting together on one store create the schedule once.
/// </summary>
[Collection("cluster")]
public class RecipeScheduleClusterTests
{
    private static readonly Config Quiet = ConfigurationFactory.ParseString("akka.loglevel = WARNING");

    /// <summary>A recipe whose template asks for a daily schedule that runs once at once; each run is recorded.</summary>
    private static RecipeRegistry Ticker(ConcurrentBag<string> ran, string maxCost = "0.5") => new RecipeRegistry().Register($"""
        name: ticker
        runtime:
          schedule:
            enabled: true
            interval: daily
            run_immediately: true
            max_retries: 1
            max_cost_usd: {maxCost}
        """, ctx =>
    {
        ran.Add(ctx.TaskId);
        return Task.FromResult<object?>("tick");
    });

    private static Task<PraisonClusterNode> StartNodeAsync(TaskStore store, RecipeRegistry recipes, int port, string seed) =>
        PraisonCluster.StartAsync(new PraisonClusterNodeOptions
        {
            Store = store,
            Config = Quiet,
            Runner = new BackgroundRunnerOptions { Recipes = recipes },
            Cluster = new PraisonClusterOptions { Port = port, SeedNodes = [seed], Timings = ClusterTimings.Fast },
        });

    private static string Seed(int port) => $"akka.tcp://praison-actors@127.0.0.1:{port}";

    [Fact]
    public async Task A_node_started_with_PraisonCluster_StartAsync_creates_the_recipes_schedule()
    {
        await using var dir = new SqliteTestStore();
        var ran = new ConcurrentBag<string>();
        var port = FreePort.Next();
        await using (var node = await StartNodeAsync(dir.Store, Ticker(ran), port, Seed(port)))
        {
            var info = await node.Runner.Scheduler.GetHandle("recipe.ticker").InfoAsync();
            Assert.Equal(("ticker", "daily", 2, false), (info.Recipe, info.Expression, info.MaxAttempts, info.Paused));
            Assert.Equal("""{"max_cost_usd":0.5}""", info.ConfigJson);
            Assert.Contains(node.RecipeScheduleChanges, l => l.Contains("'recipe.ticker' created", StringComparison.Ordinal));
            // run_immediately: one run, submitted through the shard region as the node started.
            var run = Assert.Single(await node.Runner.ListAsync(new TaskQuery { ScheduleName = "recipe.ticker" }));
            Assert.Equal("tick", await node.Runner.GetHandle(run.TaskId).WaitAsync(TimeSpan.FromSeconds(30)));
        }

        // A bad runtime.schedule stops the node's start, naming the key.
        var again = FreePort.Next();
        var ex = await Assert.ThrowsAsync<ScheduleException>(() => StartNodeAsync(dir.Store, Ticker(ran, maxCost: "0"), again, Seed(again)));
        Assert.Contains("runtime.schedule: max_cost_usd must be a positive number", ex.Message);
    }

    [PostgresFact]
    public async Task Two_nodes_starting_together_on_one_PostgreSQL_store_create_the_schedule_once()
    {
        await using var db = await PostgresTestStore.CreateAsync();
        var ran = new ConcurrentBag<string>();
        int first = FreePort.Next(), second = FreePort.Next();
        var starting = new[] { StartNodeAsync(db.Store, Ticker(ran), first, Seed(first)), StartNodeAsync(db.Store, Ticker(ran), second, Seed(first)) };
        try
        {
            var nodes = await Task.WhenAll(starting);
            var schedules = await nodes[1].Runner.Scheduler.ListAsync();
            Assert.Equal("recipe.ticker", Assert.Single(schedules).Name);
            // One node created it (and ran it once at once); the other found it and changed nothing.
            Assert.Single(nodes, n => n.RecipeScheduleChanges.Any(l => l.Contains("created", StringComparison.Ordinal)));
            Assert.Single(nodes, n => n.RecipeScheduleChanges.Count == 0);
            var run = Assert.Single(await nodes[0].Runner.ListAsync(new TaskQuery { ScheduleName = "recipe.ticker" }));
            Assert.Equal("tick", await nodes[0].Runner.GetHandle(run.TaskId).WaitAsync(TimeSpan.FromSeconds(30)));
        }
        finally
        {
            // Leave last first; a node whose start failed has nothing to leave.
            foreach (var start in starting.Reverse())
                if (start.IsCompletedSuccessfully) await start.Result.DisposeAsync();
        }
    }
}
