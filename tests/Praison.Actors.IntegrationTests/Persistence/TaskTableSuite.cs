using System.Data.Common;
using Akka.Actor;
using Akka.Configuration;
using Microsoft.Data.Sqlite;
using Npgsql;
using Praison.Actors.IntegrationTests.Support;
using Praison.Actors.Lifecycle;
using Praison.Actors.Messages;
using Praison.Actors.Persistence;
using Praison.Actors.Tasks;
using Xunit;

namespace Praison.Actors.IntegrationTests.Persistence;

/// <summary>
/// The task table, on a real SQLite file and a real PostgreSQL server: written with the events in one transaction,
/// read by indexed queries, cleared with the events, and a failed read is an error, never an empty list.
/// </summary>
public abstract class TaskTableSuite
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);
    private static readonly DateTimeOffset At = new(2026, 12, 2, 8, 0, 0, TimeSpan.Zero);

    protected abstract Task<TestStore> CreateStoreAsync();

    private static TaskSpec Spec(string id, string? session = "s1", string name = "hello") =>
        new(id, TaskKind.Recipe, name, name, session, "{}", null, 300_000, 3_600_000);

    private static async Task<(TestStore Store, ActorSystem System, IActorRef Journal)> StartJournalAsync(TestStore store)
    {
        await store.Store.PrepareAsync();
        var system = ActorSystem.Create("task-table", PraisonRuntime.BuildConfig(store.Store, ConfigurationFactory.Empty));
        return (store, system, system.ActorOf(TaskJournal.Props(null, store.Store.Sql!.PurgeDeletedAsync, sql: store.Store.Sql!), "journal"));
    }

    private static async Task WriteAsync(IActorRef journal, string taskId, long sequenceNr, ITaskEvent e)
    {
        var written = await journal.Ask<TaskEventWritten>(new WriteTaskEvent(taskId, sequenceNr, e), Long);
        Assert.Null(written.Error);
    }

    protected async Task The_row_follows_each_stored_event()
    {
        var (store, system, journal) = await StartJournalAsync(await CreateStoreAsync());
        await using var _ = store;
        try
        {
            ITaskEvent[] events =
            [
                new TaskSubmitted(Spec("t1"), At), new TaskStarted(1, At.AddSeconds(1)), new TaskRequeued("restart", At.AddSeconds(2)),
                new TaskStarted(2, At.AddSeconds(3)), new TaskCompleted("{\"answer\":42}", At.AddSeconds(4)),
            ];
            var state = TaskState.Empty("t1");
            for (var i = 0; i < events.Length; i++)
            {
                await WriteAsync(journal, "t1", i + 1, events[i]);
                state = state.Apply(events[i]);
                Assert.Equal(state.ToInfo(), await store.Store.GetTaskAsync("t1"));
            }
            Assert.Equal("{\"answer\":42}", await store.Store.ReadResultAsync("t1"));
            Assert.Null(await store.Store.GetTaskAsync("never-submitted"));
            Assert.Null(await store.Store.ReadResultAsync("never-submitted"));

            var error = new TaskError(TaskErrorKind.Exception, "boom", "System.InvalidOperationException", "at X()");
            await WriteAsync(journal, "t2", 1, new TaskSubmitted(Spec("t2"), At));
            await WriteAsync(journal, "t2", 2, new TaskFailed(error, At.AddSeconds(1)));
            var failed = await store.Store.GetTaskAsync("t2");
            Assert.Equal(BackgroundTaskStatus.Failed, failed!.Status);
            Assert.Equal(error, failed.Error);
            Assert.Null(await store.Store.ReadResultAsync("t2"));
        }
        finally
        {
            await system.Terminate();
        }
    }

    protected async Task A_batch_and_its_rows_are_stored_all_or_none()
    {
        var (store, system, journal) = await StartJournalAsync(await CreateStoreAsync());
        await using var _ = store;
        try
        {
            var first = new TaskSubmitted(Spec("taken"), At);
            await WriteAsync(journal, "taken", 1, first);
            var serializer = system.Serialization.FindSerializerFor(first);
            var manifest = ((Akka.Serialization.SerializerWithStringManifest)serializer).Manifest(first);
            JournalRowWrite Row(string id, long seq, ITaskEvent e) =>
                new("task-" + id, seq, serializer.ToBinary(e), manifest, serializer.Identifier, DateTime.UtcNow.Ticks, "test", TaskRowChange.Of(id, seq, e));

            // A second Submitted of "taken" finds the id claimed: it is refused alone, taken's row is untouched, and the
            // new task in the same batch is stored.
            var outcome = await store.Store.Sql!.WriteEventsAsync(
                [Row("fresh", 1, new TaskSubmitted(Spec("fresh"), At)), Row("taken", 1, new TaskSubmitted(Spec("taken", session: "other"), At))],
                CancellationToken.None);
            Assert.Equal(new[] { "taken" }, outcome.DuplicateSubmissions.ToArray());
            Assert.NotNull(await store.Store.GetTaskAsync("fresh"));
            Assert.Equal("s1", (await store.Store.GetTaskAsync("taken"))!.SessionId);
            Assert.Equal(1, await store.Store.Sql!.CountRowsAsync("taken", CancellationToken.None));

            // A broken row change fails the journal rows with it: the table and the events never disagree.
            await DropTableAsync(store, "praison_tasks");
            await Assert.ThrowsAnyAsync<DbException>(() => store.Store.Sql!.WriteEventsAsync(
                [Row("later", 1, new TaskSubmitted(Spec("later"), At))], CancellationToken.None));
            Assert.Equal(0, await store.Store.Sql!.CountRowsAsync("later", CancellationToken.None));
        }
        finally
        {
            await system.Terminate();
        }
    }

    protected async Task Queries_filter_page_and_count_oldest_first()
    {
        var (store, system, journal) = await StartJournalAsync(await CreateStoreAsync());
        await using var _ = store;
        try
        {
            // 12 tasks: sessions a/b alternate, every third one completed; submitted one second apart in reverse id order.
            for (var i = 0; i < 12; i++)
            {
                var id = $"q{11 - i:00}";
                await WriteAsync(journal, id, 1, new TaskSubmitted(Spec(id, i % 2 == 0 ? "a" : "b", i < 6 ? "early" : "late"), At.AddSeconds(i)));
                if (i % 3 == 0) await WriteAsync(journal, id, 2, new TaskCompleted(null, At.AddSeconds(100)));
            }
            var all = await store.Store.QueryTasksAsync(TaskQuery.All, 0, 100);
            Assert.Equal(12, all.Total);
            Assert.Equal(Enumerable.Range(0, 12).Select(i => $"q{11 - i:00}"), all.Tasks.Select(t => t.TaskId));

            var sessionA = await store.Store.QueryTasksAsync(new TaskQuery(SessionId: "a"), 1, 2);
            Assert.Equal(6, sessionA.Total);
            Assert.Equal(new[] { "q09", "q07" }, sessionA.Tasks.Select(t => t.TaskId));

            var completed = await store.Store.QueryTasksAsync(new TaskQuery(BackgroundTaskStatus.Completed), 0, 2);
            Assert.Equal(4, completed.Total);
            Assert.Equal(new[] { "q11", "q08" }, completed.Tasks.Select(t => t.TaskId));

            var lateInB = await store.Store.QueryTasksAsync(new TaskQuery(BackgroundTaskStatus.Pending, "b", "late"), 0, 50);
            Assert.Equal(new[] { "q04", "q00" }, lateInB.Tasks.Select(t => t.TaskId));
            Assert.Equal(2, lateInB.Total);

            var pastTheEnd = await store.Store.QueryTasksAsync(TaskQuery.All, 20, 5);
            Assert.Empty(pastTheEnd.Tasks);
            Assert.Equal(12, pastTheEnd.Total);

            Assert.Equal(new[] { "q11", "q08", "q05", "q02" }, await store.Store.ReadTaskIdsAsync(includeActive: false));
            Assert.Equal(12, (await store.Store.ReadTaskIdsAsync(includeActive: true)).Count);
        }
        finally
        {
            await system.Terminate();
        }
    }

    protected async Task The_sweeper_query_finds_unfinished_tasks_and_due_cleanups()
    {
        var (store, system, journal) = await StartJournalAsync(await CreateStoreAsync());
        await using var _ = store;
        try
        {
            await WriteAsync(journal, "pending", 1, new TaskSubmitted(Spec("pending"), At));
            await WriteAsync(journal, "running", 1, new TaskSubmitted(Spec("running"), At));
            await WriteAsync(journal, "running", 2, new TaskStarted(1, At));
            await WriteAsync(journal, "kept", 1, new TaskSubmitted(Spec("kept"), At));
            await WriteAsync(journal, "kept", 2, new TaskCompleted(null, At.AddHours(1)));   // cleanup at +2 h
            await WriteAsync(journal, "due", 1, new TaskSubmitted(Spec("due"), At));
            await WriteAsync(journal, "due", 2, new TaskCancelled("asked", At));             // cleanup at +1 h

            var targets = await store.Store.ReadSweepTargetsAsync(At.AddHours(1.5));
            Assert.Equal(new[] { "due", "pending", "running" }, targets.Order());

            // A start-up replays only what the table says is unfinished, with its full state.
            var unfinished = await store.Store.ReadUnfinishedTasksAsync();
            Assert.Equal(new[] { "pending", "running" }, unfinished.Select(t => t.Info.TaskId).Order());
            var running = unfinished.Single(t => t.Info.TaskId == "running");
            Assert.Equal(2, running.SequenceNr);
            Assert.Equal(Spec("running"), running.State!.Spec);
            Assert.Equal(BackgroundTaskStatus.Running, running.Info.Status);
        }
        finally
        {
            await system.Terminate();
        }
    }

    protected async Task Progress_is_recorded_in_the_row()
    {
        var (store, system, journal) = await StartJournalAsync(await CreateStoreAsync());
        await using var _ = store;
        try
        {
            await WriteAsync(journal, "p1", 1, new TaskSubmitted(Spec("p1"), At));
            await WriteAsync(journal, "p1", 2, new TaskStarted(1, At));
            for (var i = 1; i <= 10; i++) journal.Tell(new RecordTaskProgress("p1", i / 10.0, $"step {i}", At.AddSeconds(i)));
            journal.Tell(new RecordTaskProgress("gone", 0.5, "no row", At)); // a task without a row is skipped

            await StoreSql.UntilAsync(async () => (await store.Store.GetTaskAsync("p1"))?.Progress is { Fraction: 1.0 }, "the last progress is recorded");
            Assert.Equal(new TaskProgress(1.0, "step 10", At.AddSeconds(10)), (await store.Store.GetTaskAsync("p1"))!.Progress);
            Assert.Null(await store.Store.GetTaskAsync("gone"));
        }
        finally
        {
            await system.Terminate();
        }
    }

    protected async Task Deleting_a_tasks_events_deletes_its_row()
    {
        var (store, system, journal) = await StartJournalAsync(await CreateStoreAsync());
        await using var _ = store;
        try
        {
            await WriteAsync(journal, "d1", 1, new TaskSubmitted(Spec("d1"), At));
            await WriteAsync(journal, "d1", 2, new TaskCompleted("1", At));
            await WriteAsync(journal, "d2", 1, new TaskSubmitted(Spec("d2"), At));

            var deleted = await journal.Ask<TaskEventsDeleted>(new DeleteTaskEvents("d1", 2), Long);
            Assert.Null(deleted.Error);
            Assert.Null(await store.Store.GetTaskAsync("d1"));
            Assert.Equal(new[] { "d2" }, (await store.Store.QueryTasksAsync(TaskQuery.All, 0, 10)).Tasks.Select(t => t.TaskId));
            await StoreSql.UntilAsync(async () => await store.Store.Sql!.CountRowsAsync("d1", CancellationToken.None) == 0, "the tombstone is purged");

            // A row that cannot be deleted fails the delete (its owner retries); after the retry the row is gone (the
            // retry deletes it, or the purge of the task's tombstone already did).
            await StoreSql.ExecuteAsync(store, "ALTER TABLE praison_tasks RENAME TO praison_tasks_away");
            var failed = await journal.Ask<TaskEventsDeleted>(new DeleteTaskEvents("d2", 1), Long);
            Assert.NotNull(failed.Error);
            await StoreSql.ExecuteAsync(store, "ALTER TABLE praison_tasks_away RENAME TO praison_tasks");
            var retried = await journal.Ask<TaskEventsDeleted>(new DeleteTaskEvents("d2", 1), Long);
            Assert.Null(retried.Error);
            Assert.Null(await store.Store.GetTaskAsync("d2"));
        }
        finally
        {
            await system.Terminate();
        }
    }

    protected async Task A_failed_read_is_an_error_never_an_empty_list()
    {
        var (store, system, journal) = await StartJournalAsync(await CreateStoreAsync());
        await using var _ = store;
        try
        {
            await WriteAsync(journal, "r1", 1, new TaskSubmitted(Spec("r1"), At));
            Assert.Single((await store.Store.QueryTasksAsync(TaskQuery.All, 0, 10)).Tasks);

            await StoreSql.ExecuteAsync(store, "ALTER TABLE praison_tasks RENAME TO praison_tasks_renamed");
            var renamed = await Assert.ThrowsAsync<TaskStoreException>(() => store.Store.QueryTasksAsync(TaskQuery.All, 0, 10));
            Assert.Contains("praison_tasks", renamed.Message);
            Assert.Equal(store.Store.Describe(), renamed.Store);
            await Assert.ThrowsAsync<TaskStoreException>(() => store.Store.GetTaskAsync("r1"));
            await Assert.ThrowsAsync<TaskStoreException>(() => store.Store.ReadSweepTargetsAsync(At));

            await DropTableAsync(store, "praison_tasks_renamed");
            await Assert.ThrowsAsync<TaskStoreException>(() => store.Store.QueryTasksAsync(TaskQuery.All, 0, 10));
            await Assert.ThrowsAsync<TaskStoreException>(() => store.Store.ReadTaskIdsAsync(includeActive: true));
        }
        finally
        {
            await system.Terminate();
        }
    }

    protected async Task The_runner_lists_and_pages_from_the_table()
    {
        await using var store = await CreateStoreAsync();
        var recipes = new RecipeRegistry().Register("name: hello\n", _ => Task.FromResult<object?>("hi"));
        await using var runtime = await PraisonRuntime.StartAsync(new PraisonRuntimeOptions
        {
            Store = store.Store, Runner = new BackgroundRunnerOptions { Recipes = recipes },
        });
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var h = await runtime.Runner.RunBackgroundAsync("hello", new RecipeRunOptions { SessionId = i % 2 == 0 ? "even" : "odd" });
            await h.WaitAsync(Long);
            ids.Add(h.TaskId);
        }
        Assert.Equal(ids, (await runtime.Runner.ListAsync()).Select(t => t.TaskId));
        Assert.Equal(new[] { ids[0], ids[2], ids[4] }, (await runtime.Runner.ListAsync(new TaskQuery(SessionId: "even"))).Select(t => t.TaskId));
        Assert.Equal(new[] { ids[2] }, (await runtime.Runner.ListAsync(new TaskQuery(SessionId: "even") { Offset = 1, Limit = 1 })).Select(t => t.TaskId));
        var page = await runtime.Runner.ListPageAsync(new TaskQuery(BackgroundTaskStatus.Completed), 3, 10);
        Assert.Equal(new[] { ids[3], ids[4] }, page.Tasks.Select(t => t.TaskId));
        Assert.Equal(5, page.Total);

        // The table answers, not the supervisor's memory: a row removed behind the runner's back is gone from its list.
        await StoreSql.ExecuteAsync(store, $"DELETE FROM praison_tasks WHERE task_id = '{ids[1]}'");
        Assert.DoesNotContain(ids[1], (await runtime.Runner.ListAsync()).Select(t => t.TaskId));
    }

    protected static Task DropTableAsync(TestStore store, string table) => StoreSql.ExecuteAsync(store, $"DROP TABLE {table}");
}

