using System.Data.Common;
using Npgsql;
using NpgsqlTypes;
using Praison.Actors.Messages;

namespace Praison.Actors.Persistence;

/// <summary>
/// The task table <c>praison_tasks</c>: one row per stored task, in the journal's database, written in the same
/// transaction as the task's events (see <see cref="SqlJournalAccess.WriteEventsAsync"/>) so every read is an indexed
/// query instead of a replay. Times are UTC ticks; status, kind and error kind are their lower-case names.
/// Only the SQL statements and row mapping live here; connections and transactions belong to the caller.
/// </summary>
internal sealed class TaskTable(bool postgres)
{
    public const string Name = "praison_tasks";
    public const string SchemaSteps = "praison_schema";
    public const string BackfillStep = "task-table-backfill";

    private const string InsertColumns =
        "task_id, kind, name, recipe, session_id, status, attempt, submitted_at, started_at, finished_at, cleanup_delay_ms, " +
        "cleanup_at, error_kind, error_message, error_type, error_stack, result_bytes, sequence_nr, max_attempts, next_attempt_at, attempt_errors, schedule_name";

    private const string ReadColumns =
        "task_id, kind, name, recipe, session_id, status, attempt, submitted_at, started_at, finished_at, " +
        "error_kind, error_message, error_type, error_stack, progress_fraction, progress_message, progress_at, " +
        "max_attempts, next_attempt_at, attempt_errors, schedule_name";

    // A re-insert (the backfill, or an id reused after a row delete failed) overwrites every event-owned column.
    private const string OnConflictOverwrite =
        " ON CONFLICT (task_id) DO UPDATE SET kind = excluded.kind, name = excluded.name, recipe = excluded.recipe, " +
        "session_id = excluded.session_id, status = excluded.status, attempt = excluded.attempt, submitted_at = excluded.submitted_at, " +
        "started_at = excluded.started_at, finished_at = excluded.finished_at, cleanup_delay_ms = excluded.cleanup_delay_ms, " +
        "cleanup_at = excluded.cleanup_at, error_kind = excluded.error_kind, error_message = excluded.error_message, " +
        "error_type = excluded.error_type, error_stack = excluded.error_stack, result_bytes = excluded.result_bytes, " +
        "sequence_nr = excluded.sequence_nr, max_attempts = excluded.max_attempts, next_attempt_at = excluded.next_attempt_at, " +
        "attempt_errors = excluded.attempt_errors, schedule_name = excluded.schedule_name, store_error = NULL";

    // A later event keeps what it does not set; the first start stays; cleanup counts from the stored delay.
    private const string UpdateAssignments =
        "status = {0}status, attempt = COALESCE({0}attempt, {1}attempt), started_at = COALESCE({1}started_at, {0}started_at), " +
        "finished_at = COALESCE({0}finished_at, {1}finished_at), " +
        "cleanup_at = CASE WHEN {0}finished_at IS NULL THEN {1}cleanup_at ELSE {0}finished_at + {1}cleanup_delay_ms * 10000 END, " +
        "error_kind = COALESCE({0}error_kind, {1}error_kind), error_message = COALESCE({0}error_message, {1}error_message), " +
        "error_type = COALESCE({0}error_type, {1}error_type), error_stack = COALESCE({0}error_stack, {1}error_stack), " +
        "result_bytes = COALESCE({0}result_bytes, {1}result_bytes), sequence_nr = {0}sequence_nr, store_error = NULL, " +
        // A retry's wait shows only while the task is Pending; the attempts' errors are appended (JSON lines).
        "next_attempt_at = CASE WHEN {0}status = 'pending' THEN COALESCE({0}next_attempt_at, {1}next_attempt_at) ELSE NULL END, " +
        "attempt_errors = CASE WHEN {0}attempt_errors IS NULL THEN {1}attempt_errors ELSE COALESCE({1}attempt_errors, '') || {0}attempt_errors END";

