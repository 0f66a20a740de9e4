using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Akka.Serialization;
using Akka.Util;
using Praison.Actors.Messages;

namespace Praison.Actors.Persistence;

/// <summary>
/// One node's writer for every task's events. Tasks keep their own persistence id (<c>task-{id}</c>) and
/// sequence numbers, but their writes go to the journal together: whatever arrives while a batch is being
/// stored goes out as the next single WriteMessages, which the SQL journal commits in one transaction. A
/// persistent actor per task would instead recover (two queries) before its first write and commit alone,
/// which measured as the limit of durable throughput (~260 tasks/s on SQLite).
/// Each task has at most one write in flight (its owner waits for the answer), so per-task order holds, also with
/// several batches in flight (PostgreSQL: <see cref="SqlJournalAccess.ConcurrentBatches"/>, each on its own connection).
/// On a SQL store whose journal is the default one (<c>sql</c> given) it writes the batch itself, in the
/// journal plugin's table and row format, together with the task table's rows in the same transaction (see
/// <see cref="SqlJournalAccess.WriteEventsAsync"/>): the profile scenario measured the plugin's batch insert as the
/// limit of durable throughput on PostgreSQL. Replays and deletes still go through the plugin, which reads these rows
/// as its own; the first batch waits until the plugin has created its tables. A task's row is deleted right after the
/// plugin deleted its events, before the delete is answered. It also records tasks' progress in their rows (at most
/// one write a second for all of them). After deletes it removes the tombstone rows Akka.Persistence.Sql keeps (and
/// any row left behind), batched to one statement a second.
/// With another journal plugin (<c>sql</c> null) events go through the generic WriteMessages path and there is no
/// task table: reads then go through the supervisor, and progress is not recorded.
/// Without a store (<c>storesEvents</c> false: the ephemeral store) it answers every write and delete at once.
/// </summary>
internal sealed class TaskJournal : UntypedActor, IWithTimers
{
    // Measured: 1 gave the most tasks/s on SQLite (2, 4, 8 fewer) and through the plugin: more batches in flight make
    // each smaller, and a small batch costs more CPU per event. PostgreSQL written here: SqlJournalAccess.ConcurrentBatches.
    private readonly int _maxBatchesInFlight;
    private const int MaxBatchSize = 2000;
    private const string PurgeTimer = "purge";
    private const string ProgressTimer = "progress";
    private static readonly TimeSpan PurgeDebounce = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(1);

    private readonly IActorRef _journal;
    private readonly string _writerGuid = Guid.NewGuid().ToString("N");
    private readonly List<(WriteTaskEvent Write, IActorRef ReplyTo)> _buffer = new();
    private readonly Dictionary<(string PersistenceId, long SequenceNr), (WriteTaskEvent Write, IActorRef ReplyTo)> _inFlight = new();
    private readonly Queue<(DeleteTaskEvents Delete, IActorRef ReplyTo)> _deletes = new();
    private readonly Func<CancellationToken, Task<int>>? _purgeDeleted;
    private readonly SqlJournalAccess? _sql;
    private readonly Dictionary<long, List<(WriteTaskEvent Write, IActorRef ReplyTo)>> _rowBatches = new();
    private Dictionary<string, RecordTaskProgress> _progress = new();  // latest per task, not yet written
    private bool _writingProgress;
    private readonly bool _storesEvents;
    private bool _ready;
    private long _nextBatchId;
    private int _batchesInFlight;
    private bool _deleting;
    private bool _purging;

    public TaskJournal(string? journalPluginId, Func<CancellationToken, Task<int>>? purgeDeleted, bool storesEvents, SqlJournalAccess? sql)
    {
        _journal = Akka.Persistence.Persistence.Instance.Apply(Context.System).JournalFor(journalPluginId);
        _purgeDeleted = purgeDeleted;
        _storesEvents = storesEvents;
        _sql = sql;
        _ready = sql is null;
        _maxBatchesInFlight = sql?.ConcurrentBatches ?? 1;
    }

