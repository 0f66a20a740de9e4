using System.Data.Common;

namespace Praison.Actors.Benchmarks.Baselines;

/// <summary>
/// Every task's journal rows and task row of a store, grouped by task: what the store limits beside our durable
/// throughput (<see cref="CopyBaseline"/> on PostgreSQL, <see cref="SqliteInsertBaseline"/> on SQLite) write again.
/// </summary>
public sealed record StoredRows(List<object?[]> Journal, List<int> JournalRowsPerTask, List<object?[]> Tasks, string[] TaskColumns,
    string[] TaskTypeNames)
{
    /// <summary>The journal batch size of both limits: the TaskJournal's largest batch.</summary>
    public const int BatchEvents = 2000;

    public const string JournalColumns = "created, deleted, persistence_id, sequence_number, message, manifest, identifier, writer_uuid";

    /// <summary>Reads them through <paramref name="connection"/> (open), with the provider's own value types.</summary>
    public static async Task<StoredRows> ReadAsync(DbConnection connection, CancellationToken ct)
    {
        var tasks = new List<object?[]>();
        string[] columns, types;
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT * FROM praison_tasks ORDER BY task_id";
            await using var reader = await command.ExecuteReaderAsync(ct);
            columns = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToArray();
            types = Enumerable.Range(0, reader.FieldCount).Select(reader.GetDataTypeName).ToArray();
            while (await reader.ReadAsync(ct)) tasks.Add(Values(reader));
        }
        var journal = new List<object?[]>();
        var perTask = new List<int>();
        string? current = null;
        await using (var command = connection.CreateCommand())
        {
            // NOT deleted: a boolean on PostgreSQL, 0 or 1 on SQLite.
            command.CommandText = $"SELECT {JournalColumns} FROM journal WHERE persistence_id LIKE 'task-%' AND NOT deleted " +
                                  "ORDER BY substr(persistence_id, 6), sequence_number";
            await using var reader = await command.ExecuteReaderAsync(ct);
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
        return new StoredRows(journal, perTask, tasks, columns, types);
    }

    /// <summary>Whole tasks per batch, up to <see cref="BatchEvents"/> journal rows: each batch's task rows and journal rows.</summary>
    public IEnumerable<(Range Tasks, Range Journal)> Batches()
    {
        int task = 0, journalRow = 0;
        while (task < Tasks.Count)
        {
            int firstTask = task, firstRow = journalRow, events = 0;
            while (task < Tasks.Count && (events == 0 || events + JournalRowsPerTask[task] <= BatchEvents))
                events += JournalRowsPerTask[task++];
            journalRow += events;
            yield return (firstTask..task, firstRow..journalRow);
        }
    }

    private static object?[] Values(DbDataReader reader)
    {
        var values = new object?[reader.FieldCount];
        for (var i = 0; i < values.Length; i++) values[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
        return values;
    }
}
