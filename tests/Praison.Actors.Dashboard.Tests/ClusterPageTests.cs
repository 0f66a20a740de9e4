using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Praison.Actors.Cluster;
using static Microsoft.Playwright.Assertions;

namespace Praison.Actors.Dashboard.Tests;

/// <summary>The nodes page: a real two-node cluster in this process (loopback ports, one SQLite file), and a local host.</summary>
public sealed class ClusterPageTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task A_two_node_cluster_shows_both_members_up_and_the_tasks_they_hold()
    {
        var dir = Path.Combine(Path.GetTempPath(), "praison-dashboard-cluster-" + Guid.NewGuid().ToString("N")[..8]);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = new ConcurrentDictionary<string, string>(); // task id -> the node running it
        RecipeRegistry Recipes(string node) => new RecipeRegistry().Register("name: hold\n", async ctx =>
        {
            running[ctx.TaskId] = node;
            await gate.Task.WaitAsync(ctx.CancellationToken);
            return "held";
        });
        var store = TaskStore.Sqlite(dir);
        var quiet = ConfigurationFactory.ParseString("akka.loglevel = WARNING");
        PraisonClusterNode? a = null, b = null;
        WebApplication? app = null;
        try
        {
            a = await PraisonCluster.StartAsync(new PraisonClusterNodeOptions
            {
                Store = store, Config = quiet, SystemName = "praison-actors",
                Runner = new BackgroundRunnerOptions { Recipes = Recipes("a"), MaxConcurrentTasks = 20 },
                Cluster = new PraisonClusterOptions { Port = 0, Roles = ["web"], Timings = ClusterTimings.Fast },
            });
            b = await PraisonCluster.StartAsync(new PraisonClusterNodeOptions
            {
                Store = store, Config = quiet, SystemName = "praison-actors",
                Runner = new BackgroundRunnerOptions { Recipes = Recipes("b"), MaxConcurrentTasks = 20 },
                Cluster = new PraisonClusterOptions { Port = 0, SeedNodes = [a.Address], Roles = ["worker"], Timings = ClusterTimings.Fast },
            });

            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            builder.Services.AddSingleton(a.Runner);
            builder.Services.AddSingleton<IClusterInfo>(new PraisonClusterInfo(a));
            app = builder.Build();
            app.MapPraisonDashboard();
            await app.StartAsync();

            // Once both regions are known to the coordinator, new shards go to both nodes.
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (DateTime.UtcNow < deadline)
            {
                var stats = await a.Region.Ask<Akka.Cluster.Sharding.ClusterShardingStats>(
                    new Akka.Cluster.Sharding.GetClusterShardingStats(TimeSpan.FromSeconds(5)), TimeSpan.FromSeconds(10));
                if (stats.Regions.Count == 2) break;
                await Task.Delay(100); // polling an observable condition with a deadline
            }

            // Tasks spread over the shards of both nodes; each holds until the gate opens.
            const int Tasks = 12;
            await a.Runner.RunBackgroundManyAsync("hold", Enumerable.Range(0, Tasks).Select(_ => (RecipeRunOptions?)null));
            deadline = DateTime.UtcNow.AddSeconds(60);
            while (running.Count < Tasks && DateTime.UtcNow < deadline) await Task.Delay(50); // polling an observable condition with a deadline
            Assert.Equal(Tasks, running.Count);

            await using var page = await WatchedPage.OpenAsync(browser);
            await page.Page.GotoAsync(app.Urls.First() + "/dashboard/#/cluster");
            var members = page.Page.Locator("tr[data-member]");
            await Expect(members).ToHaveCountAsync(2);
            var rowA = page.Page.Locator($"tr[data-member='{a.Address}']");
            var rowB = page.Page.Locator($"tr[data-member='{b.Address}']");
            await Expect(rowA.GetByTestId("member-status")).ToHaveTextAsync("Up");
            await Expect(rowB.GetByTestId("member-status")).ToHaveTextAsync("Up");
            await Expect(rowA).ToContainTextAsync("this node");
            await Expect(rowA).ToContainTextAsync("web");
            await Expect(rowB).ToContainTextAsync("worker");

            // Tasks per node from the shard statistics: each node holds exactly the tasks its own recipe reported running.
            var onA = running.Values.Count(n => n == "a");
            var onB = running.Values.Count(n => n == "b");
            Assert.True(onA > 0 && onB > 0, $"the tasks did not spread: {onA} on a, {onB} on b");
            await Expect(rowA.GetByTestId("active-tasks")).ToHaveTextAsync(onA.ToString());
            await Expect(rowB.GetByTestId("active-tasks")).ToHaveTextAsync(onB.ToString());
            await Expect(rowA.GetByTestId("running")).ToHaveTextAsync(onA.ToString()); // the answering node's own supervisor
            await Expect(rowB.GetByTestId("running")).ToHaveTextAsync("–");
            await page.ScreenshotAsync("cluster");
            page.AssertNoErrors();
        }
        finally
        {
            gate.TrySetResult();
            if (app is not null) { await app.StopAsync(); await app.DisposeAsync(); }
            if (b is not null) await b.DisposeAsync();
            if (a is not null) await a.DisposeAsync();
            SqliteConnection.ClearAllPools();
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task A_local_host_says_it_is_not_clustered()
    {
        await using var host = await DashboardHost.StartAsync();
        await using var page = await WatchedPage.OpenAsync(browser);
        await page.Page.GotoAsync(host.DashboardUrl + "#/cluster");
        await Expect(page.Page.GetByTestId("not-clustered")).ToBeVisibleAsync();
        var json = await host.Http.GetStringAsync("/dashboard/api/cluster");
        Assert.Contains("\"clustered\":false", json);
        page.AssertNoErrors();
    }
}
