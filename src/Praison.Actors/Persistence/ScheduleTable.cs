using System.Data.Common;
using System.Text.Json;
using System.Text.Json.Serialization;
using Praison.Actors.Messages;

namespace Praison.Actors.Persistence;

/// <summary>
/// The schedule table <c>praison_schedules</c>: one row per schedule, in the journal's database. A plain table with
/// optimistic versioning (not event-sourced): every change replaces the row's JSON <c>body</c> in one statement guarded
/// by its <c>version</c>, so each change is atomic and a concurrent change is detected, never lost. <c>next_fire_at</c>
/// (UTC ticks) and <c>paused</c> are columns so a reader can see what is due without parsing bodies.
/// </summary>
internal sealed class ScheduleTable(Func<DbConnection> open, bool postgres)
{
    public const string Name = "praison_schedules";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    /// <summary>Idempotent DDL, run by <see cref="SqlJournalAccess.PrepareTableAsync"/> with the task table's.</summary>
    public static IEnumerable<string> CreateStatements(bool postgres)
    {
        var bigint = postgres ? "BIGINT" : "INTEGER";
        yield return
            $"CREATE TABLE IF NOT EXISTS {Name} (name TEXT NOT NULL PRIMARY KEY, recipe TEXT NOT NULL, paused INTEGER NOT NULL, " +
            $"next_fire_at {bigint} NULL, version {bigint} NOT NULL, updated_at {bigint} NOT NULL, body TEXT NOT NULL)";
        yield return $"CREATE INDEX IF NOT EXISTS ix_{Name}_next ON {Name} (next_fire_at) WHERE next_fire_at IS NOT NULL";
    }

    public static string Serialize(ScheduleRecord r) => JsonSerializer.Serialize(r, Json);

    public static ScheduleRecord Deserialize(string body, long version) =>
        JsonSerializer.Deserialize<ScheduleRecord>(body, Json)! with { Version = version };

    /// <summary>Creates the table if missing (a store prepared before schedules existed, or a CLI write before any host ran).</summary>
    public async Task EnsureAsync(CancellationToken ct)
    {
        await using var c = await OpenAsync(ct).ConfigureAwait(false);
        foreach (var ddl in CreateStatements(postgres))
            await ExecuteAsync(c, ddl, ct).ConfigureAwait(false);
    }

    public async Task<ScheduleRecord?> GetAsync(string name, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = Command(c, $"SELECT body, version FROM {Name} WHERE name = @name", ("name", name));
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return await reader.ReadAsync(ct).ConfigureAwait(false) ? Deserialize(reader.GetString(0), reader.GetInt64(1)) : null;
    }

    public async Task<List<ScheduleRecord>> ListAsync(CancellationToken ct)
    {
        await using var c = await OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = Command(c, $"SELECT body, version FROM {Name} ORDER BY name");
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var list = new List<ScheduleRecord>();
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
            list.Add(Deserialize(reader.GetString(0), reader.GetInt64(1)));
        return list;
    }

    /// <summary>Stores a new schedule at version 1; false when the name is taken.</summary>
    public async Task<bool> InsertAsync(ScheduleRecord r, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = Command(c,
            $"INSERT INTO {Name} (name, recipe, paused, next_fire_at, version, updated_at, body) " +
            "VALUES (@name, @recipe, @paused, @next, 1, @now, @body) ON CONFLICT (name) DO NOTHING",
            Row(r with { Version = 1 }));
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
    }

    /// <summary>Replaces the row if it is still at <paramref name="r"/>'s version (the new row gets version + 1); false otherwise.</summary>
    public async Task<bool> ReplaceAsync(ScheduleRecord r, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct).ConfigureAwait(false);
        var next = r with { Version = r.Version + 1 };
        await using var cmd = Command(c,
            $"UPDATE {Name} SET recipe = @recipe, paused = @paused, next_fire_at = @next, version = @version, updated_at = @now, body = @body " +
            "WHERE name = @name AND version = @expected",
            [.. Row(next), ("version", next.Version), ("expected", r.Version)]);
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
    }

    /// <summary>
    /// <see cref="ReplaceAsync"/> for many rows in one transaction (the scheduler's looks of one moment): for each, whether
    /// it was still at its version and is now replaced.
    /// </summary>
    public async Task<bool[]> ReplaceManyAsync(IReadOnlyList<ScheduleRecord> records, CancellationToken ct)
    {
        if (records.Count == 0) return [];
        await using var c = await OpenAsync(ct).ConfigureAwait(false);
        await using var tx = await c.BeginTransactionAsync(ct).ConfigureAwait(false);
        var replaced = new bool[records.Count];
        // One command, its parameters re-bound per row: a batch of a thousand rows is prepared once, not a thousand times.
        await using var cmd = Command(c,
            $"UPDATE {Name} SET recipe = @recipe, paused = @paused, next_fire_at = @next, version = @version, updated_at = @now, body = @body " +
            "WHERE name = @name AND version = @expected",
            [.. Row(records[0] with { Version = records[0].Version + 1 }), ("version", 0L), ("expected", 0L)]);
        cmd.Transaction = tx;
        for (var i = 0; i < records.Count; i++)
        {
            var next = records[i] with { Version = records[i].Version + 1 };
            foreach (var (name, value) in (IEnumerable<(string, object?)>)[.. Row(next), ("version", next.Version), ("expected", records[i].Version)])
                cmd.Parameters[name].Value = value ?? DBNull.Value;
            replaced[i] = await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
        }
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return replaced;
    }

    public async Task<bool> DeleteAsync(string name, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = Command(c, $"DELETE FROM {Name} WHERE name = @name", ("name", name));
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
    }

    private static (string, object?)[] Row(ScheduleRecord r) =>
    [
        ("name", r.Name), ("recipe", r.Recipe), ("paused", r.Paused ? 1 : 0), ("next", r.NextFireAt?.UtcTicks),
        ("now", DateTimeOffset.UtcNow.UtcTicks), ("body", Serialize(r)),
    ];

    private async Task<DbConnection> OpenAsync(CancellationToken ct)
    {
        var c = open();
        try
        {
            await c.OpenAsync(ct).ConfigureAwait(false);
            return c;
        }
        catch
        {
            await c.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task ExecuteAsync(DbConnection c, string sql, CancellationToken ct)
    {
        await using var cmd = Command(c, sql);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static DbCommand Command(DbConnection c, string sql, params (string Name, object? Value)[] parameters)
    {
        var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = name;
            p.Value = value ?? DBNull.Value;
            // The only nullable parameter; typed always, since a re-bound command may hold null in it later.
            if (name == "next") p.DbType = System.Data.DbType.Int64;
            cmd.Parameters.Add(p);
        }
        return cmd;
    }
}