    /// <summary>Columns added after the table was first released: (name, SQLite type, PostgreSQL type), added to older stores at start-up.</summary>
    public static readonly (string Name, string Sqlite, string Postgres)[] AddedColumns =
    {
        ("max_attempts", "INTEGER NULL", "INTEGER NULL"),
        ("next_attempt_at", "INTEGER NULL", "BIGINT NULL"),
        ("attempt_errors", "TEXT NULL", "TEXT NULL"),
        ("schedule_name", "TEXT NULL", "TEXT NULL"),
    };

    /// <summary>Indexes on <see cref="AddedColumns"/>: created after an older table has been given its missing columns.</summary>
    public static IEnumerable<string> AddedColumnIndexes()
    {
        yield return $"CREATE INDEX IF NOT EXISTS ix_{Name}_schedule ON {Name} (schedule_name, submitted_at, task_id) WHERE schedule_name IS NOT NULL";
    }

    private string BigInt => postgres ? "BIGINT" : "INTEGER";
    private string Real => postgres ? "DOUBLE PRECISION" : "REAL";

    /// <summary>Idempotent DDL: the table, its indexes and the schema-steps table.</summary>
    public IEnumerable<string> CreateStatements()
    {
        yield return
            $"CREATE TABLE IF NOT EXISTS {Name} (task_id TEXT NOT NULL PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL, " +
            $"recipe TEXT NULL, session_id TEXT NULL, status TEXT NOT NULL, attempt INTEGER NOT NULL, submitted_at {BigInt} NOT NULL, " +
            $"started_at {BigInt} NULL, finished_at {BigInt} NULL, cleanup_delay_ms {BigInt} NOT NULL, cleanup_at {BigInt} NULL, " +
            "error_kind TEXT NULL, error_message TEXT NULL, error_type TEXT NULL, error_stack TEXT NULL, result_bytes INTEGER NULL, " +
            $"sequence_nr {BigInt} NOT NULL, progress_fraction {Real} NULL, progress_message TEXT NULL, progress_at {BigInt} NULL, " +
            "store_error TEXT NULL, " + string.Join(", ", AddedColumns.Select(c => c.Name + " " + (postgres ? c.Postgres : c.Sqlite))) + ")";
        yield return $"CREATE INDEX IF NOT EXISTS ix_{Name}_submitted ON {Name} (submitted_at, task_id)";
        yield return $"CREATE INDEX IF NOT EXISTS ix_{Name}_status ON {Name} (status, submitted_at, task_id)";
        yield return $"CREATE INDEX IF NOT EXISTS ix_{Name}_session ON {Name} (session_id, submitted_at, task_id)";
        yield return $"CREATE INDEX IF NOT EXISTS ix_{Name}_cleanup ON {Name} (cleanup_at) WHERE cleanup_at IS NOT NULL";
        yield return $"CREATE TABLE IF NOT EXISTS {SchemaSteps} (step TEXT NOT NULL PRIMARY KEY, done_at {BigInt} NOT NULL)";
    }

