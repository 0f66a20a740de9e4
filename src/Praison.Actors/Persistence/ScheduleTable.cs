using System.Data.Common;
using System.Text.Json;
using System.Text.Json.Serialization;
using Npgsql;
using NpgsqlTypes;
using Praison.Actors.Messages;
using Praison.Actors.Serialization;

namespace Praison.Actors.Persistence;

/// <summary>
/// The schedule table <c>praison_schedules</c>: one row per schedule, in the journal's database — the read model of the
/// schedules' events. Every change replaces the row's JSON <c>body</c> guarded by its <c>version</c> (optimistic: a
/// concurrent change is detected, never lost) and, in the same transaction, appends one <see cref="ScheduleEvent"/> to
/// the journal under <c>schedule|NAME</c> (<see cref="SchedulePersistenceIds"/>) at the next sequence number of that id;
/// a change that does not stick writes no event. <see cref="ReconcileAsync"/> rebuilds rows from the events at start-up.
/// <c>next_fire_at</c> (UTC ticks) and <c>paused</c> are columns so a reader can see what is due without parsing bodies.
/// Bounded history: every <paramref name="snapshotEvery"/>-th version's event also holds the whole record (a snapshot),
/// and whenever an event that holds the whole state is written (a snapshot, a creation, a deletion) the schedule's
/// events older than its newest <paramref name="historyLimit"/> are deleted in the same transaction. The fold needs only
/// the events from the latest such event on, which are always among the kept ones; a schedule keeps at most
/// historyLimit + snapshotEvery events, and at least its last one (a name created again continues its sequence).
/// </summary>
internal sealed class ScheduleTable(Func<DbConnection> open, bool postgres,
    int historyLimit = BackgroundRunnerOptions.DefaultScheduleHistoryLimit, int snapshotEvery = ScheduleEvents.SnapshotEvery)
{
    public const string Name = "praison_schedules";

    /// <summary>The journal manifest of a schedule event (<see cref="Serialization.PraisonJsonSerializer"/>'s name for it).</summary>
    public const string EventManifest = "sch.ev";

    private const int SerializerId = 7201; // PraisonJsonSerializer.Identifier
    private const string WriterUuid = "praison-schedules";
    private const string JournalColumns = "created, deleted, persistence_id, sequence_number, message, manifest, identifier, writer_uuid";
    private const string PartialIndex = "praison_journal_schedule_events";

    /// <summary>The JSON of a schedule's body (and of the records its events patch).</summary>
    internal static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    private string False => postgres ? "false" : "0";

    /// <summary>Idempotent DDL, run by <see cref="SqlJournalAccess.PrepareTableAsync"/> with the task table's.</summary>
    public static IEnumerable<string> CreateStatements(bool postgres)
    {
        var bigint = postgres ? "BIGINT" : "INTEGER";
        yield return
            $"CREATE TABLE IF NOT EXISTS {Name} (name TEXT NOT NULL PRIMARY KEY, recipe TEXT NOT NULL, paused INTEGER NOT NULL, " +
            $"next_fire_at {bigint} NULL, version {bigint} NOT NULL, updated_at {bigint} NOT NULL, body TEXT NOT NULL)";
        yield return $"CREATE INDEX IF NOT EXISTS ix_{Name}_next ON {Name} (next_fire_at) WHERE next_fire_at IS NOT NULL";
    }

    public static string Serialize(ScheduleRecord r) => JsonSerializer.Serialize(r, JsonOptions);

    public static ScheduleRecord Deserialize(string body, long version) =>
        JsonSerializer.Deserialize<ScheduleRecord>(body, JsonOptions)! with { Version = version };

    public static byte[] SerializeEvent(ScheduleEvent e) => JsonSerializer.SerializeToUtf8Bytes(e, PraisonJsonSerializer.EventOptions);

    public static ScheduleEvent DeserializeEvent(byte[] bytes) => JsonSerializer.Deserialize<ScheduleEvent>(bytes, PraisonJsonSerializer.EventOptions)!;

    /// <summary>Creates the table if missing (a store prepared before schedules existed, or a CLI write before any host ran).</summary>
    public async Task EnsureAsync(CancellationToken ct)
    {
        await using var c = await OpenAsync(ct).ConfigureAwait(false);
        foreach (var ddl in CreateStatements(postgres))
            await ExecuteAsync(c, null, ddl, ct).ConfigureAwait(false);
    }

    public async Task<ScheduleRecord?> GetAsync(string name, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = Command(c, null, $"SELECT body, version FROM {Name} WHERE name = @name", ("name", name));
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return await reader.ReadAsync(ct).ConfigureAwait(false) ? Deserialize(reader.GetString(0), reader.GetInt64(1)) : null;
    }

    public async Task<List<ScheduleRecord>> ListAsync(CancellationToken ct)
    {
        await using var c = await OpenAsync(ct).ConfigureAwait(false);
        return await ListAsync(c, null, ct).ConfigureAwait(false);
    }

    private static async Task<List<ScheduleRecord>> ListAsync(DbConnection c, DbTransaction? tx, CancellationToken ct)
    {
        await using var cmd = Command(c, tx, $"SELECT body, version FROM {Name} ORDER BY name");
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var list = new List<ScheduleRecord>();
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
            list.Add(Deserialize(reader.GetString(0), reader.GetInt64(1)));
        return list;
    }

    /// <summary>Stores a new schedule at version 1 and its created event; false (nothing written) when the name is taken.</summary>
    public async Task<bool> InsertAsync(ScheduleRecord r, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct).ConfigureAwait(false);
        await using var tx = await c.BeginTransactionAsync(ct).ConfigureAwait(false);
        var row = r with { Version = 1 };
        await using (var cmd = Command(c, tx,
                         $"INSERT INTO {Name} (name, recipe, paused, next_fire_at, version, updated_at, body) " +
                         "VALUES (@name, @recipe, @paused, @next, 1, @now, @body) ON CONFLICT (name) DO NOTHING", Row(row)))
            if (await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) != 1) return false;
        await using (var append = AppendCommand(c, tx))
            await AppendAsync(append, r.Name, ScheduleEvents.Between(null, row), ct).ConfigureAwait(false);
        await using (var prune = PruneCommand(c, tx))
            await PruneAsync(prune, r.Name, ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return true;
    }

    /// <summary>Replaces the row if it is still at <paramref name="r"/>'s version (the new row gets version + 1); false otherwise.</summary>
    public async Task<bool> ReplaceAsync(ScheduleRecord r, CancellationToken ct) => (await ReplaceManyAsync([r], ct).ConfigureAwait(false))[0];

    /// <summary>
    /// <see cref="ReplaceAsync"/> for many rows in one transaction (the scheduler's looks of one moment): for each, whether
    /// it was still at its version and is now replaced. Each replaced row's event describes the change from the row as
    /// stored (read in the transaction, locked on PostgreSQL), not from what the caller thinks it was.
    /// </summary>
    public async Task<bool[]> ReplaceManyAsync(IReadOnlyList<ScheduleRecord> records, CancellationToken ct)
    {
        if (records.Count == 0) return [];
        await using var c = await OpenAsync(ct).ConfigureAwait(false);
        await using var tx = await c.BeginTransactionAsync(ct).ConfigureAwait(false);
        var stored = await ReadRowsAsync(c, tx, records.Select(r => r.Name).Distinct(StringComparer.Ordinal).ToList(), ct).ConfigureAwait(false);
        if (postgres)
        {
            var done = await ReplaceManyPostgresAsync((NpgsqlConnection)c, (NpgsqlTransaction)tx, records, stored, ct).ConfigureAwait(false);
            await tx.CommitAsync(ct).ConfigureAwait(false);
            return done;
        }
        var replaced = new bool[records.Count];
        // One command each, parameters re-bound per row: a batch of a thousand rows is prepared once, not a thousand times.
        await using var cmd = Command(c, tx,
            $"UPDATE {Name} SET recipe = @recipe, paused = @paused, next_fire_at = @next, version = @version, updated_at = @now, body = @body " +
            "WHERE name = @name AND version = @expected",
            [.. Row(records[0] with { Version = records[0].Version + 1 }), ("version", 0L), ("expected", 0L)]);
        await using var append = AppendCommand(c, tx);
        await using var appendAfterOthers = AppendCommand(c, tx, afterOthers: true);
        await using var prune = PruneCommand(c, tx);
        for (var i = 0; i < records.Count; i++)
        {
            var r = records[i];
            if (!stored.TryGetValue(r.Name, out var before) || before.Version != r.Version) continue;
            var next = r with { Version = r.Version + 1 };
            var body = Serialize(next);
            foreach (var (name, value) in (IEnumerable<(string, object?)>)[.. Row(next, body), ("version", next.Version), ("expected", r.Version)])
                cmd.Parameters[name].Value = value ?? DBNull.Value;
            if (await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) != 1) continue;
            // Diffed as text parsed to JSON, not as records: a look stores a thousand of these at once.
            var change = Event(before.Body, body, next.Version);
            if (await AppendAsync(appendAfterOthers, r.Name, change, ct).ConfigureAwait(false) == 0)
            {
                // A row with no events (written by a version before schedules had them, after this store's last
                // start-up): the row as it stood comes first, so the events fold to the row.
                await AppendAsync(append, r.Name, ScheduleEvents.Between(null, Deserialize(before.Body, before.Version)), ct).ConfigureAwait(false);
                await AppendAsync(append, r.Name, change, ct).ConfigureAwait(false);
            }
            if (change.Record is not null) await PruneAsync(prune, r.Name, ct).ConfigureAwait(false);
            stored[r.Name] = (body, next.Version, true); // a second replace of the same row in this batch is then at a stale version
            replaced[i] = true;
        }
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return replaced;
    }

    /// <summary>Deletes the row and appends its deleted event; false (nothing written) when there was no row.</summary>
    public async Task<bool> DeleteAsync(string name, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct).ConfigureAwait(false);
        await using var tx = await c.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using (var cmd = Command(c, tx, $"DELETE FROM {Name} WHERE name = @name", ("name", name)))
            if (await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) != 1) return false;
        await using (var append = AppendCommand(c, tx))
            await AppendAsync(append, name, ScheduleEvents.Between(null, null), ct).ConfigureAwait(false);
        await using (var prune = PruneCommand(c, tx))
            await PruneAsync(prune, name, ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// PostgreSQL: the whole batch in one round trip (an <see cref="NpgsqlBatch"/>), one statement per row that replaces the
    /// row and appends its event only if the replace took (a data-modifying CTE). The rows are locked and their versions
    /// checked already (<see cref="ReadRowsAsync"/>), so every replace takes; the CTE keeps row and event together anyway.
    /// </summary>
    private async Task<bool[]> ReplaceManyPostgresAsync(NpgsqlConnection c, NpgsqlTransaction tx, IReadOnlyList<ScheduleRecord> records,
        Dictionary<string, (string Body, long Version, bool HasEvents)> stored, CancellationToken ct)
    {
        var replaced = new bool[records.Count];
        var commands = new NpgsqlBatchCommand?[records.Count];
        await using var batch = new NpgsqlBatch(c, tx);
        for (var i = 0; i < records.Count; i++)
        {
            var r = records[i];
            if (!stored.TryGetValue(r.Name, out var before) || before.Version != r.Version) continue;
            var next = r with { Version = r.Version + 1 };
            var body = Serialize(next);
            var pid = SchedulePersistenceIds.For(r.Name);
            if (!before.HasEvents) // a row written before schedules had events: the row as it stood comes first
                batch.BatchCommands.Add(PostgresAppend(pid, ScheduleEvents.Between(null, Deserialize(before.Body, before.Version))));
            var command = new NpgsqlBatchCommand(
                $"WITH u AS (UPDATE {Name} SET recipe = $1, paused = $2, next_fire_at = $3, version = $4, updated_at = $5, body = $6 " +
                "WHERE name = $7 AND version = $8 RETURNING name) " +
                $"INSERT INTO journal ({JournalColumns}) SELECT $9, false, $10, " +
                "COALESCE((SELECT MAX(sequence_number) FROM journal WHERE persistence_id = $10), 0) + 1, $11, $12, $13, $14 FROM u");
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = next.Recipe });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Integer, Value = next.Paused ? 1 : 0 });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bigint, Value = (object?)next.NextFireAt?.UtcTicks ?? DBNull.Value });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bigint, Value = next.Version });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bigint, Value = DateTimeOffset.UtcNow.UtcTicks });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = body });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = r.Name });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bigint, Value = r.Version });
            var change = Event(before.Body, body, next.Version);
            AddEventParameters(command, pid, change);
            batch.BatchCommands.Add(command);
            commands[i] = command;
            if (change.Record is not null) // retention runs only where a snapshot is written, after its event
            {
                var prune = new NpgsqlBatchCommand(PruneSql("$1", "$2"));
                prune.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = pid });
                prune.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bigint, Value = (long)historyLimit });
                batch.BatchCommands.Add(prune);
            }
            stored[r.Name] = (body, next.Version, true); // a second replace of the same row in this batch is then at a stale version
        }
        if (batch.BatchCommands.Count == 0) return replaced;
        await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        for (var i = 0; i < records.Count; i++) replaced[i] = commands[i] is { RecordsAffected: 1 };
        return replaced;
    }

    private static NpgsqlBatchCommand PostgresAppend(string pid, ScheduleEvent e)
    {
        var command = new NpgsqlBatchCommand(
            $"INSERT INTO journal ({JournalColumns}) SELECT $1, false, $2, COALESCE(MAX(sequence_number), 0) + 1, $3, $4, $5, $6 " +
            "FROM journal WHERE persistence_id = $2");
        AddEventParameters(command, pid, e);
        return command;
    }

    /// <summary>created, pid, message, manifest, identifier, writer: the next six positional parameters.</summary>
    private static void AddEventParameters(NpgsqlBatchCommand command, string pid, ScheduleEvent e)
    {
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bigint, Value = DateTime.UtcNow.Ticks });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = pid });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bytea, Value = SerializeEvent(e) });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = EventManifest });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Integer, Value = SerializerId });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = WriterUuid });
    }

    /// <summary>The stored rows of <paramref name="names"/> (locked for this transaction on PostgreSQL, in name order).</summary>
    private async Task<Dictionary<string, (string Body, long Version, bool HasEvents)>> ReadRowsAsync(DbConnection c, DbTransaction tx, List<string> names,
        CancellationToken ct)
    {
        await using var cmd = postgres
            ? Command(c, tx, $"SELECT name, body, version, EXISTS (SELECT 1 FROM journal WHERE persistence_id = '{SchedulePersistenceIds.Prefix}' || name) " +
                             $"FROM {Name} WHERE name = ANY(@names) ORDER BY name FOR UPDATE", ("names", names.ToArray()))
            : Command(c, tx, $"SELECT name, body, version, 1 FROM {Name} WHERE name IN (SELECT value FROM json_each(@names))",
                ("names", JsonSerializer.Serialize(names)));
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var rows = new Dictionary<string, (string, long, bool)>(StringComparer.Ordinal);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
            rows[reader.GetString(0)] = (reader.GetString(1), reader.GetInt64(2), Convert.ToBoolean(reader.GetValue(3)));
        return rows;
    }

    /// <summary>
    /// Appends at the next sequence number of the schedule's id (ids deleted and created again continue theirs);
    /// <paramref name="afterOthers"/>: only when the id has events already (else it writes nothing: no rows, no group).
    /// </summary>
    private DbCommand AppendCommand(DbConnection c, DbTransaction tx, bool afterOthers = false) => Command(c, tx,
        $"INSERT INTO journal ({JournalColumns}) SELECT @created, {False}, @pid, COALESCE(MAX(sequence_number), 0) + 1, @message, " +
        "@manifest, @identifier, @writer FROM journal WHERE persistence_id = @pid" + (afterOthers ? " GROUP BY persistence_id" : ""),
        ("created", 0L), ("pid", ""), ("message", Array.Empty<byte>()), ("manifest", EventManifest), ("identifier", SerializerId),
        ("writer", WriterUuid));

    /// <summary>The event of a replace from <paramref name="beforeBody"/> to <paramref name="afterBody"/>, a snapshot at every <c>snapshotEvery</c>-th version.</summary>
    private ScheduleEvent Event(string beforeBody, string afterBody, long afterVersion)
    {
        var change = ScheduleEvents.Between(beforeBody, afterBody, afterVersion);
        return ScheduleEvents.IsSnapshotPoint(afterVersion, snapshotEvery) ? ScheduleEvents.WithRecord(change, afterBody) : change;
    }

    /// <summary>
    /// Deletes the schedule's events older than its newest <c>historyLimit</c>; run right after appending an event that holds
    /// the whole state, which is the newest, so the fold's start and the last sequence number always stay.
    /// </summary>
    private static string PruneSql(string pid, string keep) =>
        $"DELETE FROM journal WHERE persistence_id = {pid} AND sequence_number <= " +
        $"(SELECT MAX(sequence_number) FROM journal WHERE persistence_id = {pid}) - {keep}";

    private DbCommand PruneCommand(DbConnection c, DbTransaction tx) =>
        Command(c, tx, PruneSql("@pid", "@keep"), ("pid", ""), ("keep", (long)historyLimit));

    private static async Task PruneAsync(DbCommand prune, string name, CancellationToken ct)
    {
        prune.Parameters["pid"].Value = SchedulePersistenceIds.For(name);
        await prune.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static async Task<int> AppendAsync(DbCommand append, string name, ScheduleEvent e, CancellationToken ct)
    {
        append.Parameters["created"].Value = DateTime.UtcNow.Ticks;
        append.Parameters["pid"].Value = SchedulePersistenceIds.For(name);
        append.Parameters["message"].Value = SerializeEvent(e);
        return await append.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The latest <paramref name="limit"/> events of schedule <paramref name="name"/>, newest first (a deleted schedule's
    /// too: its history outlives it); empty when it has none.
    /// </summary>
    public async Task<List<StoredScheduleEvent>> EventsAsync(string name, int limit, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct).ConfigureAwait(false);
        return await EventsAsync(c, null, name, limit, ct).ConfigureAwait(false);
    }

    private static async Task<List<StoredScheduleEvent>> EventsAsync(DbConnection c, DbTransaction? tx, string name, int limit, CancellationToken ct,
        long before = long.MaxValue)
    {
        await using var cmd = Command(c, tx,
            "SELECT sequence_number, created, message FROM journal WHERE persistence_id = @pid AND manifest = @manifest " +
            "AND sequence_number < @before ORDER BY sequence_number DESC LIMIT @limit",
            ("pid", SchedulePersistenceIds.For(name)), ("manifest", EventManifest), ("before", before), ("limit", limit));
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var events = new List<StoredScheduleEvent>();
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
            events.Add(new StoredScheduleEvent(reader.GetInt64(0), new DateTimeOffset(reader.GetInt64(1), TimeSpan.Zero),
                DeserializeEvent((byte[])reader.GetValue(2))));
        return events;
    }

    /// <summary>
    /// The events a fold of schedule <paramref name="name"/> needs, oldest first: from the latest one that holds the whole
    /// state (<see cref="ScheduleEvents.IsStart"/>: a snapshot, a creation, a deletion) on — all of them for a store written
    /// before snapshots. Read newest first a page at a time; with a snapshot every <c>snapshotEvery</c> (≤ the page) events
    /// that is one indexed read.
    /// </summary>
    public async Task<List<StoredScheduleEvent>> FoldEventsAsync(string name, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct).ConfigureAwait(false);
        return await FoldEventsAsync(c, null, name, ct).ConfigureAwait(false);
    }

    private static async Task<List<StoredScheduleEvent>> FoldEventsAsync(DbConnection c, DbTransaction? tx, string name, CancellationToken ct)
    {
        const int page = 128;
        var events = new List<StoredScheduleEvent>();
        for (var before = long.MaxValue; ;)
        {
            var read = await EventsAsync(c, tx, name, page, ct, before).ConfigureAwait(false);
            var start = read.FindIndex(e => ScheduleEvents.IsStart(e.Event));
            events.AddRange(start < 0 ? read : read.Take(start + 1));
            if (start >= 0 || read.Count < page)
            {
                events.Reverse();
                return events;
            }
            before = read[^1].SequenceNr;
        }
    }

    /// <summary>
    /// Makes the table agree with the events (start-up, in <see cref="SqlJournalAccess.PrepareTableAsync"/>'s transaction,
    /// after the journal exists). A schedule whose latest event is at its row's version (or is a deletion, and there is no
    /// row) is left alone — one indexed read per schedule, no fold. Otherwise its events are folded (from the latest that
    /// holds the whole state on, <see cref="FoldEventsAsync(string, CancellationToken)"/>): a missing row, or one at
    /// an older version than the fold, is written back from it (the table was dropped, emptied or restored from an older
    /// copy); a row newer than its events, or with none (a store written before schedules had events; seeded here, at
    /// start-up, or at its first change when such a row appears later), gets the event
    /// that leads from the fold to it (a <c>created</c> holding the whole row when there were none), so the events hold
    /// every row from then on. Returns how many rows were rebuilt and how many events were added.
    /// </summary>
    public async Task<(int Rebuilt, int Seeded)> ReconcileAsync(DbConnection c, DbTransaction tx, CancellationToken ct)
    {
        if (postgres)
        {
            // The scans below read schedule ids only; without this index they would read the whole journal on PostgreSQL
            // (a LIKE prefix cannot use the primary key under a non-C collation). Probed first: CREATE INDEX IF NOT EXISTS
            // locks the journal even when the index exists.
            await using var probe = Command(c, tx, $"SELECT to_regclass('{PartialIndex}') IS NOT NULL");
            if (!Convert.ToBoolean(await probe.ExecuteScalarAsync(ct).ConfigureAwait(false)))
                await ExecuteAsync(c, tx, $"CREATE INDEX IF NOT EXISTS {PartialIndex} ON journal (persistence_id, sequence_number) " +
                                          $"WHERE persistence_id LIKE '{SchedulePersistenceIds.Prefix}%'", ct).ConfigureAwait(false);
        }
        // Rows first, then events: a change committed between the two reads then shows as events ahead of the row, which
        // rebuilding handles (the row is already there), never as a row ahead of its events (which would add an event twice).
        var rows = (await ListAsync(c, tx, ct).ConfigureAwait(false)).ToDictionary(r => r.Name, StringComparer.Ordinal);
        var latest = new Dictionary<string, ScheduleEvent>(StringComparer.Ordinal);
        await using (var cmd = Command(c, tx, postgres
                         ? $"SELECT DISTINCT ON (persistence_id) persistence_id, message FROM journal WHERE persistence_id LIKE '{SchedulePersistenceIds.Prefix}%' " +
                           "AND manifest = @manifest ORDER BY persistence_id, sequence_number DESC"
                         // SQLite: the range reads the primary key (LIKE is case-insensitive there, so it would not); the
                         // bare column comes from the row holding the MAX.
                         : $"SELECT persistence_id, message, MAX(sequence_number) FROM journal WHERE persistence_id >= '{SchedulePersistenceIds.Prefix}' " +
                           "AND persistence_id < 'schedule}' AND manifest = @manifest GROUP BY persistence_id",
                         ("manifest", EventManifest)))
        await using (var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
                latest[SchedulePersistenceIds.NameOf(reader.GetString(0))] = DeserializeEvent((byte[])reader.GetValue(1));

        var (rebuilt, seeded) = (0, 0);
        foreach (var name in rows.Keys.Union(latest.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList())
        {
            var row = rows.GetValueOrDefault(name);
            var last = latest.GetValueOrDefault(name);
            if (last is not null && last.Version == row?.Version) continue;
            var events = await FoldEventsAsync(c, tx, name, ct).ConfigureAwait(false);
            var fold = ScheduleEvents.Fold(events.Select(e => e.Event));
            if (fold is not null && (row is null || row.Version < fold.Version))
            {
                await using var upsert = Command(c, tx,
                    $"INSERT INTO {Name} (name, recipe, paused, next_fire_at, version, updated_at, body) VALUES (@name, @recipe, @paused, @next, @version, @now, @body) " +
                    "ON CONFLICT (name) DO UPDATE SET recipe = excluded.recipe, paused = excluded.paused, next_fire_at = excluded.next_fire_at, " +
                    "version = excluded.version, updated_at = excluded.updated_at, body = excluded.body",
                    [.. Row(fold), ("version", fold.Version)]);
                await upsert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                rebuilt++;
            }
            else if (row is not null)
            {
                await using var append = AppendCommand(c, tx);
                await AppendAsync(append, name, ScheduleEvents.Between(fold, row), ct).ConfigureAwait(false);
                seeded++;
            }
        }
        return (rebuilt, seeded);
    }

    private static (string, object?)[] Row(ScheduleRecord r, string? body = null) =>
    [
        ("name", r.Name), ("recipe", r.Recipe), ("paused", r.Paused ? 1 : 0), ("next", r.NextFireAt?.UtcTicks),
        ("now", DateTimeOffset.UtcNow.UtcTicks), ("body", body ?? Serialize(r)),
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

    private static async Task ExecuteAsync(DbConnection c, DbTransaction? tx, string sql, CancellationToken ct)
    {
        await using var cmd = Command(c, tx, sql);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static DbCommand Command(DbConnection c, DbTransaction? tx, string sql, params (string Name, object? Value)[] parameters)
    {
        var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
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

/// <summary>One stored event of a schedule: its sequence number under <c>schedule|NAME</c> and when it was written.</summary>
internal sealed record StoredScheduleEvent(long SequenceNr, DateTimeOffset At, ScheduleEvent Event);
