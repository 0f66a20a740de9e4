using System.Data.Common;
using System.Runtime.CompilerServices;
using Akka.Actor;
using Npgsql;
using Praison.Actors.Messages;
using Praison.Actors.Persistence;

namespace Praison.Actors.Scheduling;

/// <summary>
/// Where schedules are kept: <c>praison_schedules</c> in a SQL store (SQLite, PostgreSQL), or memory for the ephemeral
/// store (one per actor system, so every runner of a system sees the same schedules). Changes are optimistic: a
/// replace succeeds only if the row is still at the version read. Every change that sticks also stores one
/// <see cref="ScheduleEvent"/> with it (<see cref="ScheduleEvents"/>; the journal in the same transaction, or memory),
/// which <see cref="HistoryAsync"/> reads.
/// </summary>
internal abstract class ScheduleStore
{
    private static readonly ConditionalWeakTable<ActorSystem, MemoryScheduleStore> Memory = new();

    /// <summary>
    /// The store's table when it has one, else this system's memory store; each keeps the newest
    /// <paramref name="historyLimit"/> events of a schedule (<see cref="BackgroundRunnerOptions.ScheduleHistoryLimit"/>;
    /// the memory store keeps the limit of the system's first runner), with a snapshot every <paramref name="snapshotEvery"/>.
    /// </summary>
    public static ScheduleStore For(TaskStore? store, ActorSystem system, int historyLimit = BackgroundRunnerOptions.DefaultScheduleHistoryLimit,
        int snapshotEvery = ScheduleEvents.SnapshotEvery) =>
        store?.Sql is { } sql
            ? new SqlScheduleStore(sql.SchedulesWith(historyLimit, snapshotEvery), store)
            : Memory.GetValue(system, _ => new MemoryScheduleStore(historyLimit, snapshotEvery));

    public abstract bool IsDurable { get; }
    public abstract Task<ScheduleRecord?> GetAsync(string name, CancellationToken ct);
    public abstract Task<List<ScheduleRecord>> ListAsync(CancellationToken ct);
    /// <summary>Stores a new schedule at version 1; false when the name is taken.</summary>
    public abstract Task<bool> InsertAsync(ScheduleRecord record, CancellationToken ct);
    /// <summary>Stores <paramref name="record"/> as the next version if the row is still at its version; the stored record, or null on a conflict.</summary>
    public abstract Task<ScheduleRecord?> ReplaceAsync(ScheduleRecord record, CancellationToken ct);
    /// <summary><see cref="ReplaceAsync"/> for many records in one write (the scheduler's batch): for each, whether it stuck.</summary>
    public abstract Task<bool[]> ReplaceManyAsync(IReadOnlyList<ScheduleRecord> records, CancellationToken ct);
    public abstract Task<bool> DeleteAsync(string name, CancellationToken ct);
    /// <summary>The latest <paramref name="limit"/> events of schedule <paramref name="name"/>, newest first; empty when it never existed.</summary>
    public abstract Task<List<StoredScheduleEvent>> HistoryAsync(string name, int limit, CancellationToken ct);

