using Akka.Actor;
using Akka.Configuration;
using Praison.Actors.IntegrationTests.Support;
using Praison.Actors.Lifecycle;
using Praison.Actors.Messages;
using Praison.Actors.Persistence;
using Xunit;

namespace Praison.Actors.IntegrationTests.Persistence;

/// <summary>
/// Retries in the task table on real SQLite and PostgreSQL: the row shows the attempt, the policy's maximum, the
/// stored wait and every attempt's error, written one event at a time or coalesced in one batch; a table created before
/// those columns existed gets them at start-up.
/// </summary>
public abstract class RetryTableSuite : TaskTableSuite
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);
    private static readonly DateTimeOffset At = new(2026, 12, 2, 8, 0, 0, TimeSpan.Zero);
    private static readonly TaskError First = new(TaskErrorKind.Exception, "first", "System.InvalidOperationException", "at A()");
    private static readonly TaskError Second = new(TaskErrorKind.Timeout, "second");

    private static TaskSpec Spec(string id) =>
        new(id, TaskKind.Recipe, "flaky", "flaky", null, "{}", null, 300_000, 3_600_000, Retry: new RetryPolicy { MaxAttempts = 2 });

    private static ITaskEvent[] Events(string id) =>
    [
        new TaskSubmitted(Spec(id), At), new TaskStarted(1, At.AddSeconds(1)),
        new TaskRetryScheduled(1, First, At.AddSeconds(12), At.AddSeconds(2)), new TaskStarted(2, At.AddSeconds(12)),
        new TaskRetriesExhausted(2, Second, At.AddSeconds(13)),
    ];

    protected async Task The_row_shows_attempts_the_wait_and_every_error()
    {
        await using var store = await CreateStoreAsync();
        await store.Store.PrepareAsync();
        var system = ActorSystem.Create("retry-table", PraisonRuntime.BuildConfig(store.Store, ConfigurationFactory.Empty));
        try
        {
            var journal = system.ActorOf(TaskJournal.Props(null, store.Store.Sql!.PurgeDeletedAsync, sql: store.Store.Sql!), "journal");
            var state = TaskState.Empty("one");
            var events = Events("one");
            for (var i = 0; i < events.Length; i++)
            {
                var written = await journal.Ask<TaskEventWritten>(new WriteTaskEvent("one", i + 1, events[i]), Long);
                Assert.Null(written.Error);
                state = state.Apply(events[i]);
                Assert.Equal(state.ToInfo(), await store.Store.GetTaskAsync("one"));
            }
            var row = (await store.Store.GetTaskAsync("one"))!;
            Assert.Equal((2, 2, TaskErrorKind.RetriesExhausted), (row.Attempt, row.MaxAttempts, row.Error!.Kind));
            Assert.Equal([First, Second], row.AttemptErrors);

            // The same events in one batch: one coalesced row change.
            var serializer = system.Serialization.FindSerializerFor(events[0]);
            var batch = Events("many").Select((e, i) => new JournalRowWrite("task-many", i + 1, serializer.ToBinary(e),
                ((Akka.Serialization.SerializerWithStringManifest)serializer).Manifest(e), serializer.Identifier, DateTime.UtcNow.Ticks, "test",
                TaskRowChange.Of("many", i + 1, e))).ToList();
            await store.Store.Sql!.WriteEventsAsync(batch, CancellationToken.None);
            Assert.Equal(state.ToInfo() with { TaskId = "many" }, await store.Store.GetTaskAsync("many"));

            // Waiting: pending with its next attempt; listed as pending.
            var waiting = Events("wait")[..3];
            for (var i = 0; i < waiting.Length; i++)
                Assert.Null((await journal.Ask<TaskEventWritten>(new WriteTaskEvent("wait", i + 1, waiting[i]), Long)).Error);
            var pending = (await store.Store.GetTaskAsync("wait"))!;
            Assert.Equal((BackgroundTaskStatus.Pending, At.AddSeconds(12)), (pending.Status, pending.NextAttemptAt));
            Assert.Equal(First, pending.LastError);
        }
        finally
        {
            await system.Terminate();
        }
    }

    protected async Task A_failed_task_held_only_in_the_table_is_retried_after_a_restart()
    {
        await using var store = await CreateStoreAsync();
        var calls = 0;
        var recipes = new RecipeRegistry().Register("name: once-broken\nruntime:\n  retry:\n    max_attempts: 2\n    initial_delay_sec: 0\n",
            ctx => Interlocked.Increment(ref calls) <= 2 ? throw new InvalidOperationException("broken") : Task.FromResult<object?>(ctx.GetInputString("n")));
        var options = new PraisonRuntimeOptions { Store = store.Store, Runner = new BackgroundRunnerOptions { Recipes = recipes } };
        string id;
        await using (var first = await PraisonRuntime.StartAsync(options))
        {
            var h = await first.Runner.RunBackgroundAsync("once-broken", new RecipeRunOptions { Input = new { n = "7" }, SessionId = "s" });
            await Assert.ThrowsAsync<RecipeException>(() => h.WaitAsync(Long));
            id = h.TaskId;
        }
        // A new process: the finished task is in the table only, its submission in the journal.
        await using var second = await PraisonRuntime.StartAsync(options);
        var retried = await second.Runner.RetryAsync(id);
        Assert.Equal("7", await retried.WaitAsync(Long));
        var info = await retried.StatusAsync();
        Assert.Equal(("s", 2, 1), (info.SessionId, info.MaxAttempts, info.Attempt));
        Assert.Equal(BackgroundTaskStatus.Failed, (await second.Runner.GetStatusAsync(id)).Status);
        await Assert.ThrowsAsync<InvalidOperationException>(() => second.Runner.RetryAsync(retried.TaskId)); // completed
        await Assert.ThrowsAsync<TaskNotFoundException>(() => second.Runner.RetryAsync("never-there"));
    }

    protected async Task A_table_from_before_retries_gets_the_new_columns_at_start_up()
    {
        await using var store = await CreateStoreAsync();
        await store.Store.PrepareAsync();
        await StoreSql.ExecuteAsync(store, $"DROP INDEX ix_{TaskTable.Name}_schedule"); // SQLite drops no column an index uses
        foreach (var (name, _, _) in TaskTable.AddedColumns)
            await StoreSql.ExecuteAsync(store, $"ALTER TABLE {TaskTable.Name} DROP COLUMN {name}");
        await store.Store.PrepareAsync(); // as a new version starting on an older store
        await store.Store.PrepareAsync(); // and again: nothing to add
        Assert.Null(await store.Store.GetTaskAsync("none"));
        Assert.Empty((await store.Store.QueryTasksAsync(TaskQuery.All, 0, 10)).Tasks);
        Assert.Empty((await store.Store.QueryTasksAsync(new TaskQuery { ScheduleName = "s" }, 0, 10)).Tasks); // the column and its index are back
    }

    protected async Task A_read_of_a_table_from_before_retries_adds_the_columns_and_answers()
    {
        await using var store = await CreateStoreAsync();
        await store.Store.PrepareAsync();
        var id = "older-" + Guid.NewGuid().ToString("N")[..8];
        await StoreSql.ExecuteAsync(store, $"INSERT INTO {TaskTable.Name} (task_id, kind, name, status, attempt, submitted_at, cleanup_delay_ms, sequence_nr) " +
                                  $"VALUES ('{id}', 'recipe', 'old', 'completed', 1, {At.UtcTicks}, 3600000, 3)");
        await StoreSql.ExecuteAsync(store, $"DROP INDEX ix_{TaskTable.Name}_schedule");
        foreach (var (name, _, _) in TaskTable.AddedColumns)
            await StoreSql.ExecuteAsync(store, $"ALTER TABLE {TaskTable.Name} DROP COLUMN {name}");
        // A reader (the CLI's list or status) on a store no host of this version has opened yet: no "no such column".
        var page = await store.Store.QueryTasksAsync(new TaskQuery { ScheduleName = null }, 0, 10);
        Assert.Equal(id, Assert.Single(page.Tasks).TaskId);
        Assert.Equal(BackgroundTaskStatus.Completed, (await store.Store.GetTaskAsync(id))!.Status);
    }
}

