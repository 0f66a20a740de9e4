using System.Diagnostics;
using Npgsql;
using NpgsqlTypes;
using Praison.Actors.Benchmarks.Harness;

namespace Praison.Actors.Benchmarks.Baselines;

/// <summary>
/// The PostgreSQL limit beside our durable throughput: the rows a run of ours stored (every journal row and task row,
/// the same bytes) written again into an empty store of the same schema with binary <c>COPY</c>, batches of at most
/// <see cref="BatchEvents"/> journal rows (the TaskJournal's largest batch) with their tasks' rows, one transaction
/// per batch, one batch in flight. COPY writes each row once in its final state; we write three events per task as
/// they happen, claim the id and update the task's row twice, answering each within its batch.
/// </summary>
public static class CopyBaseline
{
    public const int BatchEvents = 2000;

    private const string JournalColumns = "created, deleted, persistence_id, sequence_number, message, manifest, identifier, writer_uuid";

    /// <summary>Every task's journal rows and task row in <paramref name="connectionString"/>'s store, grouped by task.</summary>
    public sealed record StoredRows(List<object?[]> Journal, List<int> JournalRowsPerTask, List<object?[]> Tasks, string[] TaskColumns,
        NpgsqlDbType[] TaskTypes);

    public static async Task<StoredRows> ReadAsync(string connectionString, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        var tasks = new List<object?[]>();
        string[] columns;
        NpgsqlDbType[] types;
        await using (var command = new NpgsqlCommand("SELECT * FROM praison_tasks ORDER BY task_id", connection))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            columns = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToArray();
            types = Enumerable.Range(0, reader.FieldCount).Select(i => TypeOf(reader.GetDataTypeName(i))).ToArray();
            while (await reader.ReadAsync(ct))
            {
                var values = new object?[reader.FieldCount];
                for (var i = 0; i < values.Length; i++) values[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
                tasks.Add(values);
            }
        }
        var journal = new List<object?[]>();
        var perTask = new List<int>();
        string? current = null;
        await using (var command = new NpgsqlCommand(
                         $"SELECT {JournalColumns} FROM journal WHERE persistence_id LIKE 'task-%' AND NOT deleted " +
                         "ORDER BY substr(persistence_id, 6), sequence_number", connection))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                var values = new object?[reader.FieldCount];
                for (var i = 0; i < values.Length; i++) values[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
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
        return new StoredRows(journal, perTask, tasks, columns, types);
    }

    /// <summary>COPYs <paramref name="rows"/> into <paramref name="connectionString"/>'s (empty, prepared) store: elapsed time and server CPU seconds.</summary>
    public static async Task<(TimeSpan Elapsed, double? ServerCpuSeconds)> RunAsync(StoredRows rows, string connectionString, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        var server = await PostgresServerCpu.StartAsync(connectionString, ct);
        var taskCopy = $"COPY praison_tasks ({string.Join(", ", rows.TaskColumns)}) FROM STDIN (FORMAT BINARY)";
        NpgsqlDbType[] journalTypes =
        [
            NpgsqlDbType.Bigint, NpgsqlDbType.Boolean, NpgsqlDbType.Text, NpgsqlDbType.Bigint, NpgsqlDbType.Bytea, NpgsqlDbType.Text,
            NpgsqlDbType.Integer, NpgsqlDbType.Text,
        ];
        var start = Stopwatch.GetTimestamp();
        int task = 0, journalRow = 0;
        while (task < rows.Tasks.Count)
        {
            // Whole tasks per batch, up to BatchEvents journal rows.
            int firstTask = task, firstRow = journalRow, events = 0;
            while (task < rows.Tasks.Count && (events == 0 || events + rows.JournalRowsPerTask[task] <= BatchEvents))
                events += rows.JournalRowsPerTask[task++];
            journalRow += events;
            await using var tx = await connection.BeginTransactionAsync(ct);
            await using (var import = await connection.BeginBinaryImportAsync($"COPY journal ({JournalColumns}) FROM STDIN (FORMAT BINARY)", ct))
            {
                for (var r = firstRow; r < journalRow; r++) await WriteRowAsync(import, rows.Journal[r], journalTypes, ct);
                await import.CompleteAsync(ct);
            }
            await using (var import = await connection.BeginBinaryImportAsync(taskCopy, ct))
            {
                for (var t = firstTask; t < task; t++) await WriteRowAsync(import, rows.Tasks[t], rows.TaskTypes, ct);
                await import.CompleteAsync(ct);
            }
            await tx.CommitAsync(ct);
        }
        var elapsed = Stopwatch.GetElapsedTime(start);
        return (elapsed, server is null ? null : await server.ElapsedSecondsAsync(ct));
    }

    private static async Task WriteRowAsync(NpgsqlBinaryImporter import, object?[] values, NpgsqlDbType[] types, CancellationToken ct)
    {
        await import.StartRowAsync(ct);
        for (var i = 0; i < values.Length; i++)
            if (values[i] is null) await import.WriteNullAsync(ct);
            else await import.WriteAsync(values[i]!, types[i], ct);
    }

    private static NpgsqlDbType TypeOf(string dataTypeName) => dataTypeName switch
    {
        "text" => NpgsqlDbType.Text,
        "bigint" => NpgsqlDbType.Bigint,
        "integer" => NpgsqlDbType.Integer,
        "double precision" => NpgsqlDbType.Double,
        "boolean" => NpgsqlDbType.Boolean,
        "bytea" => NpgsqlDbType.Bytea,
        _ => throw new InvalidOperationException($"praison_tasks has a column of type {dataTypeName} the COPY baseline does not write."),
    };
}