    /// <summary><c>sql</c>: the SQL store whose default journal (and task table) this writes itself; null for another plugin.</summary>
    public static Props Props(string? journalPluginId, Func<CancellationToken, Task<int>>? purgeDeleted = null, bool storesEvents = true,
        SqlJournalAccess? sql = null) =>
        Akka.Actor.Props.Create(typeof(TaskJournal), journalPluginId, purgeDeleted, storesEvents, sql);

    protected override void PreStart()
    {
        // The plugin stashes every request until its tables exist; its answer to this empty replay means they do.
        if (!_ready) _journal.Tell(new ReplayMessages(1, 0, 0, "praison-task-journal-ready", Self));
    }

    protected override void PostStop() => _sql?.ReleaseWriterAsync();

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case WriteTaskEvent w when !_storesEvents:
                Sender.Tell(new TaskEventWritten(w.TaskId, w.SequenceNr, w.Event, null));
                break;
            case DeleteTaskEvents d when !_storesEvents:
                Sender.Tell(new TaskEventsDeleted(d.TaskId, null));
                break;
            case WriteTaskEvent w:
                _buffer.Add((w, Sender));
                Flush();
                break;
            case WriteMessagesSuccessful or WriteMessagesFailed:
                _batchesInFlight--;
                Flush();
                break;
            case RecoverySuccess or ReplayMessagesFailure when !_ready:
                // A failure here is the store's (it also fails the start-up probe); each batch then reports its own error.
                _ready = true;
                Flush();
                break;
            case TaskEventsStored stored:
                _batchesInFlight--;
                if (_rowBatches.Remove(stored.BatchId, out var batch))
                    foreach (var (write, replyTo) in batch)
                        replyTo.Tell(Answer(write, stored));
                Flush();
                break;
            case WriteMessageSuccess s:
                Answer(s.Persistent, null);
                break;
            case WriteMessageFailure f:
                Answer(f.Persistent, f.Cause);
                break;
            case WriteMessageRejected r:
                Answer(r.Persistent, r.Cause);
                break;
            case ReplayTaskEvents r:
                _journal.Tell(new ReplayMessages(1, long.MaxValue, long.MaxValue, TaskPersistenceIds.For(r.TaskId), r.ReplyTo));
                break;
            case DeleteTaskEvents d:
                _deletes.Enqueue((d, Sender));
                NextDelete();
                break;
            // Deletes go one at a time: the journal's answer does not name the persistence id.
            case DeleteMessagesSuccess when _sql is not null:
                var deletedId = _deletes.Peek().Delete.TaskId;
                _progress.Remove(deletedId);
                _sql.DeleteTaskRowAsync(deletedId, CancellationToken.None)
                    .ContinueWith(t => new TaskRowDeleted(deletedId, t.IsCompletedSuccessfully ? null : t.Exception?.GetBaseException() ?? new TaskCanceledException()),
                        TaskContinuationOptions.ExecuteSynchronously)
                    .PipeTo(Self);
                break;
            case TaskRowDeleted rd:
                // A failed row delete fails the delete: its owner retries it (the plugin's delete is idempotent), and
                // the purge removes such rows with the tombstones meanwhile.
                DeleteDone(rd.Error);
                break;
            case DeleteMessagesSuccess:
                DeleteDone(null);
                break;
            case DeleteMessagesFailure f:
                _deleting = false;
                var (failed, failedTo) = _deletes.Dequeue();
                failedTo.Tell(new TaskEventsDeleted(failed.TaskId, f.Cause));
                NextDelete();
                break;
            case RecordTaskProgress p when _sql is not null:
                _progress[p.TaskId] = p;
                if (!_writingProgress && !Timers.IsTimerActive(ProgressTimer))
                    Timers.StartSingleTimer(ProgressTimer, ProgressTick.Instance, ProgressInterval);
                break;
            case RecordTaskProgress:
                break; // no task table
            case ProgressTick:
                WriteProgress();
                break;
            case ProgressWritten w:
                _writingProgress = false;
                if (w.Error is not null)
                    Context.GetLogger().Warning(w.Error, "Recording the progress of {0} tasks failed; it is dropped", w.Count);
                if (_progress.Count > 0) Timers.StartSingleTimer(ProgressTimer, ProgressTick.Instance, ProgressInterval);
                break;
            case PurgeTick:
                StartPurge();
                break;
            case PurgeDone d:
                _purging = false;
                if (d.Error is not null)
                {
                    Context.GetLogger().Warning(d.Error, "Purging deleted task rows failed; retrying");
                    SchedulePurge();
                }
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void DeleteDone(Exception? error)
    {
        _deleting = false;
        var (done, doneTo) = _deletes.Dequeue();
        doneTo.Tell(new TaskEventsDeleted(done.TaskId, error));
        NextDelete();
        SchedulePurge();
    }

