using System.Data.Common;
using Npgsql;
using NpgsqlTypes;
using Praison.Actors.Messages;
using Praison.Actors.Serialization;
using Praison.Actors.Lifecycle;

namespace Praison.Actors.Persistence;

/// <summary>
/// Direct SQL on Akka.Persistence.Sql's tables (the "default" table mapping): reading every retained task at
/// start-up without recovering one actor per task, writing a batch of task events the cheapest way the database
/// offers, and removing the tombstone rows Akka.Persistence.Sql keeps after DeleteMessages, so cleaned-up tasks
/// leave no rows behind. It also keeps the task table (<see cref="TaskTable"/>) in step with the events it writes and
/// answers the indexed reads on it. A journal written through another plugin (BackgroundRunnerOptions.JournalPluginId)
/// never comes here, so it has no task table: reads for it go through the supervisor or <see cref="ReadTasksAsync"/>.
/// </summary>
/// <param name="openJournal">A new (unopened) connection to the journal's database.</param>
/// <param name="openSnapshots">A new (unopened) connection to the snapshot store's database.</param>
/// <param name="postgres">PostgreSQL (else SQLite).</param>
/// <param name="openBatchWriter">The connections of <see cref="WriteEventsAsync"/> on PostgreSQL, when they differ from
/// <paramref name="openJournal"/>'s (<see cref="TaskStore.PostgreSqlStore.BatchWriterConnectionString"/>).</param>
internal class SqlJournalAccess(Func<DbConnection> openJournal, Func<DbConnection> openSnapshots, bool postgres,
    Func<DbConnection>? openBatchWriter = null)
{
    private const string TaskPrefix = "task-";
    private const long SchemaLockKey = 0x7072_6169_7461_626c; // "praitabl": nodes starting together create and backfill once
    private readonly TaskTable _table = new(postgres);
    private string False => postgres ? "false" : "0";

    /// <summary>
    /// How many batch writes the <see cref="TaskJournal"/> keeps in flight. PostgreSQL: several, each its own statement
    /// on its own connection, so the server works on one while the next is sent and commits share a WAL flush (group
    /// commit); every task has at most one write in flight, so a task's events never race each other. SQLite: one (a
    /// single writer; batches queue on its one connection anyway).
    /// </summary>
    public virtual int ConcurrentBatches => postgres ? PostgresConcurrentBatches : 1;

    /// <summary>Measured with the throughput scenario (docs/architecture.md, the write path); the harness may set it to compare.</summary>
    internal static int PostgresConcurrentBatches { get; set; } = 3;

    /// <summary>The schedule table in the same database as the journal.</summary>
    public ScheduleTable Schedules => new(openJournal, postgres);

    /// <summary><see cref="Schedules"/> keeping <paramref name="historyLimit"/> events per schedule, a snapshot every <paramref name="snapshotEvery"/>.</summary>
    public ScheduleTable SchedulesWith(int historyLimit, int snapshotEvery) => new(openJournal, postgres, historyLimit, snapshotEvery);
    private string True => postgres ? "true" : "1";

    /// <summary>
    /// Creates the task table if missing and, once per store (recorded in <c>praison_schema</c>), backfills it from the
    /// journal a store written before the table existed holds; brings the schedule table in line with the schedules'
    /// events (<see cref="ScheduleTable.ReconcileAsync"/>). One transaction, under an advisory lock on PostgreSQL and
    /// the write lock on SQLite, so two processes starting together do it once.
    /// </summary>
    public async Task PrepareTableAsync(CancellationToken cancellationToken)
    {
        await using var connection = openJournal();
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        if (postgres) await ExecuteAsync(connection, tx, $"SELECT pg_advisory_xact_lock({SchemaLockKey})", cancellationToken).ConfigureAwait(false);
        foreach (var ddl in _table.CreateStatements().Concat(WebhookTable.CreateStatements(postgres)).Concat(ScheduleTable.CreateStatements(postgres)))
            await ExecuteAsync(connection, tx, ddl, cancellationToken).ConfigureAwait(false);
        await AddMissingColumnsAsync(connection, tx, cancellationToken).ConfigureAwait(false);
        // Schedules are event-sourced: their table is rebuilt from the journal where it lags behind (ScheduleTable).
        if (await TableExistsAsync(connection, "journal", cancellationToken, tx).ConfigureAwait(false))
            await Schedules.ReconcileAsync(connection, tx, cancellationToken).ConfigureAwait(false);
        await using (var done = TaskTable.Command(connection, tx, $"SELECT COUNT(*) FROM {TaskTable.SchemaSteps} WHERE step = '{TaskTable.BackfillStep}'"))
            if (Convert.ToInt64(await done.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false)) > 0)
            {
                await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
        if (await TableExistsAsync(connection, "journal", cancellationToken, tx).ConfigureAwait(false))
        {
            var tasks = await ReplayAsync(connection, tx, cancellationToken).ConfigureAwait(false);
            await _table.WriteAsync(connection, tx, tasks.Select(TaskTable.FromState).ToList(), cancellationToken).ConfigureAwait(false);
        }
        await ExecuteAsync(connection, tx,
            $"INSERT INTO {TaskTable.SchemaSteps} (step, done_at) VALUES ('{TaskTable.BackfillStep}', {DateTimeOffset.UtcNow.UtcTicks})",
            cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A table created before a column was added gets it (null in existing rows); a fresh table has them all.</summary>
    private async Task AddMissingColumnsAsync(DbConnection connection, DbTransaction tx, CancellationToken cancellationToken)
    {
        foreach (var (name, sqlite, pg) in TaskTable.AddedColumns)
        {
            // Probed first: an ALTER takes the table's exclusive lock even when it changes nothing.
            if (!await HasColumnAsync(connection, tx, name, cancellationToken).ConfigureAwait(false))
                await ExecuteAsync(connection, tx, $"ALTER TABLE {TaskTable.Name} ADD COLUMN {name} {(postgres ? pg : sqlite)}", cancellationToken).ConfigureAwait(false);
        }
        foreach (var ddl in TaskTable.AddedColumnIndexes())
            await ExecuteAsync(connection, tx, ddl, cancellationToken).ConfigureAwait(false);
    }

    private async Task<bool> HasColumnAsync(DbConnection connection, DbTransaction? tx, string name, CancellationToken cancellationToken)
    {
        await using var probe = TaskTable.Command(connection, tx, postgres
            ? $"SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '{TaskTable.Name}' AND column_name = '{name}'"
            : $"SELECT COUNT(*) FROM pragma_table_info('{TaskTable.Name}') WHERE name = '{name}'");
        return Convert.ToInt64(await probe.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false)) > 0;
    }

    /// <summary>
    /// Every retained task replayed from the journal, oldest first: what a host recovers at start-up (pending and running
    /// tasks need their spec) and what the backfill reads. Nothing else replays the whole journal.
    /// </summary>
    public async Task<IReadOnlyList<StoredTask>> ReadTasksAsync(CancellationToken cancellationToken)
    {
        await using var connection = openJournal();
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        if (!await TableExistsAsync(connection, "journal", cancellationToken).ConfigureAwait(false)) return Array.Empty<StoredTask>();
        return await ReplayAsync(connection, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Only the pending and running tasks, replayed from the journal, oldest first: the task table selects them, so a
    /// start-up that keeps finished tasks out of memory reads none of their events.
    /// </summary>
    public async Task<IReadOnlyList<StoredTask>> ReadUnfinishedTasksAsync(CancellationToken cancellationToken)
    {
        await using var connection = openJournal();
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await ReplayAsync(connection, null, cancellationToken,
            $"persistence_id IN (SELECT '{TaskPrefix}' || task_id FROM {TaskTable.Name} WHERE status IN ('pending', 'running'))").ConfigureAwait(false);
    }

    private async Task<List<StoredTask>> ReplayAsync(DbConnection connection, DbTransaction? tx, CancellationToken cancellationToken,
        string? only = null)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText =
            $"SELECT persistence_id, manifest, message, sequence_number FROM journal WHERE deleted = {False} AND persistence_id LIKE '{TaskPrefix}%' " +
            (only is null ? "" : $"AND {only} ") + "ORDER BY persistence_id, sequence_number";
        var tasks = new List<StoredTask>();
        string? currentId = null;
        TaskState? state = null;
        long sequenceNr = 0;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var pid = reader.GetString(0);
                if (pid != currentId)
                {
                    Add(tasks, state, sequenceNr);
                    currentId = pid;
                    state = TaskState.Empty(pid[TaskPrefix.Length..]);
                }
                if (PraisonJsonSerializer.ReadEvent((byte[])reader.GetValue(2), reader.GetString(1)) is { } e)
                    state = state!.Apply(e);
                sequenceNr = reader.GetInt64(3);
            }
        }
        Add(tasks, state, sequenceNr);
        tasks.Sort((a, b) => a.Info.SubmittedAt != b.Info.SubmittedAt
            ? a.Info.SubmittedAt.CompareTo(b.Info.SubmittedAt)
            : string.CompareOrdinal(a.Info.TaskId, b.Info.TaskId));
        return tasks;
    }

    private static void Add(List<StoredTask> tasks, TaskState? state, long sequenceNr)
    {
        if (state is { Exists: true })
            tasks.Add(new StoredTask(state.ToInfo(), state.ResultJson) { State = state, SequenceNr = sequenceNr });
    }

    /// <summary>
    /// Stores <paramref name="rows"/> and their task-table changes (<see cref="JournalRowWrite.Change"/>, coalesced to
    /// one per task) in one transaction, so the rows and the events commit together or not at all.
    /// <para>A <c>Submitted</c> first claims its task id: its row is inserted only if the id has none
    /// (<c>ON CONFLICT DO NOTHING</c>), and the task's journal rows are written only if the claim succeeded; a claimed
    /// id is reported in <see cref="WriteOutcome.DuplicateSubmissions"/> and the rest of the batch is stored. Atomic
    /// across processes and nodes: on PostgreSQL a concurrent claim waits for the other transaction, on SQLite write
    /// transactions are serial. Other journal rows are written with <c>ON CONFLICT DO NOTHING</c>: a row whose
    /// (persistence id, sequence number) is already stored with the same bytes is a retried write whose commit
    /// succeeded (counted as stored); with other bytes it is a <see cref="WriteOutcome.Conflicts"/> entry, its task row
    /// untouched. Neither fails the batch. Any other error fails the whole batch. A task's tombstone row (kept by the
    /// plugin after a delete) goes with its task row (<see cref="DeleteTaskRowAsync"/>), so a claimed id has none; one
    /// left by an older version or a crash is a conflict of the write that meets it, removed then, so its retry is stored.</para>
    /// <para>PostgreSQL: one statement (data-modifying CTEs over <c>unnest</c> of array parameters), so one round trip
    /// and the statement's own transaction; it replaced BEGIN + COPY + INSERT + UPDATE + COMMIT. SQLite: one write
    /// transaction of prepared statements (claim, journal rows, row updates).</para>
    /// </summary>
    public virtual async Task<WriteOutcome> WriteEventsAsync(IReadOnlyList<JournalRowWrite> rows, CancellationToken cancellationToken)
    {
        if (rows.Count == 0) return WriteOutcome.AllStored;
        var changes = TaskRowChange.Coalesce(rows.Where(r => r.Change is not null).Select(r => r.Change!));
        // In id order: concurrent batches (several in flight on PostgreSQL, or other processes) then take the rows'
        // locks in the same order, so two claims of the same ids wait for each other instead of deadlocking.
        var inserts = changes.Where(c => c.Inserts).OrderBy(c => c.TaskId, StringComparer.Ordinal).ToList();
        var updates = changes.Where(c => !c.Inserts).OrderBy(c => c.TaskId, StringComparer.Ordinal).ToList();
        var claims = inserts.Select(c => c.TaskId).ToHashSet();
        // Rows of a task whose Submitted is in the batch are written only if its id is claimed.
        bool Claiming(JournalRowWrite row) => row.Change is { } c && claims.Contains(c.TaskId);
        HashSet<string> claimed;
        HashSet<(string, long)> conflicts;
        if (postgres)
        {
            await using var connection = (openBatchWriter ?? openJournal)();
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            HashSet<(string, long)> written;
            (claimed, written) = await WritePostgresAsync((NpgsqlConnection)connection, rows, Claiming, inserts, updates, cancellationToken).ConfigureAwait(false);
            conflicts = new HashSet<(string, long)>();
            foreach (var row in rows)
                if ((!Claiming(row) || claimed.Contains(row.Change!.TaskId)) && !written.Contains((row.PersistenceId, row.SequenceNr))
                    && await StoredAlreadyAsync(connection, null, row, cancellationToken).ConfigureAwait(false) != KeyHolds.SameEvent)
                    conflicts.Add((row.PersistenceId, row.SequenceNr));
        }
        else
        {
            await _sqliteWrite.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var writer = _sqliteWriter ??= new SqliteBatchWriter(openJournal());
                try
                {
                    (claimed, conflicts) = await writer.WriteAsync(rows, Claiming, inserts, updates, cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    // A failed write may leave the connection unusable (a closed file, a broken transaction): the next opens afresh.
                    _sqliteWriter = null;
                    await writer.DisposeAsync().ConfigureAwait(false);
                    throw;
                }
            }
            finally
            {
                _sqliteWrite.Release();
            }
        }
        return conflicts.Count == 0 && claimed.Count == claims.Count
            ? WriteOutcome.AllStored
            : new WriteOutcome(claims.Where(id => !claimed.Contains(id)).ToHashSet(), conflicts);
    }

    // SQLite: the TaskJournal's batches go through one connection and its prepared statements, kept between batches
    // (opening a connection and preparing five statements per batch was a large part of a small batch's cost).
    private readonly SemaphoreSlim _sqliteWrite = new(1, 1);
    private SqliteBatchWriter? _sqliteWriter;

    /// <summary>Closes the connection kept for batch writes (the TaskJournal stops); a later write opens another.</summary>
    public async Task ReleaseWriterAsync()
    {
        await _sqliteWrite.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_sqliteWriter is { } writer) await writer.DisposeAsync().ConfigureAwait(false);
            _sqliteWriter = null;
        }
        finally
        {
            _sqliteWrite.Release();
        }
    }

    /// <summary>One SQLite connection with the batch write's prepared statements (claim, journal rows, row update, key check).</summary>
    private sealed class SqliteBatchWriter(DbConnection connection) : IAsyncDisposable
    {
        private DbCommand? _claim, _fresh, _later, _update;

        public async Task<(HashSet<string> Claimed, HashSet<(string, long)> Conflicts)> WriteAsync(IReadOnlyList<JournalRowWrite> rows,
            Func<JournalRowWrite, bool> claiming, IReadOnlyList<TaskRowChange> inserts, IReadOnlyList<TaskRowChange> updates, CancellationToken ct)
        {
            if (connection.State != System.Data.ConnectionState.Open) await connection.OpenAsync(ct).ConfigureAwait(false);
            await using var tx = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
            var claimed = new HashSet<string>();
            if (inserts.Count > 0)
            {
                _claim ??= TaskTable.SqliteClaim(connection);
                _claim.Transaction = tx;
                claimed = await TaskTable.ClaimAsync(_claim, inserts, ct).ConfigureAwait(false);
                // A webhook row only for a claimed submission: a duplicate must not add one to the existing task.
                await WebhookTable.InsertWaitingAsync(connection, tx, inserts.Where(c => claimed.Contains(c.TaskId)).ToList(), ct).ConfigureAwait(false);
            }
            var written = new HashSet<(string, long)>();
            var conflicts = new HashSet<(string, long)>();
            foreach (var row in rows)
            {
                var claims = claiming(row);
                if (claims && !claimed.Contains(row.Change!.TaskId)) continue;
                // A claimed task's rows must all be written (a duplicate key fails the batch): its row is inserted.
                var command = claims ? _fresh ??= JournalInsert(connection, "") : _later ??= JournalInsert(connection, " ON CONFLICT DO NOTHING");
                command.Transaction = tx;
                SetJournalRow(command, row);
                if (await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false) > 0) written.Add((row.PersistenceId, row.SequenceNr));
                else if (await StoredAlreadyAsync(connection, tx, row, ct).ConfigureAwait(false) != KeyHolds.SameEvent) conflicts.Add((row.PersistenceId, row.SequenceNr));
            }
            var stored = updates.Where(c => written.Contains((TaskPersistenceIds.For(c.TaskId), c.SequenceNr))).ToList();
            if (stored.Count > 0)
            {
                _update ??= TaskTable.SqliteUpdate(connection);
                _update.Transaction = tx;
                await TaskTable.UpdateSqliteAsync(_update, stored, ct).ConfigureAwait(false);
            }
            await tx.CommitAsync(ct).ConfigureAwait(false);
            return (claimed, conflicts);
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var command in new[] { _claim, _fresh, _later, _update })
                if (command is not null) await command.DisposeAsync().ConfigureAwait(false);
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    private const string JournalColumns = "created, deleted, persistence_id, sequence_number, message, manifest, identifier, writer_uuid";

    /// <summary>
    /// The PostgreSQL write as one statement: claim the submitted ids, write the claimed tasks' journal rows (a
    /// duplicate key among them fails the statement) and the other rows (skipping a key already stored), update the
    /// rows of the events stored. Returns the ids claimed and the journal keys written.
    /// </summary>
    private static async Task<(HashSet<string> Claimed, HashSet<(string, long)> Written)> WritePostgresAsync(NpgsqlConnection connection,
        IReadOnlyList<JournalRowWrite> rows, Func<JournalRowWrite, bool> claiming, IReadOnlyList<TaskRowChange> inserts,
        IReadOnlyList<TaskRowChange> updates, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand { Connection = connection };
        Add(command, "j_created", NpgsqlDbType.Bigint, rows.Select(r => r.Created).ToArray());
        Add(command, "j_pid", NpgsqlDbType.Text, rows.Select(r => r.PersistenceId).ToArray());
        Add(command, "j_seq", NpgsqlDbType.Bigint, rows.Select(r => r.SequenceNr).ToArray());
        Add(command, "j_message", NpgsqlDbType.Bytea, rows.Select(r => r.Message).ToArray());
        Add(command, "j_manifest", NpgsqlDbType.Text, rows.Select(r => r.Manifest).ToArray());
        Add(command, "j_identifier", NpgsqlDbType.Integer, rows.Select(r => r.SerializerId).ToArray());
        Add(command, "j_writer", NpgsqlDbType.Text, rows.Select(r => r.WriterUuid).ToArray());
        Add(command, "j_claim", NpgsqlDbType.Text, rows.Select(r => claiming(r) ? r.Change!.TaskId : null).ToArray());
        const string journalRows =
            "SELECT j.created, false, j.pid, j.seq, j.message, j.manifest, j.identifier, j.writer FROM unnest(@j_created, @j_pid, @j_seq, " +
            "@j_message, @j_manifest, @j_identifier, @j_writer, @j_claim) AS j(created, pid, seq, message, manifest, identifier, writer, claim)";
        command.CommandText =
            "WITH " + TaskTable.PostgresClaimCte(command, inserts) + ", " +
            $"fresh AS (INSERT INTO journal ({JournalColumns}) {journalRows} WHERE j.claim IN (SELECT task_id FROM claimed) " +
            "RETURNING persistence_id, sequence_number), " +
            $"later AS (INSERT INTO journal ({JournalColumns}) {journalRows} WHERE j.claim IS NULL ON CONFLICT DO NOTHING " +
            "RETURNING persistence_id, sequence_number), " +
            TaskTable.PostgresUpdateCte(command, updates, "later") + WebhookTable.PostgresWaitingCte(command, inserts) + " " +
            "SELECT 0, task_id, 0::bigint FROM claimed UNION ALL SELECT 1, persistence_id, sequence_number FROM fresh " +
            "UNION ALL SELECT 1, persistence_id, sequence_number FROM later";
        // Prepared (once per pooled connection; two texts, with and without webhook rows): parsing and planning this
        // statement cost more server time than executing a batch of a few dozen events. Its generic plan keeps the hash
        // joins (array lengths unknown), so a large batch is not planned worse than with its values.
        await command.PrepareAsync(cancellationToken).ConfigureAwait(false);
        var claimed = new HashSet<string>();
        var written = new HashSet<(string, long)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            if (reader.GetInt32(0) == 0) claimed.Add(reader.GetString(1));
            else written.Add((reader.GetString(1), reader.GetInt64(2)));
        return (claimed, written);

        static void Add<T>(NpgsqlCommand c, string name, NpgsqlDbType type, T[] values) =>
            c.Parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Array | type) { Value = values });
    }

    private static DbCommand JournalInsert(DbConnection connection, string onConflict) => TaskTable.Command(connection, null,
            $"INSERT INTO journal ({JournalColumns}) VALUES ($created, 0, $pid, $seq, $message, $manifest, $identifier, $writer)" + onConflict);

    private static void SetJournalRow(DbCommand command, JournalRowWrite row)
    {
        TaskTable.Set(command, "$created", row.Created);
        TaskTable.Set(command, "$pid", row.PersistenceId);
        TaskTable.Set(command, "$seq", row.SequenceNr);
        TaskTable.Set(command, "$message", row.Message);
        TaskTable.Set(command, "$manifest", row.Manifest);
        TaskTable.Set(command, "$identifier", row.SerializerId);
        TaskTable.Set(command, "$writer", row.WriterUuid);
    }

    private enum KeyHolds { SameEvent, OtherEvent, Tombstone }

    /// <summary>
    /// What the journal holds under <paramref name="row"/>'s key, which the write did not take: the same event (an earlier
    /// try of this write whose commit succeeded), another event, or a tombstone of a deleted task. A tombstone is left
    /// only by a delete whose task row was not removed with it (a store written before tombstones went with the row, or
    /// a crash between the plugin's delete and the row's): it is removed here, so the write, answered with an error and
    /// retried, is stored at its next try.
    /// </summary>
    private static async Task<KeyHolds> StoredAlreadyAsync(DbConnection connection, DbTransaction? tx, JournalRowWrite row, CancellationToken cancellationToken)
    {
        bool same, deleted;
        await using (var command = TaskTable.Command(connection, tx,
                         "SELECT message, manifest, deleted FROM journal WHERE persistence_id = @pid AND sequence_number = @seq"))
        {
            TaskTable.Set(command, "@pid", row.PersistenceId);
            TaskTable.Set(command, "@seq", row.SequenceNr);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) return KeyHolds.OtherEvent; // gone meanwhile: a retry decides
            same = ((byte[])reader.GetValue(0)).AsSpan().SequenceEqual(row.Message) && reader.GetString(1) == row.Manifest;
            deleted = Convert.ToBoolean(reader.GetValue(2));
        }
        if (!deleted) return same ? KeyHolds.SameEvent : KeyHolds.OtherEvent;
        await using (var remove = TaskTable.Command(connection, tx,
                         "DELETE FROM journal WHERE persistence_id = @pid AND sequence_number = @seq AND deleted"))
        {
            TaskTable.Set(remove, "@pid", row.PersistenceId);
            TaskTable.Set(remove, "@seq", row.SequenceNr);
            await remove.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        return KeyHolds.Tombstone;
    }

    /// <summary>Writes the last progress of each task to its row (one transaction; rows already deleted are skipped).</summary>
    public async Task WriteProgressAsync(IReadOnlyList<RecordTaskProgress> progress, CancellationToken cancellationToken)
    {
        if (progress.Count == 0) return;
        await using var connection = openJournal();
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await _table.WriteProgressAsync(connection, tx, progress, cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Deletes a task's row and webhook row, right after the journal plugin deleted its events (that delete is not ours
    /// to join), and the plugin's tombstone (the task's highest event, kept flagged deleted) in the same transaction: a
    /// task without a row then has no journal rows left, so claiming its id again needs no look at the journal (the batch
    /// write used to delete tombstones at every claim, which scanned the journal).
    /// </summary>
    public async Task DeleteTaskRowAsync(string taskId, CancellationToken cancellationToken)
    {
        await using var connection = openJournal();
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var command = _table.Delete(connection, taskId))
        {
            command.Transaction = tx;
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await WebhookTable.DeleteAsync(connection, taskId, cancellationToken, tx).ConfigureAwait(false);
        await using (var tombstone = TaskTable.Command(connection, tx, $"DELETE FROM journal WHERE persistence_id = @pid AND deleted = {True}"))
        {
            TaskTable.Set(tombstone, "@pid", TaskPrefix + taskId);
            await tombstone.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A new connection to the journal's database (not opened), for the tables kept beside the task table.</summary>
    internal DbConnection OpenJournal() => openJournal();

    /// <summary>The store's webhook deliveries (<see cref="WebhookTable"/>).</summary>
    internal WebhookTable Webhooks => new(this);

    public async Task<TaskStatusInfo?> GetTaskAsync(string taskId, CancellationToken cancellationToken)
    {
        await using var connection = openJournal();
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = _table.SelectById(connection, taskId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? TaskTable.Read(reader) : null;
    }

    /// <summary>A page of matching tasks, oldest first, and (when <paramref name="count"/>) how many match in all.</summary>
    public async Task<(List<TaskStatusInfo> Tasks, long? Total)> QueryTasksAsync(TaskQuery query, int offset, int limit, bool count,
        CancellationToken cancellationToken)
    {
        await using var connection = openJournal();
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        var tasks = new List<TaskStatusInfo>();
        await using (var command = _table.SelectPage(connection, query, offset, limit))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                tasks.Add(TaskTable.Read(reader));
        if (!count) return (tasks, null);
        // The page alone tells the total when it is short and starts inside the results.
        if (tasks.Count < limit && (tasks.Count > 0 || offset == 0)) return (tasks, offset + tasks.Count);
        await using var counter = _table.Count(connection, query);
        return (tasks, Convert.ToInt64(await counter.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false)));
    }

    /// <summary>What a task was submitted with (its <see cref="TaskSubmitted"/> event, the first), read only when asked for.</summary>
    public async Task<TaskSpec?> ReadSpecAsync(string taskId, CancellationToken cancellationToken) =>
        await ReadEndEventAsync(taskId, last: false, cancellationToken).ConfigureAwait(false) is TaskSubmitted s ? s.Spec : null;

    /// <summary>The result JSON of a completed task, from its last event (read only when asked for).</summary>
    public async Task<string?> ReadResultAsync(string taskId, CancellationToken cancellationToken) =>
        await ReadEndEventAsync(taskId, last: true, cancellationToken).ConfigureAwait(false) is TaskCompleted c ? c.ResultJson : null;

    /// <summary>A task's first or last stored event (one indexed row of the journal), or null when it has none.</summary>
    private async Task<object?> ReadEndEventAsync(string taskId, bool last, CancellationToken cancellationToken)
    {
        await using var connection = openJournal();
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText =
            $"SELECT message, manifest FROM journal WHERE persistence_id = @pid AND deleted = {False} ORDER BY sequence_number{(last ? " DESC" : "")} LIMIT 1";
        var p = command.CreateParameter();
        p.ParameterName = "@pid";
        p.Value = TaskPrefix + taskId;
        command.Parameters.Add(p);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) return null;
        return PraisonJsonSerializer.ReadEvent((byte[])reader.GetValue(0), reader.GetString(1));
    }

    /// <summary>Ids of unfinished tasks and of finished ones whose cleanup is due (the cluster's sweeper wakes them).</summary>
    public Task<List<string>> ReadSweepTargetsAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        ReadIdsAsync(c => _table.SelectSweepTargets(c, now), cancellationToken);

    /// <summary>Ids of finished tasks, or of all tasks, oldest first (what a clear removes).</summary>
    public Task<List<string>> ReadTaskIdsAsync(bool includeActive, CancellationToken cancellationToken) =>
        ReadIdsAsync(c => _table.SelectIds(c, includeActive), cancellationToken);

    /// <summary>Finished tasks whose cleanup is due, with their last sequence numbers, soonest first, at most <paramref name="limit"/>.</summary>
    public Task<List<(string TaskId, long SequenceNr)>> ReadDueCleanupsAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        ReadSequenceNrsAsync(c => _table.SelectDueCleanups(c, now, limit), cancellationToken);

    /// <summary>Every finished task with its last sequence number, oldest first.</summary>
    public Task<List<(string TaskId, long SequenceNr)>> ReadFinishedSequenceNrsAsync(CancellationToken cancellationToken) =>
        ReadSequenceNrsAsync(c => _table.SelectFinishedSequenceNrs(c), cancellationToken);

    /// <summary>Which of <paramref name="taskIds"/> have a row, with their last sequence numbers (by primary key, 500 ids a query).</summary>
    public async Task<Dictionary<string, long>> ReadSequenceNrsAsync(IReadOnlyList<string> taskIds, CancellationToken cancellationToken)
    {
        var found = new Dictionary<string, long>();
        foreach (var chunk in taskIds.Chunk(500))
            foreach (var (id, seq) in await ReadSequenceNrsAsync(c => _table.SelectSequenceNrs(c, chunk), cancellationToken).ConfigureAwait(false))
                found[id] = seq;
        return found;
    }

    private async Task<List<(string TaskId, long SequenceNr)>> ReadSequenceNrsAsync(Func<DbConnection, DbCommand> select,
        CancellationToken cancellationToken)
    {
        await using var connection = openJournal();
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = new List<(string, long)>();
        await using var command = select(connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) rows.Add((reader.GetString(0), Convert.ToInt64(reader.GetValue(1))));
        return rows;
    }

    private async Task<List<string>> ReadIdsAsync(Func<DbConnection, DbCommand> select, CancellationToken cancellationToken)
    {
        await using var connection = openJournal();
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        var ids = new List<string>();
        await using var command = select(connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) ids.Add(reader.GetString(0));
        return ids;
    }

    /// <summary>
    /// Why a read of the task table failed, as far as the schema tells: the store was never created (it reads as empty),
    /// it was written before the task table existed or before some of its columns (it is migrated, then read), or neither
    /// (the failure stands).
    /// </summary>
    public async Task<TableState> TableStateAsync(CancellationToken cancellationToken)
    {
        await using var connection = openJournal();
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        if (await TableExistsAsync(connection, TaskTable.Name, cancellationToken).ConfigureAwait(false))
        {
            // A table written by an older version that no host has opened since lacks the columns added after it.
            foreach (var (name, _, _) in TaskTable.AddedColumns)
                if (!await HasColumnAsync(connection, null, name, cancellationToken).ConfigureAwait(false)) return TableState.LacksColumns;
            return TableState.Present;
        }
        if (!await TableExistsAsync(connection, "journal", cancellationToken).ConfigureAwait(false)) return TableState.NeverCreated;
        if (!await TableExistsAsync(connection, TaskTable.SchemaSteps, cancellationToken).ConfigureAwait(false)) return TableState.PredatesTable;
        await using var done = TaskTable.Command(connection, null, $"SELECT COUNT(*) FROM {TaskTable.SchemaSteps} WHERE step = '{TaskTable.BackfillStep}'");
        return Convert.ToInt64(await done.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false)) > 0 ? TableState.Missing : TableState.PredatesTable;
    }

    internal enum TableState { Present, NeverCreated, PredatesTable, LacksColumns, Missing }

    /// <summary>Deletes the rows of fully deleted tasks (Akka.Persistence.Sql keeps the highest one, flagged deleted).</summary>
    public async Task<int> PurgeDeletedAsync(CancellationToken cancellationToken)
    {
        var removed = 0;
        await using (var connection = openJournal())
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            if (await TableExistsAsync(connection, "journal", cancellationToken).ConfigureAwait(false))
            {
                await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                var pids = $"SELECT persistence_id FROM journal WHERE deleted = {True} AND persistence_id LIKE '{TaskPrefix}%'";
                if (await TableExistsAsync(connection, "tags", cancellationToken, tx).ConfigureAwait(false))
                    await ExecuteAsync(connection, tx, $"DELETE FROM tags WHERE persistence_id IN ({pids})", cancellationToken).ConfigureAwait(false);
                // The rows of tasks whose events are all deleted go with their tombstones (a row delete after the
                // plugin's delete may have failed).
                if (await TableExistsAsync(connection, TaskTable.Name, cancellationToken, tx).ConfigureAwait(false))
                    await ExecuteAsync(connection, tx,
                        $"DELETE FROM {TaskTable.Name} WHERE task_id IN (SELECT substr(persistence_id, {TaskPrefix.Length + 1}) FROM journal " +
                        $"WHERE deleted = {True} AND persistence_id LIKE '{TaskPrefix}%' AND NOT EXISTS " +
                        $"(SELECT 1 FROM journal j2 WHERE j2.persistence_id = journal.persistence_id AND j2.deleted = {False}))",
                        cancellationToken).ConfigureAwait(false);
                removed = await ExecuteAsync(connection, tx,
                    $"DELETE FROM journal WHERE deleted = {True} AND persistence_id LIKE '{TaskPrefix}%' AND NOT EXISTS " +
                    $"(SELECT 1 FROM journal j2 WHERE j2.persistence_id = journal.persistence_id AND j2.deleted = {False})",
                    cancellationToken).ConfigureAwait(false);
                await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        return removed;
    }

    /// <summary>Counts rows of one task in the journal, tags and snapshot tables (for tests and diagnostics).</summary>
    public async Task<long> CountRowsAsync(string taskId, CancellationToken cancellationToken)
    {
        var pid = TaskPrefix + taskId;
        long total = 0;
        await using (var connection = openJournal())
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            foreach (var table in new[] { "journal", "tags" })
                if (await TableExistsAsync(connection, table, cancellationToken).ConfigureAwait(false))
                    total += await CountAsync(connection, table, pid, cancellationToken).ConfigureAwait(false);
        }
        await using (var connection = openSnapshots())
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            if (await TableExistsAsync(connection, "snapshot", cancellationToken).ConfigureAwait(false))
                total += await CountAsync(connection, "snapshot", pid, cancellationToken).ConfigureAwait(false);
        }
        return total;
    }

    /// <summary>How many stored events of the given manifests each task has (for tests and diagnostics).</summary>
    public async Task<Dictionary<string, int>> CountEventsAsync(IReadOnlyCollection<string> manifests, CancellationToken cancellationToken)
    {
        var counts = new Dictionary<string, int>();
        await using var connection = openJournal();
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        if (!await TableExistsAsync(connection, "journal", cancellationToken).ConfigureAwait(false)) return counts;
        await using var command = connection.CreateCommand();
        var list = string.Join(",", manifests.Select(m => "'" + m.Replace("'", "''") + "'"));
        command.CommandText =
            $"SELECT persistence_id, COUNT(*) FROM journal WHERE manifest IN ({list}) AND persistence_id LIKE '{TaskPrefix}%' GROUP BY persistence_id";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            counts[reader.GetString(0)[TaskPrefix.Length..]] = Convert.ToInt32(reader.GetValue(1));
        return counts;
    }

    private static async Task<long> CountAsync(DbConnection connection, string table, string pid, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM {table} WHERE persistence_id = @pid";
        var p = command.CreateParameter();
        p.ParameterName = "@pid";
        p.Value = pid;
        command.Parameters.Add(p);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false));
    }

    private static async Task<int> ExecuteAsync(DbConnection connection, DbTransaction tx, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<bool> TableExistsAsync(DbConnection connection, string table, CancellationToken cancellationToken, DbTransaction? tx = null)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = postgres
            ? $"SELECT to_regclass('public.{table}') IS NOT NULL"
            : $"SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = '{table}'";
        return Convert.ToBoolean(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false));
    }
}
