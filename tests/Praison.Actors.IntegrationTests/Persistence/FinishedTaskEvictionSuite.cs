using Akka.Actor;
using Microsoft.Data.Sqlite;
using Praison.Actors.IntegrationTests.Support;
using Praison.Actors.Persistence;
using Praison.Actors.Tasks;
using Xunit;

namespace Praison.Actors.IntegrationTests.Persistence;

/// <summary>
/// On a store with a task table a finished task leaves the supervisor's memory; the table answers for it (status, wait,
/// cancel, remove), start-up reads only unfinished tasks, cleanup is swept from the table, and a failed read of the
/// table is an error to the client, never "not found". Running progress reaches the table for other processes.
/// </summary>
public abstract class FinishedTaskEvictionSuite
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    private static RecipeRegistry Recipes() => new RecipeRegistry()
        .Register("name: answer\n", ctx => Task.FromResult<object?>($"answer-{ctx.GetInputString("n")}"))
        .Register("name: brief\nruntime:\n  background:\n    cleanup_delay_sec: 2\n", _ => Task.FromResult<object?>("brief"));

    protected abstract Task<TestStore> CreateStoreAsync();

    private static Task<PraisonRuntime> StartAsync(TestStore store) =>
        PraisonRuntime.StartAsync(new PraisonRuntimeOptions
        {
            Store = store.Store,
            Runner = new BackgroundRunnerOptions { Recipes = Recipes(), MaxConcurrentTasks = 4 },
        });

    private static Task<int> HeldAsync(PraisonRuntime rt) => rt.Runner.Router.Ask<int>(TaskSupervisor.CountHeld.Instance, Long);

    protected async Task A_finished_task_leaves_memory_yet_answers_status_wait_cancel_and_remove()
    {
        await using var store = await CreateStoreAsync();
        await using var rt = await StartAsync(store);
        var r = rt.Runner;
        var first = await r.RunBackgroundAsync("answer", new RecipeRunOptions { Input = new { n = "1" } });
        var second = await r.RunBackgroundAsync("answer", new RecipeRunOptions { Input = new { n = "2" } });
        Assert.Equal("answer-1", await first.WaitAsync(Long));
        Assert.Equal("answer-2", await second.WaitAsync(Long));

        await StoreSql.UntilAsync(async () => await HeldAsync(rt) == 0, "both finished tasks left memory");

        var status = await r.GetStatusAsync(first.TaskId);
        Assert.Equal(BackgroundTaskStatus.Completed, status.Status);
        Assert.Equal("answer", status.Name);
        Assert.Equal("answer-1", await r.GetHandle(first.TaskId).WaitAsync(Long));
        Assert.False(await r.CancelAsync(first.TaskId));
        var updates = new List<TaskUpdate>();
        await foreach (var u in r.GetHandle(second.TaskId).WatchAsync()) updates.Add(u);
        Assert.Equal(BackgroundTaskStatus.Completed, Assert.Single(updates).Status);

        await r.RemoveAsync(first.TaskId);
        await Assert.ThrowsAsync<TaskNotFoundException>(() => r.GetStatusAsync(first.TaskId));
        Assert.Null(await store.Store.GetTaskAsync(first.TaskId));
        await StoreSql.UntilAsync(async () => await store.Store.Sql!.CountRowsAsync(first.TaskId, CancellationToken.None) == 0, "its journal rows are purged");
        Assert.Equal(BackgroundTaskStatus.Completed, (await r.GetStatusAsync(second.TaskId)).Status); // only the one removed
        await Assert.ThrowsAsync<TaskNotFoundException>(() => r.GetStatusAsync("never-submitted"));

        Assert.Equal(1, await r.ClearAsync());
        await StoreSql.UntilAsync(async () => (await r.ListAsync()).Count == 0, "the cleared task's deletion is stored"); // a clear answers once the deletes are asked for
    }

    protected async Task A_restart_does_not_load_finished_tasks()
    {
        await using var store = await CreateStoreAsync();
        var ids = new List<string>();
        await using (var rt = await StartAsync(store))
        {
            var handles = await rt.Runner.RunBackgroundManyAsync("answer",
                Enumerable.Range(0, 50).Select(i => (RecipeRunOptions?)new RecipeRunOptions { Input = new { n = $"{i}" } }));
            foreach (var h in handles) await h.WaitAsync(Long);
            ids.AddRange(handles.Select(h => h.TaskId));
        }

        await using var restarted = await StartAsync(store);
        Assert.Equal(0, await HeldAsync(restarted));
        Assert.Equal(50, (await restarted.Runner.ListAsync(new TaskQuery(BackgroundTaskStatus.Completed))).Count);
        Assert.Equal("answer-7", await restarted.Runner.GetHandle(ids[7]).WaitAsync(Long));
        Assert.Equal(0, await HeldAsync(restarted));
    }

    protected async Task An_evicted_task_is_cleaned_up_at_its_cleanup_time()
    {
        await using var store = await CreateStoreAsync();
        await using var rt = await StartAsync(store);
        var brief = await rt.Runner.RunBackgroundAsync("brief");
        Assert.Equal("brief", await brief.WaitAsync(Long));
        var finished = (await rt.Runner.GetStatusAsync(brief.TaskId)).FinishedAt!.Value;
        await StoreSql.UntilAsync(async () => await HeldAsync(rt) == 0, "the finished task left memory");

        await StoreSql.UntilAsync(async () => await store.Store.GetTaskAsync(brief.TaskId) is null, "the task was cleaned up");
        Assert.True(DateTimeOffset.UtcNow >= finished + TimeSpan.FromSeconds(2), "cleaned up before its cleanup delay passed");
        await StoreSql.UntilAsync(async () => await store.Store.Sql!.CountRowsAsync(brief.TaskId, CancellationToken.None) == 0, "its journal rows are purged");
        await Assert.ThrowsAsync<TaskNotFoundException>(() => rt.Runner.GetStatusAsync(brief.TaskId));
    }

    protected async Task A_failed_read_of_an_evicted_task_is_an_error_not_not_found()
    {
        await using var store = await CreateStoreAsync();
        await using var rt = await StartAsync(store);
        var h = await rt.Runner.RunBackgroundAsync("answer", new RecipeRunOptions { Input = new { n = "x" } });
        await h.WaitAsync(Long);
        await StoreSql.UntilAsync(async () => await HeldAsync(rt) == 0, "the finished task left memory");

        await StoreSql.ExecuteAsync(store, $"ALTER TABLE {TaskTable.Name} RENAME TO hidden_tasks");
        var error = await Assert.ThrowsAsync<TaskStoreException>(() => rt.Runner.GetStatusAsync(h.TaskId));
        Assert.Contains(TaskTable.Name, error.Message);
        await Assert.ThrowsAsync<TaskStoreException>(() => h.WaitAsync(Long));
        await Assert.ThrowsAsync<TaskStoreException>(() => rt.Runner.RemoveAsync(h.TaskId));

        await StoreSql.ExecuteAsync(store, $"ALTER TABLE hidden_tasks RENAME TO {TaskTable.Name}");
        Assert.Equal(BackgroundTaskStatus.Completed, (await rt.Runner.GetStatusAsync(h.TaskId)).Status);
    }

    protected async Task Progress_of_a_running_task_reaches_the_table()
    {
        await using var store = await CreateStoreAsync();
        await using var rt = await StartAsync(store);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var h = await rt.Runner.SubmitAsync(async ctx =>
        {
            ctx.ReportProgress(0.25, "a quarter");
            ctx.ReportProgress(0.5, "half way");
            await gate.Task.WaitAsync(ctx.CancellationToken);
            ctx.ReportProgress(1, "done");
            return 1;
        });

        var reader = store.Store; // another instance, as another process would have
        TaskStatusInfo? seen = null;
        await StoreSql.UntilAsync(async () => (seen = await reader.GetTaskAsync(h.TaskId))?.Progress?.Fraction == 0.5, "the progress is in the table");
        Assert.Equal(BackgroundTaskStatus.Running, seen!.Status);
        Assert.Equal("half way", seen.Progress!.Message);
        gate.SetResult();
        Assert.Equal(1, await h.WaitAsync(Long));

        // The last progress is in the row before the task is answered as finished, so the evicted task still shows it.
        await StoreSql.UntilAsync(async () => await HeldAsync(rt) == 0, "the finished task left memory");
        var finished = await rt.Runner.GetStatusAsync(h.TaskId);
        Assert.Equal(BackgroundTaskStatus.Completed, finished.Status);
        Assert.Equal(1, finished.Progress!.Fraction);
        Assert.Equal("done", finished.Progress.Message);
    }
}

