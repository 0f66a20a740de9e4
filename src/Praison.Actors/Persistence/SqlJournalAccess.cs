using System.Data.Common;
using Npgsql;
using NpgsqlTypes;
using Praison.Actors.Serialization;
using Praison.Actors.Tasks;

namespace Praison.Actors.Persistence;

/// <summary>
/// Direct SQL on Akka.Persistence.Sql's tables (the "default" table mapping): reading every retained task at
/// start-up without recovering one actor per task, writing a batch of task events the cheapest way the database
/// offers, and removing the tombstone rows Akka.Persistence.Sql keeps after DeleteMessages, so cleaned-up tasks
/// leave no rows behind.
/// </summary>
internal sealed class SqlJournalAccess(Func<DbConnection> openJournal, Func<DbConnection> openSnapshots, bool postgres)
{
    private const string TaskPrefix = "task-";
    private string False => postgres ? "false" : "0";
    private string True => postgres ? "true" : "1";

    public async Task<IReadOnlyList<StoredTask>> ReadTasksAsync(CancellationToken cancellationToken)
    {
        await using var connection = openJournal();
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        if (!await TableExistsAsync(connection, "journal", cancellationToken).ConfigureAwait(false)) return Array.Empty<StoredTask>();

        await using var command = connection.CreateCommand();
        command.CommandText =
            $"SELECT persistence_id, manifest, message, sequence_number FROM journal WHERE deleted = {False} AND persistence_id LIKE '{TaskPrefix}%' " +
            "ORDER BY persistence_id, sequence_number";
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
    /// Stores <paramref name="rows"/> all or none: binary COPY on PostgreSQL (one statement, so one transaction),
    /// one prepared INSERT per row inside a transaction on SQLite. The profile scenario measured the journal plugin's
    /// own batch insert at 44 µs of machine CPU per event on PostgreSQL (mostly the server parsing a multi-row INSERT
    /// with inline values) against 9.5 µs for COPY, and 22.5 against 13.5 µs on SQLite. A duplicate
    /// (persistence id, sequence number) fails the whole batch, as it does in the plugin.
    /// </summary>
    public async Task WriteEventsAsync(IReadOnlyList<JournalRowWrite> rows, CancellationToken cancellationToken)
    {
        if (rows.Count == 0) return;
        await using var connection = openJournal();
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        if (connection is NpgsqlConnection pg)
        {
            await using var import = await pg.BeginBinaryImportAsync(
                "COPY journal (created, deleted, persistence_id, sequence_number, message, manifest, identifier, writer_uuid) FROM STDIN (FORMAT BINARY)",
                cancellationToken).ConfigureAwait(false);
            foreach (var row in rows)
            {
                await import.StartRowAsync(cancellationToken).ConfigureAwait(false);
                await import.WriteAsync(row.Created, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
                await import.WriteAsync(false, NpgsqlDbType.Boolean, cancellationToken).ConfigureAwait(false);
                await import.WriteAsync(row.PersistenceId, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await import.WriteAsync(row.SequenceNr, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
                await import.WriteAsync(row.Message, NpgsqlDbType.Bytea, cancellationToken).ConfigureAwait(false);
                await import.WriteAsync(row.Manifest, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await import.WriteAsync(row.SerializerId, NpgsqlDbType.Integer, cancellationToken).ConfigureAwait(false);
                await import.WriteAsync(row.WriterUuid, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
            }
            await import.CompleteAsync(cancellationToken).ConfigureAwait(false);
            return;
        }
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText =
            "INSERT INTO journal (created, deleted, persistence_id, sequence_number, message, manifest, identifier, writer_uuid) " +
            "VALUES ($created, 0, $pid, $seq, $message, $manifest, $identifier, $writer)";
        var parameters = new[] { "$created", "$pid", "$seq", "$message", "$manifest", "$identifier", "$writer" }.Select(name =>
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            command.Parameters.Add(parameter);
            return parameter;
        }).ToArray();
        foreach (var row in rows)
        {
            parameters[0].Value = row.Created;
            parameters[1].Value = row.PersistenceId;
            parameters[2].Value = row.SequenceNr;
            parameters[3].Value = row.Message;
            parameters[4].Value = row.Manifest;
            parameters[5].Value = row.SerializerId;
            parameters[6].Value = row.WriterUuid;
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

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
                if (await TableExistsAsync(connection, "tags", cancellationToken).ConfigureAwait(false))
                    await ExecuteAsync(connection, tx, $"DELETE FROM tags WHERE persistence_id IN ({pids})", cancellationToken).ConfigureAwait(false);
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

    private async Task<bool> TableExistsAsync(DbConnection connection, string table, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = postgres
            ? $"SELECT to_regclass('public.{table}') IS NOT NULL"
            : $"SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = '{table}'";
        return Convert.ToBoolean(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false));
    }
}