    /// <summary>Writes the latest progress of every task recorded since the last write, in one transaction.</summary>
    private void WriteProgress()
    {
        if (_progress.Count == 0 || _writingProgress) return;
        var batch = _progress.Values.ToList();
        _progress = new Dictionary<string, RecordTaskProgress>();
        _writingProgress = true;
        _sql!.WriteProgressAsync(batch, CancellationToken.None)
            .ContinueWith(t => new ProgressWritten(batch.Count, t.IsCompletedSuccessfully ? null : t.Exception?.GetBaseException() ?? new TaskCanceledException()),
                TaskContinuationOptions.ExecuteSynchronously)
            .PipeTo(Self);
    }

    private void Flush()
    {
        while (_buffer.Count > 0 && _batchesInFlight < _maxBatchesInFlight && _ready)
        {
            if (_sql is not null) WriteRows();
            else WriteMessages();
        }
    }

    /// <summary>The next batch as one WriteMessages to the plugin (another journal plugin than the SQL store's default).</summary>
    private void WriteMessages()
    {
        var count = Math.Min(_buffer.Count, MaxBatchSize);
        var writes = new List<IPersistentEnvelope>(count);
        var now = DateTime.UtcNow.Ticks;
        for (var i = 0; i < count; i++)
        {
            var (write, replyTo) = _buffer[i];
            var pid = TaskPersistenceIds.For(write.TaskId);
            _inFlight[(pid, write.SequenceNr)] = (write, replyTo);
            writes.Add(new AtomicWrite(new Persistent(write.Event, write.SequenceNr, pid, string.Empty, false,
                ActorRefs.NoSender, _writerGuid, now)));
        }
        _buffer.RemoveRange(0, count);
        _batchesInFlight++;
        _journal.Tell(new WriteMessages(writes, Self, 1));
    }