[Collection("durable")]
public class SqliteFinishedTaskEvictionTests : FinishedTaskEvictionSuite
{
    protected override Task<TestStore> CreateStoreAsync() => Task.FromResult<TestStore>(new SqliteTestStore());

    [Fact] public Task A_finished_task_leaves_memory_yet_answers_status_wait_cancel_and_remove_on_sqlite() => A_finished_task_leaves_memory_yet_answers_status_wait_cancel_and_remove();
    [Fact] public Task A_restart_does_not_load_finished_tasks_on_sqlite() => A_restart_does_not_load_finished_tasks();
    [Fact] public Task An_evicted_task_is_cleaned_up_at_its_cleanup_time_on_sqlite() => An_evicted_task_is_cleaned_up_at_its_cleanup_time();
    [Fact] public Task A_failed_read_of_an_evicted_task_is_an_error_not_not_found_on_sqlite() => A_failed_read_of_an_evicted_task_is_an_error_not_not_found();
    [Fact] public Task Progress_of_a_running_task_reaches_the_table_on_sqlite() => Progress_of_a_running_task_reaches_the_table();
}

[Collection("durable")]
public class PostgresFinishedTaskEvictionTests : FinishedTaskEvictionSuite
{
    protected override async Task<TestStore> CreateStoreAsync() => await PostgresTestStore.CreateAsync();

    [PostgresFact] public Task A_finished_task_leaves_memory_yet_answers_status_wait_cancel_and_remove_on_postgres() => A_finished_task_leaves_memory_yet_answers_status_wait_cancel_and_remove();
    [PostgresFact] public Task A_restart_does_not_load_finished_tasks_on_postgres() => A_restart_does_not_load_finished_tasks();
    [PostgresFact] public Task An_evicted_task_is_cleaned_up_at_its_cleanup_time_on_postgres() => An_evicted_task_is_cleaned_up_at_its_cleanup_time();
    [PostgresFact] public Task A_failed_read_of_an_evicted_task_is_an_error_not_not_found_on_postgres() => A_failed_read_of_an_evicted_task_is_an_error_not_not_found();
    [PostgresFact] public Task Progress_of_a_running_task_reaches_the_table_on_postgres() => Progress_of_a_running_task_reaches_the_table();
}
