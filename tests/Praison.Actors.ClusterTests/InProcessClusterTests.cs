using Praison.Actors.IntegrationTests.Support;
using System.Collections.Concurrent;
using Akka.Configuration;
using Praison.Actors.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace Praison.Actors.ClusterTests;

/// <summary>Three ActorSystems in this process form a cluster on loopback ports, sharing one SQLite file.</summary>
public sealed class ThreeNodeFixture : IAsyncLifetime
{
    public const int MaxConcurrent = 2;
    public static readonly string[] Names = { "A", "B", "C" };

    private readonly SqliteTestStore _dir = new();

    public InProcessCluster Cluster { get; private set; } = null!;

    /// <summary>Per node: the tasks its "block" recipe is running, with their cancellation token.</summary>
    public ConcurrentDictionary<string, (string Node, CancellationToken Token)> Blocked { get; } = new();

    /// <summary>Per node: tasks of the "work" recipe running now, and the most ever seen at once.</summary>
    public int[] Running { get; } = new int[3];
    public int[] MaxRunning { get; } = new int[3];
    public int[] Ran { get; } = new int[3];

    public async Task InitializeAsync()
    {
        Cluster = await InProcessCluster.StartAsync(_dir.Store, 3, Recipes, MaxConcurrent,
            // No serialize-messages here: Akka.Persistence.Sql's own internal messages do not survive it; messages between nodes are serialized for real.
            ConfigurationFactory.ParseString("akka.loglevel = WARNING"));
    }

    private RecipeRegistry Recipes(int node)
    {
        var name = Names[node];
        return new RecipeRegistry()
            .Register("name: block\n", async ctx =>
            {
                Blocked[ctx.TaskId] = (name, ctx.CancellationToken);
                await Task.Delay(Timeout.Infinite, ctx.CancellationToken);
                return "never";
            })
            .Register("name: echo\n", ctx => Task.FromResult<object?>(name))
            .Register("name: flaky\n", ctx => ctx.Attempt == 1 ? throw new InvalidOperationException("first attempt") : Task.FromResult<object?>(name))
            .Register("name: work\n", async ctx =>
            {
                var now = Interlocked.Increment(ref Running[node]);
                InterlockedMax(ref MaxRunning[node], now);
                try
                {
                    await Task.Delay(150, ctx.CancellationToken);
                }
                finally
                {
                    Interlocked.Decrement(ref Running[node]);
                    Interlocked.Increment(ref Ran[node]);
                }
                return name;
            });
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen) { }
    }

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        await _dir.DisposeAsync();
    }
}

