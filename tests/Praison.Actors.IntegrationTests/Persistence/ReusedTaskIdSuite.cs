using Akka.Actor;
using Praison.Actors.IntegrationTests.Support;
using Xunit;

namespace Praison.Actors.IntegrationTests.Persistence;

/// <summary>
/// A caller-given task id is claimed in the store with the submission's write: a reused id returns the stored task
/// (<see cref="ActorHandle.Created"/> false) after its record left memory, after a restart, and when two hosts on one
/// store submit it at once; the work runs once.
/// </summary>
public abstract class ReusedTaskIdSuite
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    protected abstract Task<TestStore> CreateStoreAsync();

    private static Task<PraisonRuntime> StartAsync(TestStore store, Func<RecipeContext, Task<object?>> run) =>
        PraisonRuntime.StartAsync(new PraisonRuntimeOptions
        {
            Store = store.Store,
            Runner = new BackgroundRunnerOptions { Recipes = new RecipeRegistry().Register("name: once\n", run), MaxConcurrentTasks = 4 },
        });

    protected async Task A_reused_id_returns_the_stored_task_after_eviction_and_restart()
    {
        await using var store = await CreateStoreAsync();
        var runs = 0;
        Task<object?> Run(RecipeContext ctx)
        {
            Interlocked.Increment(ref runs);
            return Task.FromResult<object?>(ctx.GetInputString("n"));
        }

        await using (var rt = await StartAsync(store, Run))
        {
            var first = await rt.Runner.RunBackgroundAsync("once", new RecipeRunOptions { TaskId = "run_0123456789ab", Input = new { n = "first" } });
            Assert.True(first.Created);
            Assert.Equal("first", await first.WaitAsync(Long));
            // Finished tasks leave memory on a store with a task table: the id is then known only to the store.
            await AwaitAsync(async () => (await rt.Runner.Router.Ask<int>(Tasks.TaskSupervisor.CountHeld.Instance, Long)) == 0);
            var again = await rt.Runner.RunBackgroundAsync("once", new RecipeRunOptions { TaskId = "run_0123456789ab", Input = new { n = "second" } });
            Assert.False(again.Created);
            Assert.Equal("first", await again.WaitAsync(Long));
        }

        await using (var rt = await StartAsync(store, Run))
        {
            var afterRestart = await rt.Runner.RunBackgroundAsync("once", new RecipeRunOptions { TaskId = "run_0123456789ab", Input = new { n = "third" } });
            Assert.False(afterRestart.Created);
            Assert.Equal("first", await afterRestart.WaitAsync(Long));
            Assert.Single(await rt.Runner.ListAsync());
        }
        Assert.Equal(1, runs);
    }

    protected async Task Two_hosts_on_one_store_submitting_one_id_store_it_once()
    {
        await using var store = await CreateStoreAsync();
        var runs = 0;
        var release = new TaskCompletionSource();
        async Task<object?> Run(RecipeContext ctx)
        {
            Interlocked.Increment(ref runs);
            await release.Task;
            return "done";
        }
        await using var a = await StartAsync(store, Run);
        await using var b = await StartAsync(store, Run);

        var ids = Enumerable.Range(0, 20).Select(i => $"race-{i}").ToList();
        var fromA = ids.Select(id => a.Runner.RunBackgroundAsync("once", new RecipeRunOptions { TaskId = id })).ToList();
        var fromB = ids.Select(id => b.Runner.RunBackgroundAsync("once", new RecipeRunOptions { TaskId = id })).ToList();
        var handles = await Task.WhenAll(fromA.Concat(fromB));
        release.SetResult();

        foreach (var id in ids)
            Assert.Equal(1, handles.Count(h => h.TaskId == id && h.Created)); // exactly one submission stored each id
        foreach (var h in handles.Where(h => h.Created)) Assert.Equal("done", await h.WaitAsync(Long));
        Assert.Equal(ids.Count, runs);
    }

    private static async Task AwaitAsync(Func<Task<bool>> condition)
    {
        using var cts = new CancellationTokenSource(Long);
        while (!await condition())
        {
            if (cts.IsCancellationRequested) throw new TimeoutException("Timed out waiting for the condition.");
            await Task.Delay(20);
        }
    }
}

[Collection("durable")]
public class SqliteReusedTaskIdTests : ReusedTaskIdSuite
{
    protected override Task<TestStore> CreateStoreAsync() => Task.FromResult<TestStore>(new SqliteTestStore());

    [Fact] public Task A_reused_id_returns_the_stored_task_after_eviction_and_restart_on_sqlite() => A_reused_id_returns_the_stored_task_after_eviction_and_restart();
    [Fact] public Task Two_hosts_on_one_store_submitting_one_id_store_it_once_on_sqlite() => Two_hosts_on_one_store_submitting_one_id_store_it_once();
}

[Collection("durable")]
public class PostgresReusedTaskIdTests : ReusedTaskIdSuite
{
    protected override async Task<TestStore> CreateStoreAsync() => await PostgresTestStore.CreateAsync();

    [PostgresFact] public Task A_reused_id_returns_the_stored_task_after_eviction_and_restart_on_postgres() => A_reused_id_returns_the_stored_task_after_eviction_and_restart();
    [PostgresFact] public Task Two_hosts_on_one_store_submitting_one_id_store_it_once_on_postgres() => Two_hosts_on_one_store_submitting_one_id_store_it_once();
}