    /// <summary>Serializes the next batch as the plugin would and stores it with one statement; an event that cannot be serialized is refused alone.</summary>
    private void WriteRows()
    {
        var count = Math.Min(_buffer.Count, MaxBatchSize);
        var batch = new List<(WriteTaskEvent Write, IActorRef ReplyTo)>(count);
        var rows = new List<JournalRowWrite>(count);
        var now = DateTime.UtcNow.Ticks;
        var serialization = Context.System.Serialization;
        for (var i = 0; i < count; i++)
        {
            var (write, replyTo) = _buffer[i];
            try
            {
                var serializer = serialization.FindSerializerFor(write.Event);
                var manifest = serializer switch
                {
                    SerializerWithStringManifest withManifest => withManifest.Manifest(write.Event),
                    { IncludeManifest: true } => write.Event.GetType().TypeQualifiedName(),
                    _ => string.Empty,
                };
                rows.Add(new JournalRowWrite(TaskPersistenceIds.For(write.TaskId), write.SequenceNr, serializer.ToBinary(write.Event),
                    manifest, serializer.Identifier, now, _writerGuid, TaskRowChange.Of(write.TaskId, write.SequenceNr, write.Event)));
                batch.Add((write, replyTo));
            }
            catch (Exception ex)
            {
                replyTo.Tell(new TaskEventWritten(write.TaskId, write.SequenceNr, write.Event, ex));
            }
        }
        _buffer.RemoveRange(0, count);
        if (batch.Count == 0) return; // every event refused: Flush takes the next ones
        var id = _nextBatchId++;
        _rowBatches[id] = batch;
        _batchesInFlight++;
        // A finished task's last progress goes into its row before the terminal write is answered: its record may then
        // leave the supervisor's memory, and the row is what answers for it.
        var finals = new List<RecordTaskProgress>();
        foreach (var (write, _) in batch)
            if (write.Event is TaskCompleted or TaskFailed or TaskCancelled && _progress.Remove(write.TaskId, out var last)) finals.Add(last);
        var sql = _sql!;
        StoreAsync()
            .ContinueWith(t => t.IsCompletedSuccessfully
                    ? new TaskEventsStored(id, null, t.Result)
                    : new TaskEventsStored(id, t.Exception?.GetBaseException() ?? new TaskCanceledException()),
                TaskContinuationOptions.ExecuteSynchronously)
            .PipeTo(Self);

        async Task<WriteOutcome> StoreAsync()
        {
            WriteOutcome outcome = WriteOutcome.AllStored;
            await PraisonTelemetry.TimeWriteAsync(rows.Count, async () => outcome = await sql.WriteEventsAsync(rows, CancellationToken.None).ConfigureAwait(false))
                .ConfigureAwait(false);
            // Progress is best effort (the events are stored): a failed write leaves the row's earlier progress.
            if (finals.Count > 0)
                await sql.WriteProgressAsync(finals, CancellationToken.None).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
            return outcome;
        }
    }

    /// <summary>The answer to one write of a batch written here: stored, a duplicate submission, a conflict, or the batch's error.</summary>
    private static ITaskJournalMessage Answer(WriteTaskEvent write, TaskEventsStored stored)
    {
        if (stored.Error is null && stored.Outcome is { } outcome)
        {
            if (write.Event is TaskSubmitted && outcome.DuplicateSubmissions.Contains(write.TaskId))
                return new TaskSubmitDuplicate(write.TaskId, write.SequenceNr);
            if (outcome.Conflicts.Contains((TaskPersistenceIds.For(write.TaskId), write.SequenceNr)))
                return new TaskEventWritten(write.TaskId, write.SequenceNr, write.Event, new InvalidOperationException(
                    $"Event {write.SequenceNr} of task '{write.TaskId}' is already stored as a different event; this one was not stored."));
        }
        return new TaskEventWritten(write.TaskId, write.SequenceNr, write.Event, stored.Error);
    }

    private void Answer(IPersistentRepresentation persistent, Exception? error)
    {
        if (!_inFlight.Remove((persistent.PersistenceId, persistent.SequenceNr), out var entry)) return;
        entry.ReplyTo.Tell(new TaskEventWritten(entry.Write.TaskId, entry.Write.SequenceNr, entry.Write.Event, error));
    }

    private void NextDelete()
    {
        if (_deleting || !_deletes.TryPeek(out var next)) return;
        _deleting = true;
        _journal.Tell(new DeleteMessagesTo(TaskPersistenceIds.For(next.Delete.TaskId), next.Delete.ToSequenceNr, Self));
    }

    private void SchedulePurge()
    {
        if (_purgeDeleted is not null && !Timers.IsTimerActive(PurgeTimer))
            Timers.StartSingleTimer(PurgeTimer, PurgeTick.Instance, PurgeDebounce);
    }

    private void StartPurge()
    {
        if (_purging)
        {
            SchedulePurge();
            return;
        }
        _purging = true;
        _purgeDeleted!(CancellationToken.None)
            .ContinueWith(t => new PurgeDone(t.IsCompletedSuccessfully ? t.Result : 0, t.Exception?.GetBaseException()),
                TaskContinuationOptions.ExecuteSynchronously)
            .PipeTo(Self);
    }
}