    /// <summary>Applies <paramref name="change"/> to the latest stored version until it sticks (re-reading after a conflict).</summary>
    public async Task<ScheduleRecord> UpdateAsync(string name, Func<ScheduleRecord, ScheduleRecord> change, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var current = await GetAsync(name, ct).ConfigureAwait(false) ?? throw new ScheduleNotFoundException(name);
            if (await ReplaceAsync(change(current), ct).ConfigureAwait(false) is { } stored) return stored;
            if (attempt >= 20) throw new TaskStoreException("schedule store", $"schedule '{name}' kept changing under 20 updates");
        }
    }

    private sealed class MemoryScheduleStore(int historyLimit, int snapshotEvery) : ScheduleStore
    {
        private readonly Dictionary<string, ScheduleRecord> _rows = new(StringComparer.Ordinal);
        private readonly Dictionary<string, List<StoredScheduleEvent>> _events = new(StringComparer.Ordinal);
        public override bool IsDurable => false;

        // Under the lock of _rows, with the change it describes. Bounded as the SQL table bounds its events: at the
        // points where that table writes a whole record (snapshot, created, deleted), only the newest historyLimit stay.
        // Nothing here folds events, so the snapshot itself is not kept.
        private void Append(string name, ScheduleRecord? before, ScheduleRecord? after)
        {
            if (!_events.TryGetValue(name, out var events)) _events[name] = events = [];
            var seq = events.Count == 0 ? 1 : events[^1].SequenceNr + 1; // a name created again continues its sequence
            var e = ScheduleEvents.Between(before, after);
            events.Add(new StoredScheduleEvent(seq, DateTimeOffset.UtcNow, e));
            if ((ScheduleEvents.IsStart(e) || ScheduleEvents.IsSnapshotPoint(e.Version, snapshotEvery)) && events.Count > historyLimit)
                events.RemoveRange(0, events.Count - historyLimit);
        }

        public override Task<List<StoredScheduleEvent>> HistoryAsync(string name, int limit, CancellationToken ct)
        {
            lock (_rows)
                return Task.FromResult(_events.TryGetValue(name, out var events) ? events.AsEnumerable().Reverse().Take(limit).ToList() : []);
        }

        public override Task<ScheduleRecord?> GetAsync(string name, CancellationToken ct)
        {
            lock (_rows) return Task.FromResult(_rows.GetValueOrDefault(name));
        }

        public override Task<List<ScheduleRecord>> ListAsync(CancellationToken ct)
        {
            lock (_rows) return Task.FromResult(_rows.Values.OrderBy(r => r.Name, StringComparer.Ordinal).ToList());
        }

        public override Task<bool> InsertAsync(ScheduleRecord record, CancellationToken ct)
        {
            lock (_rows)
            {
                var row = record with { Version = 1 };
                if (!_rows.TryAdd(record.Name, row)) return Task.FromResult(false);
                Append(record.Name, null, row);
                return Task.FromResult(true);
            }
        }

        public override Task<ScheduleRecord?> ReplaceAsync(ScheduleRecord record, CancellationToken ct)
        {
            lock (_rows)
            {
                if (!_rows.TryGetValue(record.Name, out var current) || current.Version != record.Version)
                    return Task.FromResult<ScheduleRecord?>(null);
                var next = record with { Version = record.Version + 1 };
                _rows[record.Name] = next;
                Append(record.Name, current, next);
                return Task.FromResult<ScheduleRecord?>(next);
            }
        }

        public override async Task<bool[]> ReplaceManyAsync(IReadOnlyList<ScheduleRecord> records, CancellationToken ct)
        {
            var replaced = new bool[records.Count];
            for (var i = 0; i < records.Count; i++) replaced[i] = await ReplaceAsync(records[i], ct).ConfigureAwait(false) is not null;
            return replaced;
        }

        public override Task<bool> DeleteAsync(string name, CancellationToken ct)
        {
            lock (_rows)
            {
                if (!_rows.Remove(name)) return Task.FromResult(false);
                Append(name, null, null);
                return Task.FromResult(true);
            }
        }
    }

    /// <summary>The SQL table; a failure is a <see cref="TaskStoreException"/> naming the store, never an empty answer.</summary>
    private sealed class SqlScheduleStore(ScheduleTable table, TaskStore store) : ScheduleStore
    {
        private int _ensured;
        public override bool IsDurable => true;

        public override Task<ScheduleRecord?> GetAsync(string name, CancellationToken ct) => Run(() => table.GetAsync(name, ct), "reading a schedule", ct);
        public override Task<List<ScheduleRecord>> ListAsync(CancellationToken ct) => Run(() => table.ListAsync(ct), "listing schedules", ct);
        public override Task<bool> InsertAsync(ScheduleRecord record, CancellationToken ct) => Run(() => table.InsertAsync(record, ct), "storing a schedule", ct);
        public override Task<bool> DeleteAsync(string name, CancellationToken ct) => Run(() => table.DeleteAsync(name, ct), "deleting a schedule", ct);
        public override Task<List<StoredScheduleEvent>> HistoryAsync(string name, int limit, CancellationToken ct) =>
            Run(() => table.EventsAsync(name, limit, ct), "reading a schedule's history", ct);

        private readonly object _gate = new();
        private List<(ScheduleRecord Record, TaskCompletionSource<bool> Done)> _pending = [];
        private bool _flushing;

        /// <summary>
        /// Replaces wait for the write in flight and then go together in one transaction: the scheduler's looks at
        /// one moment (a thousand */1s schedules) cost one commit, not one each.
        /// </summary>
        public override async Task<ScheduleRecord?> ReplaceAsync(ScheduleRecord record, CancellationToken ct) =>
            (await ReplaceManyAsync([record], ct).ConfigureAwait(false))[0] ? record with { Version = record.Version + 1 } : null;

        public override async Task<bool[]> ReplaceManyAsync(IReadOnlyList<ScheduleRecord> records, CancellationToken ct)
        {
            var done = new TaskCompletionSource<bool>[records.Count];
            bool flush;
            lock (_gate)
            {
                for (var i = 0; i < records.Count; i++)
                {
                    done[i] = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                    _pending.Add((records[i], done[i]));
                }
                flush = !_flushing;
                _flushing = true;
            }
            if (flush) _ = FlushAsync();
            var replaced = new bool[records.Count];
            for (var i = 0; i < records.Count; i++) replaced[i] = await done[i].Task.WaitAsync(ct).ConfigureAwait(false);
            return replaced;
        }

        private async Task FlushAsync()
        {
            while (true)
            {
                List<(ScheduleRecord Record, TaskCompletionSource<bool> Done)> batch;
                lock (_gate)
                {
                    if (_pending.Count == 0)
                    {
                        _flushing = false;
                        return;
                    }
                    batch = _pending;
                    _pending = [];
                }
                try
                {
                    var replaced = await Run(() => table.ReplaceManyAsync(batch.Select(b => b.Record).ToList(), CancellationToken.None),
                        "updating schedules", CancellationToken.None).ConfigureAwait(false);
                    for (var i = 0; i < batch.Count; i++) batch[i].Done.TrySetResult(replaced[i]);
                }
                catch (Exception ex)
                {
                    foreach (var b in batch) b.Done.TrySetException(ex);
                }
            }
        }

        // The table is created with the task table at start-up; a store prepared by an older version gets it on first use.
        private async Task<T> Run<T>(Func<Task<T>> action, string what, CancellationToken ct)
        {
            try
            {
                if (Interlocked.Exchange(ref _ensured, 1) == 0) await table.EnsureAsync(ct).ConfigureAwait(false);
                return await action().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is DbException or InvalidOperationException or TimeoutException or System.Net.Sockets.SocketException
                                       && !ct.IsCancellationRequested)
            {
                Volatile.Write(ref _ensured, 0);
                var reason = ex is PostgresException pg ? $"{pg.SqlState} {pg.MessageText}" : ex.Message;
                throw new TaskStoreException(store.Describe(), $"{what} failed: {reason}", ex);
            }
        }
    }
}
