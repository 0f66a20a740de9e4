using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace Praison.Actors.Benchmarks.Baselines;

/// <summary>
/// The SQLite limit beside our durable throughput, as <see cref="CopyBaseline"/> is PostgreSQL's: the rows a run of ours
/// stored (every journal row and task row, the same bytes) inserted again into an empty store of the same schema,
/// indexes and pragmas, by prepared INSERTs on one connection, in transactions of at most
/// <see cref="CopyBaseline.BatchEvents"/> journal rows with their tasks' rows (SQLite has no COPY). Like COPY it writes
/// each row once in its final state; we write three events per task as they happen, claim the id and update the task's
/// row twice. In process, so its CPU time is SQLite's own work plus the provider's.
/// </summary>
public static class SqliteInsertBaseline
{
    private const string JournalColumns = "created, deleted, persistence_id, sequence_number, message, manifest, identifier, writer_uuid";

    /// <summary>Every task's journal rows and task row in the database at <paramref name="path"/>, grouped by task.</summary>
    public sealed record StoredRows(List<object?[]> Journal, List<int> JournalRowsPerTask, List<object?[]> Tasks, string[] TaskColumns);

    public static async Task<StoredRows> ReadAsync(string path, CancellationToken ct)
    {
        await using var connection = Open(path);
        await connection.OpenAsync(ct);
        var tasks = new List<object?[]>();
        string[] columns;
        await using (var command = new SqliteCommand("SELECT * FROM praison_tasks ORDER BY task_id", connection))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            columns = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToArray();
            while (await reader.ReadAsync(ct)) tasks.Add(Values(reader));
        }
        var journal = new List<object?[]>();
        var perTask = new List<int>();
        string? current = null;
        await using (var command = new SqliteCommand(
                         $"SELECT {JournalColumns} FROM journal WHERE persistence_id LIKE 'task-%' AND deleted = 0 " +
                         "ORDER BY substr(persistence_id, 6), sequence_number", connection))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                var values = Values(reader);
                var pid = (string)values[2]!;
                if (pid != current)
                {
                    perTask.Add(0);
                    current = pid;
                }
                perTask[^1]++;
                journal.Add(values);
            }
        }
        if (perTask.Count != tasks.Count)
            throw new InvalidOperationException($"The store holds {tasks.Count} task rows but journal rows of {perTask.Count} tasks.");
        return new StoredRows(journal, perTask, tasks, columns);
    }

    /// <summary>Inserts <paramref name="rows"/> into the (empty, prepared) store at <paramref name="path"/>: elapsed time and this process's CPU time.</summary>
    public static async Task<(TimeSpan Elapsed, TimeSpan ProcessCpu)> RunAsync(StoredRows rows, string path, CancellationToken ct)
    {
        await using var connection = Open(path);
        await connection.OpenAsync(ct);
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var start = Stopwatch.GetTimestamp();
        int task = 0, journalRow = 0;
        while (task < rows.Tasks.Count)
        {
            // Whole tasks per batch, up to BatchEvents journal rows.
            int firstTask = task, firstRow = journalRow, events = 0;
            while (task < rows.Tasks.Count && (events == 0 || events + rows.JournalRowsPerTask[task] <= CopyBaseline.BatchEvents))
                events += rows.JournalRowsPerTask[task++];
            journalRow += events;
            await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
            await InsertAsync(connection, tx, "journal", JournalColumns.Split(", "), rows.Journal, firstRow, journalRow, ct);
            await InsertAsync(connection, tx, "praison_tasks", rows.TaskColumns, rows.Tasks, firstTask, task, ct);
            await tx.CommitAsync(ct);
        }
        return (Stopwatch.GetElapsedTime(start), Process.GetCurrentProcess().TotalProcessorTime - cpu0);
    }

    /// <summary>Rows [from, to) of <paramref name="values"/> through one prepared INSERT.</summary>
    private static async Task InsertAsync(SqliteConnection connection, SqliteTransaction tx, string table, string[] columns,
        List<object?[]> values, int from, int to, CancellationToken ct)
    {
        await using var insert = connection.CreateCommand();
        insert.Transaction = tx;
        insert.CommandText = $"INSERT INTO {table} ({string.Join(", ", columns)}) VALUES ({string.Join(", ", columns.Select((_, i) => "$p" + i))})";
        var parameters = columns.Select((_, i) => insert.Parameters.Add(new SqliteParameter("$p" + i, null))).ToArray();
        insert.Prepare();
        for (var r = from; r < to; r++)
        {
            var row = values[r];
            for (var i = 0; i < parameters.Length; i++) parameters[i].Value = row[i] ?? DBNull.Value;
            await insert.ExecuteNonQueryAsync(ct);
        }
    }

    private static object?[] Values(SqliteDataReader reader)
    {
        var values = new object?[reader.FieldCount];
        for (var i = 0; i < values.Length; i++) values[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
        return values;
    }

    // The store's own connection settings (TaskStore.SqliteStore): pooled, WAL set by the store when it was prepared.
    private static SqliteConnection Open(string path) =>
        new(new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 30 }.ToString());
}
