using System.Collections.Concurrent;
using Praison.Actors.IntegrationTests.Support;
using Praison.Actors.Persistence;
using Xunit;

namespace Praison.Actors.IntegrationTests.Persistence;

/// <summary>
/// The durable-state checks, written once and run on a real SQLite file and on a real PostgreSQL server
/// (see the two subclasses). Each check stops one runtime and starts another on the same store.
/// </summary>
public abstract class DurableStoreSuite
{
    protected static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    protected abstract Task<TestStore> CreateStoreAsync();

    /// <summary>Every message is serialized, as between nodes, so the JSON serializer is exercised end to end.</summary>
    private static readonly Akka.Configuration.Config SerializeEverything =
        Akka.Configuration.ConfigurationFactory.ParseString("akka.actor.serialize-messages = on");

    private static Task<PraisonRuntime> StartAsync(TestStore store, RecipeRegistry recipes, int maxConcurrent = 5) =>
        PraisonRuntime.StartAsync(new PraisonRuntimeOptions
        {
            Store = store.Store,
            Config = SerializeEverything,
            Runner = new BackgroundRunnerOptions { Recipes = recipes, MaxConcurrentTasks = maxConcurrent },
        });

    /// <summary>Registry of the restart scenario; <paramref name="blocking"/> makes the long recipes wait for cancellation.</summary>
    private static RecipeRegistry RestartRecipes(bool blocking, ConcurrentQueue<string> ran)
    {
        async Task<object?> Long(RecipeContext ctx)
        {
            ran.Enqueue($"{ctx.Name}:{ctx.GetInputString("n")}:{ctx.Attempt}");
            if (blocking) await Task.Delay(Timeout.Infinite, ctx.CancellationToken);
            return $"{ctx.GetInputString("n")}@{ctx.Attempt}";
        }
        return new RecipeRegistry()
            .Register("name: quick\n", ctx => { ran.Enqueue($"quick:{ctx.GetInputString("n")}:{ctx.Attempt}"); return Task.FromResult<object?>(ctx.GetInputString("n")); })
            .Register("name: brief\nruntime:\n  background:\n    cleanup_delay_sec: 2\n", _ => Task.FromResult<object?>("brief"))
            .Register("name: resumable\nruntime:\n  background:\n    on_restart: rerun\n", Long)
            .Register("name: fragile\n", Long);
    }