[Collection("durable")]
public class SqliteRetryTableTests : RetryTableSuite
{
    protected override Task<TestStore> CreateStoreAsync() => Task.FromResult<TestStore>(new SqliteTestStore());

    [Fact] public Task The_row_shows_attempts_the_wait_and_every_error_on_sqlite() => The_row_shows_attempts_the_wait_and_every_error();
    [Fact] public Task A_table_from_before_retries_gets_the_new_columns_on_sqlite() => A_table_from_before_retries_gets_the_new_columns_at_start_up();
    [Fact] public Task A_read_of_an_older_table_adds_the_columns_on_sqlite() => A_read_of_a_table_from_before_retries_adds_the_columns_and_answers();
    [Fact] public Task A_failed_task_held_only_in_the_table_is_retried_after_a_restart_on_sqlite() => A_failed_task_held_only_in_the_table_is_retried_after_a_restart();
}

[Collection("durable")]
public class PostgresRetryTableTests : RetryTableSuite
{
    protected override async Task<TestStore> CreateStoreAsync() => await PostgresTestStore.CreateAsync();

    [PostgresFact] public Task The_row_shows_attempts_the_wait_and_every_error_on_postgres() => The_row_shows_attempts_the_wait_and_every_error();
    [PostgresFact] public Task A_table_from_before_retries_gets_the_new_columns_on_postgres() => A_table_from_before_retries_gets_the_new_columns_at_start_up();
    [PostgresFact] public Task A_read_of_an_older_table_adds_the_columns_on_postgres() => A_read_of_a_table_from_before_retries_adds_the_columns_and_answers();
    [PostgresFact] public Task A_failed_task_held_only_in_the_table_is_retried_after_a_restart_on_postgres() => A_failed_task_held_only_in_the_table_is_retried_after_a_restart();
}