    /// <summary>
    /// Applies one batch's row changes (already coalesced to one per task) inside <paramref name="tx"/>, inserts
    /// overwriting a row already there: the backfill's write (the event path claims ids instead, see <see cref="ClaimAsync"/>).
    /// </summary>
    public async Task WriteAsync(DbConnection connection, DbTransaction tx, IReadOnlyList<TaskRowChange> changes, CancellationToken ct)
    {
        if (changes.Count == 0) return;
        var inserts = changes.Where(c => c.Inserts).ToList();
        var updates = changes.Where(c => !c.Inserts).ToList();
        if (connection is NpgsqlConnection pg)
        {
            if (inserts.Count > 0)
            {
                await using var command = new NpgsqlCommand(
                    $"INSERT INTO {Name} ({InsertColumns}) SELECT * FROM {InsertUnnest("i_")}" + OnConflictOverwrite, pg);
                AddInsertArrays(command, inserts, "i_");
                await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            if (updates.Count > 0)
            {
                await using var command = new NpgsqlCommand($"UPDATE {Name} t SET " + string.Format(UpdateAssignments, "u.", "t.") +
                    $" FROM {UpdateUnnest("u_")} WHERE t.task_id = u.task_id", pg);
                AddUpdateArrays(command, updates, "u_");
                await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            return;
        }
        if (inserts.Count > 0)
        {
            await using var insert = SqliteInsert(connection, OnConflictOverwrite);
            insert.Transaction = tx;
            await InsertSqliteAsync(insert, inserts, null, ct).ConfigureAwait(false);
        }
        if (updates.Count > 0)
        {
            await using var update = SqliteUpdate(connection);
            update.Transaction = tx;
            await UpdateSqliteAsync(update, updates, ct).ConfigureAwait(false);
        }
    }

    /// <summary>SQLite: the statement that claims an id (inserts its row unless the id has one); reusable across batches.</summary>
    public static DbCommand SqliteClaim(DbConnection connection) => SqliteInsert(connection, " ON CONFLICT (task_id) DO NOTHING");

    /// <summary>SQLite: the statement that applies an update change to an existing row; reusable across batches.</summary>
    public static DbCommand SqliteUpdate(DbConnection connection) =>
        Command(connection, null, $"UPDATE {Name} SET " + string.Format(UpdateAssignments, "$", "") + " WHERE task_id = $id");

    /// <summary>
    /// SQLite: runs <paramref name="claim"/> (<see cref="SqliteClaim"/>) for each insert change and returns the ids it
    /// inserted, the ids this write claims; an id that already has a row (another process, or a task stored earlier)
    /// is left alone. Inside the caller's write transaction, so two processes on one file claim an id once.
    /// </summary>
    public static async Task<HashSet<string>> ClaimAsync(DbCommand claim, IReadOnlyList<TaskRowChange> inserts, CancellationToken ct)
    {
        var claimed = new HashSet<string>();
        await InsertSqliteAsync(claim, inserts, claimed, ct).ConfigureAwait(false);
        return claimed;
    }

    /// <summary>SQLite: runs <paramref name="update"/> (<see cref="SqliteUpdate"/>) for each update change.</summary>
    public static async Task UpdateSqliteAsync(DbCommand update, IReadOnlyList<TaskRowChange> updates, CancellationToken ct)
    {
        foreach (var c in updates)
        {
            Set(update, "$id", c.TaskId);
            Set(update, "$status", c.Status.ToWireName());
            Set(update, "$attempt", c.Attempt);
            Set(update, "$started_at", c.StartedAt?.UtcTicks);
            Set(update, "$finished_at", c.FinishedAt?.UtcTicks);
            Set(update, "$error_kind", c.Error is null ? null : ErrorKindName(c.Error.Kind));
            Set(update, "$error_message", c.Error?.Message);
            Set(update, "$error_type", c.Error?.ErrorType);
            Set(update, "$error_stack", c.Error?.StackTrace);
            Set(update, "$result_bytes", c.ResultBytes);
            Set(update, "$sequence_nr", c.SequenceNr);
            Set(update, "$next_attempt_at", c.NextAttemptAt?.UtcTicks);
            Set(update, "$attempt_errors", c.AttemptErrorLines);
            await update.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
    }

    private static DbCommand SqliteInsert(DbConnection connection, string onConflict) =>
        Command(connection, null,
            $"INSERT INTO {Name} ({InsertColumns}) VALUES ($id, $kind, $name, $recipe, $session, $status, $attempt, $submitted, " +
            "$started, $finished, $cleanup_delay, $cleanup, $error_kind, $error_message, $error_type, $error_stack, $result_bytes, $seq, " +
            "$max_attempts, $next_attempt_at, $attempt_errors, $schedule_name)" + onConflict);

    private static async Task InsertSqliteAsync(DbCommand insert, IReadOnlyList<TaskRowChange> inserts, HashSet<string>? inserted, CancellationToken ct)
    {
        foreach (var c in inserts)
        {
            var spec = c.Spec!;
            Set(insert, "$id", c.TaskId);
            Set(insert, "$kind", KindName(spec.Kind));
            Set(insert, "$name", spec.Name);
            Set(insert, "$recipe", spec.RecipeName);
            Set(insert, "$session", spec.SessionId);
            Set(insert, "$status", c.Status.ToWireName());
            Set(insert, "$attempt", c.Attempt ?? 0);
            Set(insert, "$submitted", (c.SubmittedAt ?? DateTimeOffset.UnixEpoch).UtcTicks);
            Set(insert, "$started", c.StartedAt?.UtcTicks);
            Set(insert, "$finished", c.FinishedAt?.UtcTicks);
            Set(insert, "$cleanup_delay", spec.CleanupDelayMs);
            Set(insert, "$cleanup", c.CleanupAt?.UtcTicks);
            SetError(insert, c.Error);
            Set(insert, "$result_bytes", c.ResultBytes);
            Set(insert, "$seq", c.SequenceNr);
            Set(insert, "$max_attempts", spec.MaxAttempts);
            Set(insert, "$next_attempt_at", c.NextAttemptAt?.UtcTicks);
            Set(insert, "$attempt_errors", c.AttemptErrorLines);
            Set(insert, "$schedule_name", spec.ScheduleName);
            if (await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false) > 0) inserted?.Add(c.TaskId);
        }
    }

    /// <summary>
    /// PostgreSQL: the claim as a common table expression <c>claimed(task_id)</c> of one write statement: the rows of
    /// <paramref name="inserts"/> whose id had no row, inserted (a concurrent claim of the same id waits for the other
    /// transaction, then finds the row). Parameters go to <paramref name="command"/>.
    /// </summary>
    public static string PostgresClaimCte(NpgsqlCommand command, IReadOnlyList<TaskRowChange> inserts)
    {
        AddInsertArrays(command, inserts, "i_");
        return $"claimed AS (INSERT INTO {Name} ({InsertColumns}) SELECT * FROM {InsertUnnest("i_")} ON CONFLICT (task_id) DO NOTHING RETURNING task_id)";
    }

    /// <summary>
    /// PostgreSQL: the updates as a common table expression of one write statement, applied only to tasks whose event
    /// the CTE <paramref name="written"/> (persistence_id, sequence_number) stored.
    /// </summary>
    public static string PostgresUpdateCte(NpgsqlCommand command, IReadOnlyList<TaskRowChange> updates, string written)
    {
        AddUpdateArrays(command, updates, "u_");
        return $"updated AS (UPDATE {Name} t SET " + string.Format(UpdateAssignments, "u.", "t.") +
               $" FROM {UpdateUnnest("u_")} WHERE t.task_id = u.task_id AND EXISTS (SELECT 1 FROM {written} w " +
               $"WHERE w.persistence_id = '{TaskPersistenceIds.Prefix}' || u.task_id AND w.sequence_number = u.sequence_nr))";
    }

    private static string InsertUnnest(string p) =>
        $"unnest(@{p}id, @{p}kind, @{p}name, @{p}recipe, @{p}session, @{p}status, @{p}attempt, @{p}submitted, @{p}started, @{p}finished, " +
        $"@{p}cleanup_delay, @{p}cleanup, @{p}error_kind, @{p}error_message, @{p}error_type, @{p}error_stack, @{p}result_bytes, @{p}seq, " +
        $"@{p}max_attempts, @{p}next_attempt_at, @{p}attempt_errors, @{p}schedule_name)";

    private static string UpdateUnnest(string p) =>
        $"unnest(@{p}id, @{p}status, @{p}attempt, @{p}started_at, @{p}finished_at, @{p}error_kind, @{p}error_message, @{p}error_type, " +
        $"@{p}error_stack, @{p}result_bytes, @{p}sequence_nr, @{p}next_attempt_at, @{p}attempt_errors) AS u(task_id, status, attempt, " +
        "started_at, finished_at, error_kind, error_message, error_type, error_stack, result_bytes, sequence_nr, next_attempt_at, attempt_errors)";

    private static void AddInsertArrays(NpgsqlCommand command, IReadOnlyList<TaskRowChange> rows, string p)
    {
        AddArray(command, p + "id", NpgsqlDbType.Text, rows.Select(c => c.TaskId).ToArray());
        AddArray(command, p + "kind", NpgsqlDbType.Text, rows.Select(c => KindName(c.Spec!.Kind)).ToArray());
        AddArray(command, p + "name", NpgsqlDbType.Text, rows.Select(c => c.Spec!.Name).ToArray());
        AddArray(command, p + "recipe", NpgsqlDbType.Text, rows.Select(c => c.Spec!.RecipeName).ToArray());
        AddArray(command, p + "session", NpgsqlDbType.Text, rows.Select(c => c.Spec!.SessionId).ToArray());
        AddArray(command, p + "status", NpgsqlDbType.Text, rows.Select(c => c.Status.ToWireName()).ToArray());
        AddArray(command, p + "attempt", NpgsqlDbType.Integer, rows.Select(c => c.Attempt ?? 0).ToArray());
        AddArray(command, p + "submitted", NpgsqlDbType.Bigint, rows.Select(c => (c.SubmittedAt ?? DateTimeOffset.UnixEpoch).UtcTicks).ToArray());
        AddArray(command, p + "started", NpgsqlDbType.Bigint, rows.Select(c => c.StartedAt?.UtcTicks).ToArray());
        AddArray(command, p + "finished", NpgsqlDbType.Bigint, rows.Select(c => c.FinishedAt?.UtcTicks).ToArray());
        AddArray(command, p + "cleanup_delay", NpgsqlDbType.Bigint, rows.Select(c => c.Spec!.CleanupDelayMs).ToArray());
        AddArray(command, p + "cleanup", NpgsqlDbType.Bigint, rows.Select(c => c.CleanupAt?.UtcTicks).ToArray());
        AddErrorArrays(command, rows, p);
        AddArray(command, p + "result_bytes", NpgsqlDbType.Integer, rows.Select(c => c.ResultBytes).ToArray());
        AddArray(command, p + "seq", NpgsqlDbType.Bigint, rows.Select(c => c.SequenceNr).ToArray());
        AddArray(command, p + "max_attempts", NpgsqlDbType.Integer, rows.Select(c => c.Spec!.MaxAttempts).ToArray());
        AddArray(command, p + "next_attempt_at", NpgsqlDbType.Bigint, rows.Select(c => c.NextAttemptAt?.UtcTicks).ToArray());
        AddArray(command, p + "attempt_errors", NpgsqlDbType.Text, rows.Select(c => c.AttemptErrorLines).ToArray());
        AddArray(command, p + "schedule_name", NpgsqlDbType.Text, rows.Select(c => c.Spec!.ScheduleName).ToArray());
    }

    private static void AddUpdateArrays(NpgsqlCommand command, IReadOnlyList<TaskRowChange> rows, string p)
    {
        AddArray(command, p + "id", NpgsqlDbType.Text, rows.Select(c => c.TaskId).ToArray());
        AddArray(command, p + "status", NpgsqlDbType.Text, rows.Select(c => c.Status.ToWireName()).ToArray());
        AddArray(command, p + "attempt", NpgsqlDbType.Integer, rows.Select(c => c.Attempt).ToArray());
        AddArray(command, p + "started_at", NpgsqlDbType.Bigint, rows.Select(c => c.StartedAt?.UtcTicks).ToArray());
        AddArray(command, p + "finished_at", NpgsqlDbType.Bigint, rows.Select(c => c.FinishedAt?.UtcTicks).ToArray());
        AddErrorArrays(command, rows, p);
        AddArray(command, p + "result_bytes", NpgsqlDbType.Integer, rows.Select(c => c.ResultBytes).ToArray());
        AddArray(command, p + "sequence_nr", NpgsqlDbType.Bigint, rows.Select(c => c.SequenceNr).ToArray());
        AddArray(command, p + "next_attempt_at", NpgsqlDbType.Bigint, rows.Select(c => c.NextAttemptAt?.UtcTicks).ToArray());
        AddArray(command, p + "attempt_errors", NpgsqlDbType.Text, rows.Select(c => c.AttemptErrorLines).ToArray());
    }

    /// <summary>Records the last progress of each task (table only: progress is not journaled).</summary>
    public async Task WriteProgressAsync(DbConnection connection, DbTransaction tx, IReadOnlyList<RecordTaskProgress> progress, CancellationToken ct)
    {
        if (connection is NpgsqlConnection pg)
        {
            await using var command = new NpgsqlCommand(
                $"UPDATE {Name} t SET progress_fraction = u.fraction, progress_message = u.message, progress_at = u.at " +
                "FROM unnest(@id, @fraction, @message, @at) AS u(task_id, fraction, message, at) WHERE t.task_id = u.task_id", pg);
            AddArray(command, "id", NpgsqlDbType.Text, progress.Select(p => p.TaskId).ToArray());
            AddArray(command, "fraction", NpgsqlDbType.Double, progress.Select(p => p.Fraction).ToArray());
            AddArray(command, "message", NpgsqlDbType.Text, progress.Select(p => p.Message).ToArray());
            AddArray(command, "at", NpgsqlDbType.Bigint, progress.Select(p => p.At.UtcTicks).ToArray());
            await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            return;
        }
        await using var update = Command(connection, tx,
            $"UPDATE {Name} SET progress_fraction = $fraction, progress_message = $message, progress_at = $at WHERE task_id = $id");
        foreach (var p in progress)
        {
            Set(update, "$id", p.TaskId);
            Set(update, "$fraction", p.Fraction);
            Set(update, "$message", p.Message);
            Set(update, "$at", p.At.UtcTicks);
            await update.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>The row a backfill writes for a task replayed from the journal.</summary>
    public static TaskRowChange FromState(StoredTask task)
    {
        var s = task.State!;
        return new TaskRowChange(s.TaskId, task.SequenceNr, s.Status)
        {
            Spec = s.Spec, SubmittedAt = s.SubmittedAt, Attempt = s.Attempt, StartedAt = s.FirstStartedAt, FinishedAt = s.FinishedAt,
            Error = s.Error, NextAttemptAt = s.NextAttemptAt, AttemptErrorLines = TaskRowChange.ErrorLines(s.AttemptErrors),
            ResultBytes = s.Status == BackgroundTaskStatus.Completed ? System.Text.Encoding.UTF8.GetByteCount(s.ResultJson ?? "") : null,
        };
    }

    public DbCommand SelectById(DbConnection connection, string taskId)
    {
        var command = Command(connection, null, $"SELECT {ReadColumns} FROM {Name} WHERE task_id = {P("id")}");
        Set(command, P("id"), taskId);
        return command;
    }

    /// <summary>One page of tasks matching <paramref name="query"/>, oldest first (the submission-order indexes serve it).</summary>
    public DbCommand SelectPage(DbConnection connection, TaskQuery query, int offset, int limit) =>
        Filtered(connection, $"SELECT {ReadColumns} FROM {Name}", query,
            $" ORDER BY submitted_at, task_id LIMIT {Math.Max(0, limit)} OFFSET {Math.Max(0, offset)}");

    public DbCommand Count(DbConnection connection, TaskQuery query) => Filtered(connection, $"SELECT COUNT(*) FROM {Name}", query, "");

    /// <summary>Ids of tasks that should be alive (pending, running) or whose cleanup is due at <paramref name="now"/>.</summary>
    public DbCommand SelectSweepTargets(DbConnection connection, DateTimeOffset now)
    {
        var command = Command(connection, null,
            $"SELECT task_id FROM {Name} WHERE status IN ('pending', 'running') " +
            $"UNION SELECT task_id FROM {Name} WHERE cleanup_at <= {P("now")}");
        Set(command, P("now"), now.UtcTicks);
        return command;
    }

    /// <summary>Id and last sequence number of finished tasks whose cleanup is due at <paramref name="now"/>, soonest first (the cleanup index).</summary>
    public DbCommand SelectDueCleanups(DbConnection connection, DateTimeOffset now, int limit)
    {
        var command = Command(connection, null,
            $"SELECT task_id, sequence_nr FROM {Name} WHERE cleanup_at <= {P("now")} ORDER BY cleanup_at LIMIT {Math.Max(1, limit)}");
        Set(command, P("now"), now.UtcTicks);
        return command;
    }

    /// <summary>Id and last sequence number of every finished task (what a clear removes), oldest first.</summary>
    public DbCommand SelectFinishedSequenceNrs(DbConnection connection) =>
        Command(connection, null,
            $"SELECT task_id, sequence_nr FROM {Name} WHERE status IN ('completed', 'failed', 'cancelled') ORDER BY submitted_at, task_id");

    /// <summary>Id and last sequence number of those of <paramref name="taskIds"/> that have a row (by primary key).</summary>
    public DbCommand SelectSequenceNrs(DbConnection connection, IReadOnlyList<string> taskIds)
    {
        var command = Command(connection, null, "");
        var names = new List<string>(taskIds.Count);
        for (var i = 0; i < taskIds.Count; i++)
        {
            names.Add(P("id" + i));
            Set(command, P("id" + i), taskIds[i]);
        }
        command.CommandText = $"SELECT task_id, sequence_nr FROM {Name} WHERE task_id IN ({string.Join(", ", names)})";
        return command;
    }

    /// <summary>Ids of finished tasks (or of every task), oldest first.</summary>
    public DbCommand SelectIds(DbConnection connection, bool includeActive) =>
        Command(connection, null,
            $"SELECT task_id FROM {Name}" + (includeActive ? "" : " WHERE status IN ('completed', 'failed', 'cancelled')") +
            " ORDER BY submitted_at, task_id");

    public DbCommand Delete(DbConnection connection, string taskId)
    {
        var command = Command(connection, null, $"DELETE FROM {Name} WHERE task_id = {P("id")}");
        Set(command, P("id"), taskId);
        return command;
    }

    public static TaskStatusInfo Read(DbDataReader r)
    {
        TaskProgress? progress = r.IsDBNull(14)
            ? null
            : new TaskProgress(r.GetDouble(14), r.IsDBNull(15) ? null : r.GetString(15), Time(r, 16) ?? DateTimeOffset.UnixEpoch);
        TaskError? error = r.IsDBNull(10)
            ? null
            : new TaskError(ParseErrorKind(r.GetString(10)), r.IsDBNull(11) ? "" : r.GetString(11),
                r.IsDBNull(12) ? null : r.GetString(12), r.IsDBNull(13) ? null : r.GetString(13));
        return new TaskStatusInfo(r.GetString(0), ParseKind(r.GetString(1)), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3),
            r.IsDBNull(4) ? null : r.GetString(4), BackgroundTaskStatusExtensions.ParseStatus(r.GetString(5)),
            Time(r, 7)!.Value, Time(r, 8), Time(r, 9), progress, error, Convert.ToInt32(r.GetValue(6)))
        {
            MaxAttempts = r.IsDBNull(17) ? 1 : Convert.ToInt32(r.GetValue(17)),
            NextAttemptAt = Time(r, 18),
            AttemptErrors = TaskRowChange.ParseErrorLines(r.IsDBNull(19) ? null : r.GetString(19)),
            ScheduleName = r.IsDBNull(20) ? null : r.GetString(20),
        };
    }

    private DbCommand Filtered(DbConnection connection, string select, TaskQuery query, string tail)
    {
        var where = new List<string>();
        var command = Command(connection, null, "");
        if (query.Status is { } status)
        {
            where.Add($"status = {P("status")}");
            Set(command, P("status"), status.ToWireName());
        }
        if (query.SessionId is { } session)
        {
            where.Add($"session_id = {P("session")}");
            Set(command, P("session"), session);
        }
        if (query.Name is { } name)
        {
            where.Add($"(name = {P("name")} OR recipe = {P("name")})");
            Set(command, P("name"), name);
        }
        if (query.ScheduleName is { } schedule)
        {
            where.Add($"schedule_name = {P("schedule")}");
            Set(command, P("schedule"), schedule);
        }
        command.CommandText = select + (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "") + tail;
        return command;
    }

    private string P(string name) => (postgres ? "@" : "$") + name;

    private static DateTimeOffset? Time(DbDataReader r, int i) => r.IsDBNull(i) ? null : new DateTimeOffset(r.GetInt64(i), TimeSpan.Zero);

    private static string KindName(TaskKind kind) => kind == TaskKind.Recipe ? "recipe" : "delegate";
    private static TaskKind ParseKind(string kind) => kind == "delegate" ? TaskKind.Delegate : TaskKind.Recipe;

    private static string ErrorKindName(TaskErrorKind kind) => kind switch
    {
        TaskErrorKind.Exception => "exception",
        TaskErrorKind.Timeout => "timeout",
        TaskErrorKind.Interrupted => "interrupted",
        TaskErrorKind.InvalidResult => "invalid_result",
        TaskErrorKind.BudgetExceeded => "budget_exceeded",
        TaskErrorKind.RetriesExhausted => "retries_exhausted",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    private static TaskErrorKind ParseErrorKind(string kind) => kind switch
    {
        "timeout" => TaskErrorKind.Timeout,
        "interrupted" => TaskErrorKind.Interrupted,
        "invalid_result" => TaskErrorKind.InvalidResult,
        "budget_exceeded" => TaskErrorKind.BudgetExceeded,
        "retries_exhausted" => TaskErrorKind.RetriesExhausted,
        _ => TaskErrorKind.Exception,
    };

    private static void SetError(DbCommand command, TaskError? error)
    {
        Set(command, "$error_kind", error is null ? null : ErrorKindName(error.Kind));
        Set(command, "$error_message", error?.Message);
        Set(command, "$error_type", error?.ErrorType);
        Set(command, "$error_stack", error?.StackTrace);
    }

    private static void AddErrorArrays(NpgsqlCommand command, IReadOnlyList<TaskRowChange> rows, string p)
    {
        AddArray(command, p + "error_kind", NpgsqlDbType.Text, rows.Select(c => c.Error is null ? null : ErrorKindName(c.Error.Kind)).ToArray());
        AddArray(command, p + "error_message", NpgsqlDbType.Text, rows.Select(c => c.Error?.Message).ToArray());
        AddArray(command, p + "error_type", NpgsqlDbType.Text, rows.Select(c => c.Error?.ErrorType).ToArray());
        AddArray(command, p + "error_stack", NpgsqlDbType.Text, rows.Select(c => c.Error?.StackTrace).ToArray());
    }

    private static void AddArray<T>(NpgsqlCommand command, string name, NpgsqlDbType type, T[] values) =>
        command.Parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Array | type) { Value = values });

    internal static DbCommand Command(DbConnection connection, DbTransaction? tx, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        return command;
    }

    /// <summary>Sets (adding it the first time) a parameter; null becomes DBNull.</summary>
    internal static void Set(DbCommand command, string name, object? value)
    {
        if (command is NpgsqlCommand) name = name.TrimStart('@');
        if (!command.Parameters.Contains(name))
        {
            var p = command.CreateParameter();
            p.ParameterName = name;
            command.Parameters.Add(p);
        }
        command.Parameters[name].Value = value ?? DBNull.Value;
    }
}
