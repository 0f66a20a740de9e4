using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace Praison.Actors.Benchmarks.Baselines;

/// <summary>
/// The SQLite limit beside our durable throughput, as <see cref="CopyBaseline"/> is PostgreSQL's: the rows a run of ours
/// stored (every journal row and task row, the same bytes) inserted again into an empty store of the same schema,
/// indexes and pragmas, by prepared INSERTs on one connection, in transactions of at most
/// <see cref="StoredRows.BatchEvents"/> journal rows with their tasks' rows (SQLite has no COPY). Like COPY it writes
/// each row once in its final state; we write three events per task as they happen, claim the id and update the task's
/// row twice. In process, so its CPU time is SQLite's own work plus the provider's.
/// </summary>
public static class SqliteInsertBaseline
{
    /// <summary>Every task's journal rows and task row in the database at <paramref name="path"/>, grouped by task.</summary>
    public static async Task<StoredRows> ReadAsync(string path, CancellationToken ct)
    {
        await using var connection = Open(path);
        await connection.OpenAsync(ct);
        return await StoredRows.ReadAsync(connection, ct);
    }

    /// <summary>Inserts <paramref name="rows"/> into the (empty, prepared) store at <paramref name="path"/>: elapsed time and this process's CPU time.</summary>
    public static async Task<(TimeSpan Elapsed, TimeSpan ProcessCpu)> RunAsync(StoredRows rows, string path, CancellationToken ct)
    {
        await using var connection = Open(path);
        await connection.OpenAsync(ct);
        var journalColumns = StoredRows.JournalColumns.Split(", ");
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var start = Stopwatch.GetTimestamp();
        foreach (var (tasks, journal) in rows.Batches())
        {
            await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
            await InsertAsync(connection, tx, "journal", journalColumns, rows.Journal.Take(journal), ct);
            await InsertAsync(connection, tx, "praison_tasks", rows.TaskColumns, rows.Tasks.Take(tasks), ct);
            await tx.CommitAsync(ct);
        }
        return (Stopwatch.GetElapsedTime(start), Process.GetCurrentProcess().TotalProcessorTime - cpu0);
    }

    /// <summary><paramref name="values"/> through one prepared INSERT.</summary>
    private static async Task InsertAsync(SqliteConnection connection, SqliteTransaction tx, string table, string[] columns,
        IEnumerable<object?[]> values, CancellationToken ct)
    {
        await using var insert = connection.CreateCommand();
        insert.Transaction = tx;
        insert.CommandText = $"INSERT INTO {table} ({string.Join(", ", columns)}) VALUES ({string.Join(", ", columns.Select((_, i) => "$p" + i))})";
        var parameters = columns.Select((_, i) => insert.Parameters.Add(new SqliteParameter("$p" + i, null))).ToArray();
        insert.Prepare();
        foreach (var row in values)
        {
            for (var i = 0; i < parameters.Length; i++) parameters[i].Value = row[i] ?? DBNull.Value;
            await insert.ExecuteNonQueryAsync(ct);
        }
    }

    // The store's own connection settings (TaskStore.SqliteStore): pooled, WAL set by the store when it was prepared.
    private static SqliteConnection Open(string path) =>
        new(new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 30 }.ToString());
}
