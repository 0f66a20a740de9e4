using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Praison.Actors.Cluster;
using Praison.Actors.Hosting.Tests.Support;
using Praison.Actors.IntegrationTests.Support;
using Xunit;

namespace Praison.Actors.Hosting.Tests.Cluster;

/// <summary>
/// <c>WithPraisonCluster</c> in a generic host: on PostgreSQL when PRAISON_TEST_POSTGRES is set, otherwise on one
/// SQLite file (as the in-process cluster tests do).
/// </summary>
[Collection("cluster")]
public sealed class AkkaHostingExtensionsTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);
    private TestStore _store = null!;

    public async ValueTask InitializeAsync()
    {
        _store = string.IsNullOrEmpty(Environment.GetEnvironmentVariable(PostgresTestStore.Variable))
            ? new SqliteTestStore()
            : await PostgresTestStore.CreateAsync();
        output.WriteLine($"store: {_store.Kind}");
    }

    public ValueTask DisposeAsync() => _store.DisposeAsync();

    private static int FreePort() => Praison.Actors.TestSupport.FreePort.Next();

    [Fact]
    public async Task A_single_node_host_runs_recipes_through_the_DI_runner()
    {
        var recipes = new RecipeRegistry().Register("name: echo\n", ctx => Task.FromResult<object?>($"echo {ctx.TaskId}"));
        using var host = TestHosts.ClusterNode(_store.Store, recipes,
            new PraisonClusterOptions { Port = FreePort(), Timings = ClusterTimings.Fast });
        await host.StartAsync();
        var runner = host.Services.GetRequiredService<IRecipeRunner>();

        var task = await runner.RunBackgroundAsync("echo");
        Assert.Equal($"echo {task.TaskId}", (await task.WaitAsync(Long))?.ToString());

        var system = host.Services.GetRequiredService<ActorSystem>();
        Assert.Equal(Akka.Cluster.MemberStatus.Up, Akka.Cluster.Cluster.Get(system).SelfMember.Status);
        var listed = await host.Services.GetRequiredService<BackgroundRunner>().ListAsync();
        Assert.Contains(listed, t => t.TaskId == task.TaskId && t.Status == BackgroundTaskStatus.Completed);
        // The router hands health asks to this node's supervisor, so the DI runner answers them as a local one does.
        var health = await host.Services.GetRequiredService<IBackgroundRunner>().GetStoreHealthAsync();
        Assert.True(health.Healthy);
        Assert.Null(health.LastError);
        // The dashboard's cluster page reads IClusterInfo from DI: this node, Up, as the only member.
        var info = await host.Services.GetRequiredService<IClusterInfo>().GetSnapshotAsync();
        var self = Assert.Single(info.Members);
        Assert.Equal((Akka.Cluster.Cluster.Get(system).SelfAddress.ToString(), "Up", true), (self.Address, self.Status, self.IsSelf));
        await host.StopAsync();
    }

    [Fact]
    public async Task A_node_host_applies_the_recipes_runtime_schedule_as_it_starts()
    {
        var recipes = new RecipeRegistry().Register("""
            name: ticker
            runtime:
              schedule:
                enabled: true
                interval: daily
                max_cost_usd: 0.5
            """, _ => Task.FromResult<object?>("tick"));
        using var host = TestHosts.ClusterNode(_store.Store, recipes, new PraisonClusterOptions { Port = FreePort(), Timings = ClusterTimings.Fast });
        await host.StartAsync();

        var schedule = Assert.Single(await host.Services.GetRequiredService<IScheduler>().ListAsync());
        Assert.Equal(("recipe.ticker", "ticker", "daily", """{"max_cost_usd":0.5}"""), (schedule.Name, schedule.Recipe, schedule.Expression, schedule.ConfigJson));
        await host.StopAsync();
    }

    [Fact]
    public async Task A_wait_from_the_surviving_node_is_answered_after_the_node_running_the_task_is_lost()
    {
        // Keep-majority keeps the half with the lowest address when two nodes split evenly: the survivor gets the lower port.
        var ports = new[] { FreePort(), FreePort() }.Order().ToArray();
        var seed = $"akka.tcp://praison-actors@127.0.0.1:{ports[0]}";
        var ranOnVictim = new ConcurrentDictionary<string, bool>();
        const string Move = "name: move\nruntime:\n  background:\n    on_restart: rerun\n";
        var survivorRecipes = new RecipeRegistry().Register(Move, _ => Task.FromResult<object?>("survivor"));
        var victimRecipes = new RecipeRegistry().Register(Move, async ctx =>
        {
            ranOnVictim[ctx.TaskId] = true;
            await Task.Delay(Timeout.Infinite, ctx.CancellationToken);
            return "victim";
        });
        PraisonClusterOptions Node(int port) => new()
        {
            Port = port, SeedNodes = [seed], Timings = ClusterTimings.Fast, WaitRenewal = TimeSpan.FromSeconds(1),
        };

        using var survivor = TestHosts.ClusterNode(_store.Store, survivorRecipes, Node(ports[0]));
        await survivor.StartAsync();
        // The victim dies without leaving: terminating its ActorSystem runs no coordinated shutdown (no hand-off).
        using var victim = TestHosts.ClusterNode(_store.Store, victimRecipes, Node(ports[1]),
            ConfigurationFactory.ParseString("akka.coordinated-shutdown.run-by-actor-system-terminate = off"));
        await victim.StartAsync();
        var runner = survivor.Services.GetRequiredService<IRecipeRunner>();

        // Submit from the survivor until a task runs on the victim; the ones placed on the survivor finish at once.
        BackgroundTaskHandle? onVictim = null;
        for (var i = 0; i < 40 && onVictim is null; i++)
        {
            var task = await runner.RunBackgroundAsync("move");
            var deadline = DateTime.UtcNow + Long;
            while (onVictim is null)
            {
                if (ranOnVictim.ContainsKey(task.TaskId)) onVictim = task;
                else if ((await task.StatusAsync()).Status == BackgroundTaskStatus.Completed) break;
                else if (DateTime.UtcNow > deadline) throw new TimeoutException($"task {task.TaskId} neither ran on the victim nor completed");
                else await Task.Yield();
            }
        }
        Assert.NotNull(onVictim);
        output.WriteLine($"task {onVictim!.TaskId} runs on the victim");

        var wait = onVictim.WaitAsync(TimeSpan.FromSeconds(120));
        var victimSystem = victim.Services.GetRequiredService<ActorSystem>();
        await victimSystem.Terminate();

        // The entity restarts on the survivor (woken by its sweeper, or by the renewed wait), reruns there, and the wait reaches it.
        Assert.Equal("survivor", (await wait)?.ToString());
        await survivor.StopAsync();
    }
    [Fact]
    public async Task The_scheduler_runs_once_per_cluster_on_a_node_of_the_scheduler_role()
    {
        var ports = new[] { FreePort(), FreePort() };
        var seed = $"akka.tcp://praison-actors@127.0.0.1:{ports[0]}";
        var ran = new ConcurrentDictionary<string, string>();
        RecipeRegistry Recipes(string node) => new RecipeRegistry().Register("name: tick\n", ctx =>
        {
            ran[ctx.TaskId] = node;
            return Task.FromResult<object?>(node);
        });
        PraisonClusterOptions Node(int port, params string[] roles) => new()
        {
            Port = port, SeedNodes = [seed], Timings = ClusterTimings.Fast, Roles = roles, SchedulerRole = "scheduler",
        };
        // The seed (the oldest node) lacks the role, so the singleton must go to the other node.
        using var plain = TestHosts.ClusterNode(_store.Store, Recipes("plain"), Node(ports[0]));
        await plain.StartAsync();
        using var scheduling = TestHosts.ClusterNode(_store.Store, Recipes("scheduling"), Node(ports[1], "scheduler"));
        await scheduling.StartAsync();

        // Created through DI on the node without the role: its runner tells the singleton through the proxy.
        var handle = await plain.Services.GetRequiredService<IScheduler>().ScheduleAsync("every-second", "tick", "*/1s");
        var deadline = DateTime.UtcNow + Long;
        IReadOnlyList<ScheduleRun> runs;
        while ((runs = await handle.RunsAsync(10)).Count(r => r.Status == BackgroundTaskStatus.Completed) < 2)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"two slots did not complete within {Long}; runs: {runs.Count}");
            await Task.Delay(100);
        }

        // The singleton lives under the manager of the node with the role; the other node has only the proxy.
        var plainSystem = plain.Services.GetRequiredService<ActorSystem>();
        var schedulingSystem = scheduling.Services.GetRequiredService<ActorSystem>();
        Assert.NotNull(await schedulingSystem.ActorSelection("/user/praison-scheduler/scheduler").ResolveOne(Long));
        Assert.NotNull(await plainSystem.ActorSelection("/user/praison-scheduler-proxy").ResolveOne(Long));
        await Assert.ThrowsAsync<ActorNotFoundException>(() => plainSystem.ActorSelection("/user/praison-scheduler").ResolveOne(Long));
        output.WriteLine($"{runs.Count} runs, executed on: {string.Join(", ", runs.Select(r => ran.GetValueOrDefault(r.TaskId)))}");

        await scheduling.StopAsync();
        await plain.StopAsync();
    }
}
