using System.Data.Common;
using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Microsoft.Data.Sqlite;
using Npgsql;
using Praison.Actors.IntegrationTests.Support;
using Praison.Actors.Messages;
using Praison.Actors.Persistence;
using Xunit;

namespace Praison.Actors.IntegrationTests.Persistence;

/// <summary>
/// The TaskJournal writes a SQL store's batches itself (COPY on PostgreSQL, prepared INSERTs on SQLite) into the
/// journal plugin's table. These checks hold it to the plugin's format: the rows match the plugin's own, the
/// plugin replays them, and a key already taken fails only its own write (a duplicate submission, a retried write
/// counted as stored, or a conflict), never the rest of the batch.
/// </summary>
public abstract class TaskJournalSqlWriteSuite
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    protected abstract Task<TestStore> CreateStoreAsync();

    private static ITaskEvent[] EventsOf(string taskId)
    {
        var at = new DateTimeOffset(2026, 11, 24, 5, 0, 0, TimeSpan.Zero);
        return
        [
            new TaskSubmitted(new TaskSpec(taskId, TaskKind.Recipe, "hello", "hello", "session-1", "{\"name\":\"x\"}", null, 300_000, 3_600_000), at),
            new TaskStarted(1, at.AddSeconds(1)),
            new TaskCompleted("\"done\"", at.AddSeconds(2)),
        ];
    }

    private static async Task WriteAllAsync(IActorRef journal, string taskId, ITaskEvent[] events)
    {
        for (var i = 0; i < events.Length; i++)
        {
            var written = await journal.Ask<TaskEventWritten>(new WriteTaskEvent(taskId, i + 1, events[i]), Long);
            Assert.Null(written.Error);
        }
    }

    protected async Task Rows_match_the_plugins_own_and_replay_through_it()
    {
        await using var store = await CreateStoreAsync();
        await store.Store.PrepareAsync();
        var system = ActorSystem.Create("journal-write", PraisonRuntime.BuildConfig(store.Store, ConfigurationFactory.Empty));
        try
        {
            var viaPlugin = system.ActorOf(TaskJournal.Props(null), "via-plugin");
            var direct = system.ActorOf(TaskJournal.Props(null, sql: store.Store.Sql!), "direct");
            await WriteAllAsync(viaPlugin, "plugin-task", EventsOf("same-id"));
            await WriteAllAsync(direct, "direct-task", EventsOf("same-id"));

            var pluginRows = await ReadRowsAsync(store, "task-plugin-task");
            var directRows = await ReadRowsAsync(store, "task-direct-task");
            Assert.Equal(3, pluginRows.Count);
            Assert.Equal(pluginRows, directRows);

            // The plugin replays what the TaskJournal wrote, as the events it was given.
            var replayed = new TaskCompletionSource<List<object>>(TaskCreationOptions.RunContinuationsAsynchronously);
            var collector = system.ActorOf(Props.Create(typeof(ReplayCollector), replayed));
            direct.Tell(new ReplayTaskEvents("direct-task", collector));
            var events = await replayed.Task.WaitAsync(Long);
            var expected = EventsOf("same-id");
            Assert.Equal(expected.Length, events.Count);
            Assert.Equal(expected[1], events[1]);
            Assert.Equal(expected[2], events[2]);
            var submitted = Assert.IsType<TaskSubmitted>(events[0]);
            Assert.Equal(((TaskSubmitted)expected[0]).Spec.Name, submitted.Spec.Name);
            Assert.Equal(((TaskSubmitted)expected[0]).Spec.InputJson, submitted.Spec.InputJson);
            Assert.Equal(((TaskSubmitted)expected[0]).At, submitted.At);
        }
        finally
        {
            await system.Terminate();
        }
    }

    protected async Task A_taken_key_fails_only_its_own_write()
    {
        await using var store = await CreateStoreAsync();
        await store.Store.PrepareAsync();
        var system = ActorSystem.Create("journal-write", PraisonRuntime.BuildConfig(store.Store, ConfigurationFactory.Empty));
        try
        {
            var sql = store.Store.Sql!;
            var direct = system.ActorOf(TaskJournal.Props(null, sql: sql), "direct");
            var events = EventsOf("taken");
            await WriteAllAsync(direct, "taken", events[..2]);

            // A second event 1 for the same task is a claimed id: answered as a duplicate submission, nothing stored.
            var again = await direct.Ask<TaskSubmitDuplicate>(new WriteTaskEvent("taken", 1, events[0]), Long);
            Assert.Equal(new TaskSubmitDuplicate("taken", 1), again);
            Assert.Equal(2, await sql.CountRowsAsync("taken", CancellationToken.None));

            // A retried write whose commit had succeeded (same key, same bytes) counts as stored, in a batch that also
            // stores a new row; a different event under a taken key is refused alone, its task row left as it was.
            var serializer = system.Serialization.FindSerializerFor(events[0]);
            JournalRowWrite Row(string id, long seq, ITaskEvent e) => new("task-" + id, seq, serializer.ToBinary(e),
                ((Akka.Serialization.SerializerWithStringManifest)serializer).Manifest(e), serializer.Identifier, DateTime.UtcNow.Ticks, "test",
                TaskRowChange.Of(id, seq, e));
            var retried = await sql.WriteEventsAsync([Row("taken", 2, events[1]), Row("fresh", 1, EventsOf("fresh")[0])], CancellationToken.None);
            Assert.Same(WriteOutcome.AllStored, retried);
            Assert.Equal(1, await sql.CountRowsAsync("fresh", CancellationToken.None));

            var different = new TaskCancelled("another writer", DateTimeOffset.UnixEpoch);
            var conflict = await sql.WriteEventsAsync([Row("taken", 2, different), Row("fresh", 2, events[1])], CancellationToken.None);
            Assert.Equal(new[] { ("task-taken", 2L) }, conflict.Conflicts.ToArray());
            Assert.Empty(conflict.DuplicateSubmissions);
            Assert.Equal(BackgroundTaskStatus.Running, (await store.Store.GetTaskAsync("taken"))!.Status);
            Assert.Equal(BackgroundTaskStatus.Running, (await store.Store.GetTaskAsync("fresh"))!.Status);
            Assert.Equal(2, await sql.CountRowsAsync("taken", CancellationToken.None));

            // Through the journal the conflicting write is answered with an error, and only it.
            var refused = await direct.Ask<TaskEventWritten>(new WriteTaskEvent("taken", 2, different), Long);
            Assert.NotNull(refused.Error);
        }
        finally
        {
            await system.Terminate();
        }
    }

    protected async Task A_cleaned_up_id_is_stored_again_whole()
    {
        await using var store = await CreateStoreAsync();
        await store.Store.PrepareAsync();
        var system = ActorSystem.Create("journal-write", PraisonRuntime.BuildConfig(store.Store, ConfigurationFactory.Empty));
        try
        {
            // No purge: the plugin's tombstone (event 3, flagged deleted) goes with the task's row, in the row's delete.
            var direct = system.ActorOf(TaskJournal.Props(null, sql: store.Store.Sql!), "direct");
            await WriteAllAsync(direct, "again", EventsOf("again"));
            Assert.Null((await direct.Ask<TaskEventsDeleted>(new DeleteTaskEvents("again", 3), Long)).Error);
            Assert.Null(await store.Store.GetTaskAsync("again"));
            Assert.Equal(0, await store.Store.Sql!.CountRowsAsync("again", CancellationToken.None));

            // The id is claimed anew and every event of the new task is stored, event 3 included.
            await WriteAllAsync(direct, "again", EventsOf("again"));
            Assert.Equal(BackgroundTaskStatus.Completed, (await store.Store.GetTaskAsync("again"))!.Status);
            Assert.Equal(3, await store.Store.Sql!.CountRowsAsync("again", CancellationToken.None));
        }
        finally
        {
            await system.Terminate();
        }
    }

    protected async Task A_tombstone_left_behind_fails_only_the_write_that_meets_it_and_the_retry_is_stored()
    {
        await using var store = await CreateStoreAsync();
        await store.Store.PrepareAsync();
        var system = ActorSystem.Create("journal-write", PraisonRuntime.BuildConfig(store.Store, ConfigurationFactory.Empty));
        try
        {
            var direct = system.ActorOf(TaskJournal.Props(null, sql: store.Store.Sql!), "direct");
            await WriteAllAsync(direct, "left", EventsOf("left"));
            // What the plugin's delete leaves (event 3 kept, flagged deleted) with the task's row deleted on its own, as
            // an older version did (or a crash between the two deletes and a purge).
            await StoreSql.ExecuteAsync(store, "UPDATE journal SET deleted = true WHERE persistence_id = 'task-left' AND sequence_number = 3");
            await StoreSql.ExecuteAsync(store, "DELETE FROM journal WHERE persistence_id = 'task-left' AND sequence_number < 3");
            await StoreSql.ExecuteAsync(store, "DELETE FROM praison_tasks WHERE task_id = 'left'");

            var events = EventsOf("left");
            await WriteAllAsync(direct, "left", events[..2]);
            var met = await direct.Ask<TaskEventWritten>(new WriteTaskEvent("left", 3, events[2]), Long);
            Assert.NotNull(met.Error);
            Assert.Equal(BackgroundTaskStatus.Running, (await store.Store.GetTaskAsync("left"))!.Status); // the row follows the journal

            var retried = await direct.Ask<TaskEventWritten>(new WriteTaskEvent("left", 3, events[2]), Long);
            Assert.Null(retried.Error);
            Assert.Equal(BackgroundTaskStatus.Completed, (await store.Store.GetTaskAsync("left"))!.Status);
            Assert.Equal("\"done\"", await store.Store.Sql!.ReadResultAsync("left", CancellationToken.None));
            Assert.Equal(3, await store.Store.Sql!.CountRowsAsync("left", CancellationToken.None));
        }
        finally
        {
            await system.Terminate();
        }
    }

    /// <summary>Every column but the ordering number, the writer id and the time, for one persistence id.</summary>
    private static async Task<List<string>> ReadRowsAsync(TestStore store, string persistenceId)
    {
        await using DbConnection connection = store.Store switch
        {
            TaskStore.PostgreSqlStore pg => new NpgsqlConnection(pg.ConnectionString),
            TaskStore.SqliteStore sqlite => new SqliteConnection(sqlite.JournalConnectionString),
            _ => throw new InvalidOperationException("not a SQL store"),
        };
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT sequence_number, deleted, manifest, identifier, message, writer_uuid IS NOT NULL, created > 0 " +
                              "FROM journal WHERE persistence_id = @pid ORDER BY sequence_number";
        var p = command.CreateParameter();
        p.ParameterName = "@pid";
        p.Value = persistenceId;
        command.Parameters.Add(p);
        var rows = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            rows.Add(string.Join("|", Enumerable.Range(0, reader.FieldCount).Select(i =>
                reader.GetValue(i) is byte[] b ? Convert.ToHexString(b) : Convert.ToString(reader.GetValue(i)))));
        return rows;
    }

    private sealed class ReplayCollector(TaskCompletionSource<List<object>> done) : UntypedActor
    {
        private readonly List<object> _events = new();

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case ReplayedMessage r:
                    _events.Add(r.Persistent.Payload);
                    break;
                case RecoverySuccess:
                    done.TrySetResult(_events);
                    break;
                case ReplayMessagesFailure f:
                    done.TrySetException(f.Cause);
                    break;
            }
        }
    }
}