[Collection("durable")]
public class SqliteTaskTableTests : TaskTableSuite
{
    protected override Task<TestStore> CreateStoreAsync() => Task.FromResult<TestStore>(new SqliteTestStore());

    [Fact] public Task The_row_follows_each_stored_event_on_sqlite() => The_row_follows_each_stored_event();
    [Fact] public Task A_batch_and_its_rows_are_stored_all_or_none_on_sqlite() => A_batch_and_its_rows_are_stored_all_or_none();
    [Fact] public Task Queries_filter_page_and_count_oldest_first_on_sqlite() => Queries_filter_page_and_count_oldest_first();
    [Fact] public Task The_sweeper_query_finds_unfinished_tasks_and_due_cleanups_on_sqlite() => The_sweeper_query_finds_unfinished_tasks_and_due_cleanups();
    [Fact] public Task Progress_is_recorded_in_the_row_on_sqlite() => Progress_is_recorded_in_the_row();
    [Fact] public Task Deleting_a_tasks_events_deletes_its_row_on_sqlite() => Deleting_a_tasks_events_deletes_its_row();
    [Fact] public Task A_failed_read_is_an_error_never_an_empty_list_on_sqlite() => A_failed_read_is_an_error_never_an_empty_list();
    [Fact] public Task The_runner_lists_and_pages_from_the_table_on_sqlite() => The_runner_lists_and_pages_from_the_table();

