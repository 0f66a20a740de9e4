using System.Diagnostics;
using Npgsql;
using NpgsqlTypes;
using Praison.Actors.Benchmarks.Harness;

namespace Praison.Actors.Benchmarks.Baselines;

/// <summary>
/// The PostgreSQL limit beside our durable throughput: the rows a run of ours stored (every journal row and task row,
/// the same bytes) written again into an empty store of the same schema with binary <c>COPY</c>, batches of at most
/// <see cref="StoredRows.BatchEvents"/> journal rows (the TaskJournal's largest batch) with their tasks' rows, one transaction
/// per batch, one batch in flight. COPY writes each row once in its final state; we write three events per task as
/// they happen, claim the id and update the task's row twice, answering each within its batch.
/// </summary>
public static class CopyBaseline
{
    /// <summary>Every task's journal rows and task row in <paramref name="connectionString"/>'s store, grouped by task.</summary>
    public static async Task<StoredRows> ReadAsync(string connectionString, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        return await StoredRows.ReadAsync(connection, ct);
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
        var taskTypes = rows.TaskTypeNames.Select(TypeOf).ToArray();
        var start = Stopwatch.GetTimestamp();
        foreach (var (tasks, journal) in rows.Batches())
        {
            await using var tx = await connection.BeginTransactionAsync(ct);
            await using (var import = await connection.BeginBinaryImportAsync($"COPY journal ({StoredRows.JournalColumns}) FROM STDIN (FORMAT BINARY)", ct))
            {
                foreach (var row in rows.Journal.Take(journal)) await WriteRowAsync(import, row, journalTypes, ct);
                await import.CompleteAsync(ct);
            }
            await using (var import = await connection.BeginBinaryImportAsync(taskCopy, ct))
            {
                foreach (var row in rows.Tasks.Take(tasks)) await WriteRowAsync(import, row, taskTypes, ct);
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