public class SqliteTaskJournalSqlWriteTests : TaskJournalSqlWriteSuite
{
    protected override Task<TestStore> CreateStoreAsync() => Task.FromResult<TestStore>(new SqliteTestStore());

    [Fact] public Task Rows_match_the_plugins_own_and_replay_through_it_on_sqlite() => Rows_match_the_plugins_own_and_replay_through_it();
    [Fact] public Task A_taken_key_fails_only_its_own_write_on_sqlite() => A_taken_key_fails_only_its_own_write();
    [Fact] public Task A_cleaned_up_id_is_stored_again_whole_on_sqlite() => A_cleaned_up_id_is_stored_again_whole();
    [Fact] public Task A_tombstone_left_behind_fails_only_the_write_that_meets_it_and_the_retry_is_stored_on_sqlite() =>
        A_tombstone_left_behind_fails_only_the_write_that_meets_it_and_the_retry_is_stored();
}

public class PostgresTaskJournalSqlWriteTests : TaskJournalSqlWriteSuite
{
    protected override async Task<TestStore> CreateStoreAsync() => await PostgresTestStore.CreateAsync();

    [PostgresFact] public Task Rows_match_the_plugins_own_and_replay_through_it_on_postgres() => Rows_match_the_plugins_own_and_replay_through_it();
    [PostgresFact] public Task A_taken_key_fails_only_its_own_write_on_postgres() => A_taken_key_fails_only_its_own_write();
    [PostgresFact] public Task A_cleaned_up_id_is_stored_again_whole_on_postgres() => A_cleaned_up_id_is_stored_again_whole();
    [PostgresFact] public Task A_tombstone_left_behind_fails_only_the_write_that_meets_it_and_the_retry_is_stored_on_postgres() =>
        A_tombstone_left_behind_fails_only_the_write_that_meets_it_and_the_retry_is_stored();
}