    protected async Task Restart_keeps_states_results_and_order()
    {
        await using var store = await CreateStoreAsync();
        var ran1 = new ConcurrentQueue<string>();
        string quick, brief, resumable, fragile, runningDelegate, pendingDelegate;
        var pending = new List<string>();
        await using (var rt = await StartAsync(store, RestartRecipes(blocking: true, ran1), maxConcurrent: 3))
        {
            var r = rt.Runner;
            quick = (await r.RunBackgroundAsync("quick", new RecipeRunOptions { Input = new { n = "q" }, SessionId = "s1" })).TaskId;
            Assert.Equal("q", await r.GetHandle(quick).WaitAsync(Long));
            brief = (await r.RunBackgroundAsync("brief")).TaskId;
            Assert.Equal("brief", await r.GetHandle(brief).WaitAsync(Long));

            resumable = (await r.RunBackgroundAsync("resumable", new RecipeRunOptions { Input = new { n = "r" } })).TaskId;
            fragile = (await r.RunBackgroundAsync("fragile", new RecipeRunOptions { Input = new { n = "f" } })).TaskId;
            var gate = new TaskCompletionSource();
            runningDelegate = (await r.SubmitAsync(async ctx => { await gate.Task.WaitAsync(ctx.CancellationToken); return 1; })).TaskId;
            for (var i = 1; i <= 3; i++)
                pending.Add((await r.RunBackgroundAsync("quick", new RecipeRunOptions { Input = new { n = $"p{i}" }, SessionId = "s2" })).TaskId);
            pendingDelegate = (await r.SubmitAsync(_ => Task.FromResult(2))).TaskId;

            await StoreSql.UntilAsync(async () => (await r.ListAsync(new TaskQuery(BackgroundTaskStatus.Running))).Count == 3, "three tasks run");
            Assert.Equal(4, (await r.ListAsync(new TaskQuery(BackgroundTaskStatus.Pending))).Count);
        } // graceful stop with three tasks running and four pending

        var ran2 = new ConcurrentQueue<string>();
        await using (var rt = await StartAsync(store, RestartRecipes(blocking: false, ran2), maxConcurrent: 1))
        {
            var r = rt.Runner;
            var all = await r.ListAsync();
            Assert.Equal(new[] { quick, brief, resumable, fragile, runningDelegate }.Concat(pending).Append(pendingDelegate), all.Select(t => t.TaskId));

            Assert.Equal("q", await r.GetHandle(quick).WaitAsync(Long));
            Assert.Equal("s1", (await r.GetStatusAsync(quick)).SessionId);
            Assert.Equal("r@2", await r.GetHandle(resumable).WaitAsync(Long)); // re-run: at-least-once

            var fragileError = await Assert.ThrowsAsync<RecipeException>(() => r.GetHandle(fragile).WaitAsync(Long));
            Assert.Equal(TaskErrorKind.Interrupted, fragileError.Error!.Kind);
            Assert.Contains("on_restart: rerun", fragileError.Message);

            var delegateError = await Assert.ThrowsAsync<BackgroundTaskFailedException>(() => r.GetHandle(runningDelegate).WaitAsync(Long));
            Assert.Equal(TaskErrorKind.Interrupted, delegateError.Error.Kind);
            Assert.Contains("cannot be resumed", delegateError.Message);
            var pendingDelegateError = await Assert.ThrowsAsync<BackgroundTaskFailedException>(() => r.GetHandle(pendingDelegate).WaitAsync(Long));
            Assert.Equal(TaskErrorKind.Interrupted, pendingDelegateError.Error.Kind);

            for (var i = 0; i < 3; i++) Assert.Equal($"p{i + 1}", await r.GetHandle(pending[i]).WaitAsync(Long));
            // With one slot the order of execution is the order of submission: the interrupted run first.
            Assert.Equal(new[] { "resumable:r:2", "quick:p1:1", "quick:p2:1", "quick:p3:1" }, ran2.ToArray());
            Assert.Equal(new[] { pending[0], pending[1], pending[2] },
                (await r.ListAsync(new TaskQuery(SessionId: "s2"))).Select(t => t.TaskId));

            // The brief task's cleanup deadline (2 s after it finished, before the restart) still holds.
            await StoreSql.UntilAsync(async () => (await r.ListAsync()).All(t => t.TaskId != brief), "the brief task is cleaned up");
            await Assert.ThrowsAsync<TaskNotFoundException>(() => r.GetStatusAsync(brief));
            await StoreSql.UntilAsync(async () => await store.Store.Sql!.CountRowsAsync(brief, CancellationToken.None) == 0,
                "the brief task's rows are gone from the journal");
        }
    }

    protected async Task A_restart_never_grants_a_fresh_timeout()
    {
        await using var store = await CreateStoreAsync();
        var executions = 0;
        RecipeRegistry Recipes() => new RecipeRegistry().Register("name: slow\nruntime:\n  timeout_sec: 2\n  background:\n    on_restart: rerun\n",
            async ctx => { Interlocked.Increment(ref executions); await Task.Delay(Timeout.Infinite, ctx.CancellationToken); return null; });

        string id;
        DateTimeOffset startedAt;
        await using (var rt = await StartAsync(store, Recipes()))
        {
            id = (await rt.Runner.RunBackgroundAsync("slow")).TaskId;
            await StoreSql.UntilAsync(async () => (await rt.Runner.GetStatusAsync(id)).Status == BackgroundTaskStatus.Running, "it runs");
            startedAt = (await rt.Runner.GetStatusAsync(id)).StartedAt!.Value;
        }
        // The process stays down past the task's deadline (the scenario itself, not a synchronisation).
        var downtime = startedAt.AddSeconds(2.2) - DateTimeOffset.UtcNow;
        if (downtime > TimeSpan.Zero) await Task.Delay(downtime);

        await using (var rt = await StartAsync(store, Recipes()))
        {
            var ex = await Assert.ThrowsAsync<TaskTimedOutException>(() => rt.Runner.GetHandle(id).WaitAsync(Long));
            Assert.Equal(TaskErrorKind.Timeout, ex.Error.Kind);
            Assert.Equal(startedAt, (await rt.Runner.GetStatusAsync(id)).StartedAt);
        }
        Assert.Equal(1, executions); // the restart did not run it again
    }

