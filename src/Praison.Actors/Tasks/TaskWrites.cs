using Akka.Actor;
using Praison.Actors.Messages;

namespace Praison.Actors.Tasks;

/// <summary>
/// One task's write bookkeeping, shared by every actor that writes task events (the supervisor, the runner, the
/// entity): the sequence number of the last stored event, the one write in flight, and the retry of a failed write.
/// A failed <see cref="TaskSubmitted"/> is not retried (the client is told nothing was stored); any other failed
/// write is sent again after a backoff (100 ms doubling to 30 s), because what it records already happened (the
/// work started, or finished with a result that must not be lost).
/// With <paramref name="instant"/> (the ephemeral store: nothing is written anywhere) a write is stored the moment it is
/// made: its answer goes into that queue, which the owner drains at the end of the message it is handling, instead of a
/// round trip through the journal's mailbox (three messages per task saved).
/// </summary>
internal sealed class TaskWrites(string taskId, long storedSequenceNr, Queue<TaskEventWritten>? instant = null)
{
    public static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(100);
    public static readonly TimeSpan MaxRetry = TimeSpan.FromSeconds(30);

    private int _failures;                 // of the write in flight, in a row

    public string TaskId { get; } = taskId;

    /// <summary>The sequence number of the last stored event.</summary>
    public long SequenceNr { get; private set; } = storedSequenceNr;

    /// <summary>The event being written (or waiting for its retry); null when nothing is.</summary>
    public ITaskEvent? InFlight { get; private set; }

    /// <summary>The error of the last failed write while it is being retried, null otherwise.</summary>
    public string? StoreError { get; private set; }

    public bool Busy => InFlight is not null;

    private string RetryTimer => "retry-write-" + TaskId;

    /// <summary>Sends <paramref name="e"/> to the journal as the next event. One write at a time: the caller waits while <see cref="Busy"/>.</summary>
    public void Write(IActorRef journal, ITaskEvent e, IActorRef self)
    {
        if (InFlight is not null) throw new InvalidOperationException($"Task {TaskId}: a write is already in flight.");
        InFlight = e;
        if (instant is not null) instant.Enqueue(new TaskEventWritten(TaskId, SequenceNr + 1, e, null));
        else journal.Tell(new WriteTaskEvent(TaskId, SequenceNr + 1, e), self);
    }

    /// <summary>
    /// The journal answered. Stored: the event is returned and the next write may go. Failed: a submission is given
    /// up (nothing is stored); anything else is retried through <paramref name="timers"/> (<see cref="RetryWrite"/>).
    /// An answer to anything but the write in flight is ignored.
    /// </summary>
    public WriteResult OnWritten(TaskEventWritten w, ITimerScheduler timers)
    {
        if (InFlight is null || w.SequenceNr != SequenceNr + 1 || !ReferenceEquals(w.Event, InFlight)) return WriteResult.Stale;
        if (w.Error is null)
        {
            InFlight = null;
            SequenceNr = w.SequenceNr;
            var recovered = StoreError is not null;
            StoreError = null;
            _failures = 0;
            return recovered ? WriteResult.StoredAfterRetry : WriteResult.Stored;
        }
        StoreError = w.Error.Message;
        if (w.Event is TaskSubmitted)
        {
            InFlight = null;
            return WriteResult.Refused;
        }
        timers.StartSingleTimer(RetryTimer, new RetryWrite(TaskId), Backoff(++_failures));
        return WriteResult.Retrying;
    }

    /// <summary>
    /// The journal found the submission's id already claimed in the store, so nothing was stored: the write is over.
    /// Returns the submitted spec, or null when this is not the answer to the submission in flight.
    /// </summary>
    public TaskSpec? OnDuplicate(TaskSubmitDuplicate d)
    {
        if (InFlight is not TaskSubmitted s || d.SequenceNr != SequenceNr + 1) return null;
        InFlight = null;
        return s.Spec;
    }

    /// <summary>The wait before the retry after <paramref name="failures"/> failures in a row: 100 ms doubling, at most 30 s.</summary>
    public static TimeSpan Backoff(int failures) =>
        failures >= 10 ? MaxRetry : TimeSpan.FromTicks(Math.Min(FirstRetry.Ticks << (failures - 1), MaxRetry.Ticks));

    /// <summary>The backoff of a failed write has passed: send it again.</summary>
    public void Retry(IActorRef journal, IActorRef self)
    {
        if (InFlight is { } e) journal.Tell(new WriteTaskEvent(TaskId, SequenceNr + 1, e), self);
    }

    /// <summary>Forgets a retry (the task is going away); the stored sequence number stays.</summary>
    public void Abandon(ITimerScheduler timers)
    {
        timers.Cancel(RetryTimer);
        InFlight = null;
    }
}

internal enum WriteResult
{
    /// <summary>Not the answer to the write in flight (e.g. an answer to a write already given up).</summary>
    Stale,
    Stored,
    /// <summary>Stored, and the write before it had failed: the store works again.</summary>
    StoredAfterRetry,
    /// <summary>A submission that could not be stored: the task does not exist.</summary>
    Refused,
    /// <summary>Failed; sent again after the backoff.</summary>
    Retrying,
}