[Collection("cluster")]
public class InProcessClusterTests(ThreeNodeFixture fixture, ITestOutputHelper output) : IClassFixture<ThreeNodeFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private BackgroundRunner A => fixture.Cluster.Nodes[0].Runner;
    private BackgroundRunner B => fixture.Cluster.Nodes[1].Runner;

    [Fact]
    public async Task An_unfinished_task_whose_entity_stops_is_woken_by_its_node_without_anyone_asking()
    {
        // Shards do not remember entities: when a task's entity stops with the task unfinished (as in a hand-off to a
        // joining node), its node's sweeper wakes it through the region. Nobody here asks the task anything (a query
        // would start the entity itself), and the periodic sweep is a minute away.
        var h = await A.RunBackgroundAsync("block");
        var node = await Eventually.UntilAsync(() => Task.FromResult(fixture.Blocked.TryGetValue(h.TaskId, out var b) ? b.Node : null),
            n => n is not null, Patience, $"task {h.TaskId} starts");
        var system = fixture.Cluster.Nodes[Array.IndexOf(ThreeNodeFixture.Names, node)].System;
        var entity = await system.ActorSelection($"/system/sharding/{Praison.Actors.Cluster.PraisonClusterOptions.ShardTypeName}/*/{h.TaskId}")
            .ResolveOne(Patience);
        entity.Tell(Akka.Actor.PoisonPill.Instance, Akka.Actor.ActorRefs.NoSender);

        // The woken entity replays a running "block" task (no on_restart: rerun) and fails it as interrupted.
        var stored = await Eventually.UntilAsync(
            async () => (await fixture.Cluster.Nodes[0].Store.ReadTasksAsync()).SingleOrDefault(t => t.Info.TaskId == h.TaskId),
            t => t is { Info.IsTerminal: true }, Patience, $"task {h.TaskId} is woken and ends");
        Assert.Equal(BackgroundTaskStatus.Failed, stored!.Info.Status);
        Assert.True(fixture.Blocked[h.TaskId].Token.IsCancellationRequested, "the work of the stopped entity was cancelled");
    }

    [Fact]
    public async Task A_handle_on_node_A_waits_for_and_cancels_a_task_running_on_node_C()
    {
        // Ids are hashed onto shards spread over the nodes: submit from A until one task lands on C. One that lands
        // elsewhere is cancelled at once: it would hold one of its node's two slots, and a third on that node would never start.
        var elsewhere = 0;
        BackgroundTaskHandle? onC = null;
        for (var i = 0; i < 40 && onC is null; i++)
        {
            var h = await A.RunBackgroundAsync("block");
            var started = await Eventually.UntilAsync(() => Task.FromResult(fixture.Blocked.TryGetValue(h.TaskId, out var b) ? b.Node : null),
                n => n is not null, Patience, $"task {h.TaskId} starts");
            if (started == "C")
            {
                onC = h;
                continue;
            }
            Assert.True(await h.CancelAsync());
            elsewhere++;
        }
        Assert.NotNull(onC);
        output.WriteLine($"task {onC.TaskId} runs on C after {elsewhere} landed elsewhere");

        Assert.Equal(BackgroundTaskStatus.Running, (await onC.StatusAsync()).Status);
        await using (var updates = onC.WatchAsync().GetAsyncEnumerator())
        {
            Assert.True(await updates.MoveNextAsync());
            Assert.Equal(BackgroundTaskStatus.Running, updates.Current.Status);
        }

        // A wait with a limit ends at it, and the task keeps running.
        await Assert.ThrowsAsync<TimeoutException>(() => onC.WaitAsync(TimeSpan.FromMilliseconds(300)));
        Assert.Equal(BackgroundTaskStatus.Running, (await onC.StatusAsync()).Status);

        var waiting = onC.WaitAsync(Patience);
        Assert.False(waiting.IsCompleted);
        Assert.True(await onC.CancelAsync());
        await Assert.ThrowsAsync<TaskCanceledException>(() => waiting);
        Assert.True(fixture.Blocked[onC.TaskId].Token.IsCancellationRequested, "the work on C saw its token cancelled");
        Assert.Equal(BackgroundTaskStatus.Cancelled, (await B.GetStatusAsync(onC.TaskId)).Status);
        Assert.False(await B.CancelAsync(onC.TaskId));

        // A result computed on C is returned to a waiter on A.
        string? result = null;
        for (var i = 0; i < 40 && result != "C"; i++)
            result = await (await A.RunBackgroundAsync("echo")).WaitAsync(Patience) as string;
        Assert.Equal("C", result);
    }

    [Fact]
    public async Task Per_node_concurrency_is_never_exceeded()
    {
        const int tasks = 36;
        var runners = fixture.Cluster.Nodes.Select(n => n.Runner).ToList();
        var handles = new List<BackgroundTaskHandle>();
        for (var i = 0; i < tasks; i++) handles.Add(await runners[i % 3].RunBackgroundAsync("work"));
        var ranOn = new List<string>();
        foreach (var h in handles) ranOn.Add((string)(await A.GetHandle(h.TaskId).WaitAsync(Patience))!);

        output.WriteLine($"ran per node: {string.Join(", ", ranOn.GroupBy(n => n).OrderBy(g => g.Key).Select(g => $"{g.Key}={g.Count()}"))}; " +
            $"max at once per node: {string.Join(", ", fixture.MaxRunning)} (limit {ThreeNodeFixture.MaxConcurrent})");
        Assert.All(fixture.MaxRunning, max => Assert.InRange(max, 0, ThreeNodeFixture.MaxConcurrent));
        Assert.True(ranOn.Distinct().Count() >= 2, "tasks ran on more than one node");
        // More than one node's worth of slots was in use at once somewhere (the limit is per node, not global).
        Assert.Contains(fixture.MaxRunning, max => max == ThreeNodeFixture.MaxConcurrent);
    }

    [Fact]
    public async Task Listing_on_any_node_covers_tasks_run_on_every_node()
    {
        var ids = new List<string>();
        for (var i = 0; i < 9; i++)
        {
            var h = await fixture.Cluster.Nodes[i % 3].Runner.RunBackgroundAsync("echo", new RecipeRunOptions { SessionId = "listing" });
            await h.WaitAsync(Patience);
            ids.Add(h.TaskId);
        }
        foreach (var node in fixture.Cluster.Nodes)
        {
            var listed = await node.Runner.ListAsync(new TaskQuery(SessionId: "listing"));
            Assert.Equal(ids.Order(), listed.Select(t => t.TaskId).Order());
            Assert.All(listed, t => Assert.Equal(BackgroundTaskStatus.Completed, t.Status));
        }
    }

    [Fact]
    public async Task A_retried_recipe_waits_through_its_retry_in_the_cluster_and_a_failed_one_is_retried_from_any_node()
    {
        var retry = new RetryPolicy { MaxAttempts = 2, InitialDelay = TimeSpan.Zero, MaxDelay = TimeSpan.Zero };
        var h = await B.RunBackgroundAsync("flaky", new RecipeRunOptions { Retry = retry });
        Assert.Contains((string)(await h.WaitAsync(Patience))!, ThreeNodeFixture.Names);
        var info = await A.GetStatusAsync(h.TaskId);
        Assert.Equal((BackgroundTaskStatus.Completed, 2, 2), (info.Status, info.Attempt, info.MaxAttempts));
        Assert.Equal("first attempt", Assert.Single(info.AttemptErrors).Message);

        var once = await B.RunBackgroundAsync("flaky", new RecipeRunOptions { SessionId = "retry-me" });
        await Assert.ThrowsAsync<RecipeException>(() => once.WaitAsync(Patience));
        var again = await fixture.Cluster.Nodes[2].Runner.RetryAsync(once.TaskId);
        Assert.NotEqual(once.TaskId, again.TaskId);
        Assert.Equal("retry-me", (await again.StatusAsync()).SessionId);
        await Assert.ThrowsAsync<RecipeException>(() => again.WaitAsync(Patience)); // attempt 1 of the new task fails too
    }

    [Fact]
    public async Task A_webhook_is_delivered_once_by_the_node_its_task_finishes_on_and_readable_from_any_node()
    {
        var port = FreePort.Next();
        using var listener = new System.Net.HttpListener();
        var url = $"http://127.0.0.1:{port}/hook/";
        listener.Prefixes.Add(url);
        listener.Start();

        var h = await A.RunBackgroundAsync("echo", new RecipeRunOptions { WebhookUrl = url });
        var request = await listener.GetContextAsync().WaitAsync(Patience);
        string body;
        using (var reader = new StreamReader(request.Request.InputStream)) body = await reader.ReadToEndAsync();
        request.Response.StatusCode = 200;
        request.Response.Close();
        using var json = System.Text.Json.JsonDocument.Parse(body);
        Assert.Equal(h.TaskId, json.RootElement.GetProperty("job_id").GetString());
        Assert.Equal("succeeded", json.RootElement.GetProperty("status").GetString());
        Assert.Equal("msg_" + h.TaskId, request.Request.Headers["webhook-id"]);

        var deadline = DateTime.UtcNow + Patience;
        WebhookDelivery? d;
        while ((d = await B.GetWebhookDeliveryAsync(h.TaskId))?.Delivered != true)
        {
            Assert.True(DateTime.UtcNow < deadline, $"not delivered in time: {d?.State}");
            await Task.Delay(20); // polling an observable condition with a deadline
        }
        Assert.Single(d.Attempts);
    }

    [Fact]
    public async Task Delegate_tasks_are_rejected_with_a_clear_error()
    {
        var ex = await Assert.ThrowsAsync<TaskRejectedException>(() => A.SubmitAsync(_ => Task.FromResult(1)));
        Assert.Contains("cannot run in a cluster", ex.Message);
        Assert.Contains("recipe", ex.Message);
    }

    [Fact]
    public async Task One_id_submitted_from_every_node_at_once_is_stored_and_run_once()
    {
        var nodes = fixture.Cluster.Nodes;
        var handles = await Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
            nodes[i % 3].Runner.RunBackgroundAsync("echo", new RecipeRunOptions { TaskId = "cluster-once", SessionId = "once" })));

        Assert.Single(handles, h => h.Created);
        var results = await Task.WhenAll(handles.Select(h => h.WaitAsync(Patience)));
        Assert.Single(results.Distinct()); // every handle names the one run, on whichever node ran it
        Assert.Single(await A.ListAsync(new TaskQuery(SessionId: "once")));
    }

    [Fact]
    public async Task An_unknown_id_is_not_found_from_any_node()
    {
        await Assert.ThrowsAsync<TaskNotFoundException>(() => B.GetStatusAsync("no-such-task"));
        await Assert.ThrowsAsync<TaskNotFoundException>(() => A.GetHandle("no-such-task").WaitAsync(Patience));
    }
}