    [Fact]
    public async Task A_store_never_created_reads_as_empty_and_is_not_created()
    {
        var dir = Path.Combine(Path.GetTempPath(), "praison-it-none-" + Guid.NewGuid().ToString("N"));
        var store = TaskStore.Sqlite(dir);
        Assert.Empty((await store.QueryTasksAsync(TaskQuery.All, 0, 10)).Tasks);
        Assert.Null(await store.GetTaskAsync("x"));
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public async Task A_file_that_is_not_a_database_is_an_error()
    {
        var dir = Path.Combine(Path.GetTempPath(), "praison-it-bad-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            await File.WriteAllTextAsync(Path.Combine(dir, "journal.db"), new string('x', 4096));
            var store = TaskStore.Sqlite(dir);
            var e = await Assert.ThrowsAsync<TaskStoreException>(() => store.QueryTasksAsync(TaskQuery.All, 0, 10));
            Assert.Contains(dir, e.Message);
            await Assert.ThrowsAsync<TaskStoreException>(() => store.GetTaskAsync("x"));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(dir, true);
        }
    }
}

[Collection("durable")]
public class PostgresTaskTableTests : TaskTableSuite
{
    protected override async Task<TestStore> CreateStoreAsync() => await PostgresTestStore.CreateAsync();

    [PostgresFact] public Task The_row_follows_each_stored_event_on_postgres() => The_row_follows_each_stored_event();
    [PostgresFact] public Task A_batch_and_its_rows_are_stored_all_or_none_on_postgres() => A_batch_and_its_rows_are_stored_all_or_none();
    [PostgresFact] public Task Queries_filter_page_and_count_oldest_first_on_postgres() => Queries_filter_page_and_count_oldest_first();
    [PostgresFact] public Task The_sweeper_query_finds_unfinished_tasks_and_due_cleanups_on_postgres() => The_sweeper_query_finds_unfinished_tasks_and_due_cleanups();
    [PostgresFact] public Task Progress_is_recorded_in_the_row_on_postgres() => Progress_is_recorded_in_the_row();
    [PostgresFact] public Task Deleting_a_tasks_events_deletes_its_row_on_postgres() => Deleting_a_tasks_events_deletes_its_row();
    [PostgresFact] public Task A_failed_read_is_an_error_never_an_empty_list_on_postgres() => A_failed_read_is_an_error_never_an_empty_list();
    [PostgresFact] public Task The_runner_lists_and_pages_from_the_table_on_postgres() => The_runner_lists_and_pages_from_the_table();

    [PostgresFact]
    public async Task A_database_that_cannot_be_reached_is_an_error()
    {
        var admin = new NpgsqlConnectionStringBuilder(Environment.GetEnvironmentVariable(PostgresTestStore.Variable))
        {
            Database = "praison_no_such_database_" + Guid.NewGuid().ToString("N")[..8], Timeout = 5,
        };
        var store = TaskStore.PostgreSql(admin.ToString());
        var e = await Assert.ThrowsAsync<TaskStoreException>(() => store.QueryTasksAsync(TaskQuery.All, 0, 10));
        Assert.Contains("3D000", e.Message); // invalid_catalog_name
        await Assert.ThrowsAsync<TaskStoreException>(() => store.GetTaskAsync("x"));
    }
}