    protected async Task Cleaned_up_tasks_leave_no_rows()
    {
        await using var store = await CreateStoreAsync();
        var recipes = new RecipeRegistry().Register("name: gone\nruntime:\n  background:\n    cleanup_delay_sec: 0\n", _ => Task.FromResult<object?>(1));
        await using var rt = await StartAsync(store, recipes);
        var ids = new List<string>();
        for (var i = 0; i < 20; i++) ids.Add((await rt.Runner.RunBackgroundAsync("gone")).TaskId);
        var kept = await rt.Runner.SubmitAsync(_ => Task.FromResult("kept"));
        await kept.WaitAsync(Long);
        Assert.True(await store.Store.Sql!.CountRowsAsync(kept.TaskId, CancellationToken.None) > 0);

        await StoreSql.UntilAsync(async () => (await rt.Runner.ListAsync()).Count == 1, "the 20 tasks are cleaned up");
        foreach (var id in ids)
            await StoreSql.UntilAsync(async () => await store.Store.Sql!.CountRowsAsync(id, CancellationToken.None) == 0, $"rows of {id} are purged");
        Assert.Equal(new[] { kept.TaskId }, (await store.Store.ReadTasksAsync()).Select(t => t.Info.TaskId));
    }

    protected async Task A_second_process_can_read_and_cancel_pending_tasks()
    {
        await using var store = await CreateStoreAsync();
        var recipes = new RecipeRegistry().Register("name: later\n", _ => Task.FromResult<object?>("ran"));
        string first, second;
        // A process that only stores: nothing runs here.
        await using (var cli = await PraisonRuntime.StartAsync(new PraisonRuntimeOptions
                     {
                         Store = store.Store,
                         Runner = new BackgroundRunnerOptions { Recipes = recipes, ExecuteTasks = false },
                     }))
        {
            first = (await cli.Runner.RunBackgroundAsync("later")).TaskId;
            second = (await cli.Runner.RunBackgroundAsync("later")).TaskId;
            Assert.Equal(BackgroundTaskStatus.Pending, (await cli.Runner.GetStatusAsync(first)).Status);
            Assert.True(await cli.Runner.CancelAsync(second));
        }
        var stored = await store.Store.ReadTasksAsync();
        Assert.Equal(new[] { BackgroundTaskStatus.Pending, BackgroundTaskStatus.Cancelled }, stored.Select(t => t.Info.Status));

        // A host started later runs what was left pending.
        await using var host = await StartAsync(store, recipes);
        Assert.Equal("ran", await host.Runner.GetHandle(first).WaitAsync(Long));
        Assert.Equal(BackgroundTaskStatus.Cancelled, (await host.Runner.GetStatusAsync(second)).Status);
    }

    protected async Task A_second_process_cannot_cancel_a_task_its_host_runs()
    {
        await using var store = await CreateStoreAsync();
        var recipes = new RecipeRegistry().Register("name: long\n", async ctx => { await Task.Delay(Timeout.Infinite, ctx.CancellationToken); return null; });
        await using var host = await StartAsync(store, recipes);
        var h = await host.Runner.RunBackgroundAsync("long");
        await StoreSql.UntilAsync(async () => (await h.StatusAsync()).Status == BackgroundTaskStatus.Running, "it runs");

        await using (var cli = await PraisonRuntime.StartAsync(new PraisonRuntimeOptions
                     {
                         Store = store.Store,
                         Runner = new BackgroundRunnerOptions { Recipes = recipes, ExecuteTasks = false },
                     }))
        {
            // Two writers on one task would corrupt its journal: the cancel is refused, naming the host.
            var ex = await Assert.ThrowsAsync<TaskRejectedException>(() => cli.Runner.CancelAsync(h.TaskId));
            Assert.Contains("running in a host process", ex.Message);
            await Assert.ThrowsAsync<TaskRejectedException>(() => cli.Runner.RemoveAsync(h.TaskId, cancelIfActive: true));
        }
        Assert.True(await h.CancelAsync());
        await Assert.ThrowsAsync<TaskCanceledException>(() => h.WaitAsync(Long));
    }
}
