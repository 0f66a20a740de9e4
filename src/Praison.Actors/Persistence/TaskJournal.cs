using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Praison.Actors.Messages;
using Praison.Actors.Tasks;

namespace Praison.Actors.Persistence;

/// <summary>
/// One node's writer for every task's events. Tasks keep their own persistence id (<c>task-{id}</c>) and
/// sequence numbers, but their writes go to the journal together: whatever arrives while a batch is being
/// stored goes out as the next single WriteMessages, which the SQL journal commits in one transaction. A
/// persistent actor per task would instead recover (two queries) before its first write and commit alone,
/// which measured as the limit of durable throughput (~260 tasks/s on SQLite).
/// Each task has at most one write in flight (its owner waits for the answer), so per-task order holds.
/// After deletes it also removes the tombstone rows Akka.Persistence.Sql keeps, batched to one statement a second.
/// Without a store (<c>storesEvents</c> false: the ephemeral store) it answers every write and delete at once.
/// </summary>
internal sealed class TaskJournal : UntypedActor, IWithTimers
{
    private const int MaxBatchesInFlight = 1; // measured: 1 gave the most tasks/s on SQLite (2, 4, 8 fewer), and no less on PostgreSQL
    private const int MaxBatchSize = 2000;
    private const string PurgeTimer = "purge";
    private static readonly TimeSpan PurgeDebounce = TimeSpan.FromSeconds(1);

    private readonly IActorRef _journal;
    private readonly string _writerGuid = Guid.NewGuid().ToString("N");
    private readonly List<(WriteTaskEvent Write, IActorRef ReplyTo)> _buffer = new();
    private readonly Dictionary<(string PersistenceId, long SequenceNr), (WriteTaskEvent Write, IActorRef ReplyTo)> _inFlight = new();
    private readonly Queue<(DeleteTaskEvents Delete, IActorRef ReplyTo)> _deletes = new();
    private readonly Func<CancellationToken, Task<int>>? _purgeDeleted;
    private readonly bool _storesEvents;
    private int _batchesInFlight;
    private bool _deleting;
    private bool _purging;

    public TaskJournal(string? journalPluginId, Func<CancellationToken, Task<int>>? purgeDeleted, bool storesEvents)
    {
        _journal = Akka.Persistence.Persistence.Instance.Apply(Context.System).JournalFor(journalPluginId);
        _purgeDeleted = purgeDeleted;
        _storesEvents = storesEvents;
    }

    public static Props Props(string? journalPluginId, Func<CancellationToken, Task<int>>? purgeDeleted = null, bool storesEvents = true) =>
        Akka.Actor.Props.Create(typeof(TaskJournal), journalPluginId, purgeDeleted, storesEvents);

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
                _journal.Tell(new ReplayMessages(1, long.MaxValue, long.MaxValue, TaskActor.PersistenceIdFor(r.TaskId), r.ReplyTo));
                break;
            case DeleteTaskEvents d:
                _deletes.Enqueue((d, Sender));
                NextDelete();
                break;
            // Deletes go one at a time: the journal's answer does not name the persistence id.
            case DeleteMessagesSuccess:
                _deleting = false;
                var (done, doneTo) = _deletes.Dequeue();
                doneTo.Tell(new TaskEventsDeleted(done.TaskId, null));
                NextDelete();
                SchedulePurge();
                break;
            case DeleteMessagesFailure f:
                _deleting = false;
                var (failed, failedTo) = _deletes.Dequeue();
                failedTo.Tell(new TaskEventsDeleted(failed.TaskId, f.Cause));
                NextDelete();
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

    private void Flush()
    {
        if (_buffer.Count == 0 || _batchesInFlight >= MaxBatchesInFlight) return;
        var count = Math.Min(_buffer.Count, MaxBatchSize);
        var writes = new List<IPersistentEnvelope>(count);
        var now = DateTime.UtcNow.Ticks;
        for (var i = 0; i < count; i++)
        {
            var (write, replyTo) = _buffer[i];
            var pid = TaskActor.PersistenceIdFor(write.TaskId);
            _inFlight[(pid, write.SequenceNr)] = (write, replyTo);
            writes.Add(new AtomicWrite(new Persistent(write.Event, write.SequenceNr, pid, string.Empty, false,
                ActorRefs.NoSender, _writerGuid, now)));
        }
        _buffer.RemoveRange(0, count);
        _batchesInFlight++;
        _journal.Tell(new WriteMessages(writes, Self, 1));
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
        _journal.Tell(new DeleteMessagesTo(TaskActor.PersistenceIdFor(next.Delete.TaskId), next.Delete.ToSequenceNr, Self));
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
