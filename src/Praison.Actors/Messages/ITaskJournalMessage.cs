using Akka.Actor;

namespace Praison.Actors.Messages;

/// <summary>
/// Requests to a node's <c>TaskJournal</c> and its answers. They stay in the process (the events inside them
/// are serialized by the journal itself), so they skip serialization checks, and they never push back a running
/// task's timeout.
/// </summary>
internal interface ITaskJournalMessage : INoSerializationVerificationNeeded, INotInfluenceReceiveTimeout;

/// <summary>Store <paramref name="Event"/> as number <paramref name="SequenceNr"/> of the task; answered with <see cref="TaskEventWritten"/>.</summary>
internal sealed record WriteTaskEvent(string TaskId, long SequenceNr, ITaskEvent Event) : ITaskJournalMessage;

/// <summary>The event is stored, or (<paramref name="Error"/> set) it is not and never will be.</summary>
internal sealed record TaskEventWritten(string TaskId, long SequenceNr, ITaskEvent Event, Exception? Error) : ITaskJournalMessage;

/// <summary>
/// The answer to a <see cref="TaskSubmitted"/> write whose task id is already claimed in the store (another process or
/// node stored it): nothing of that write was stored, and the rest of its batch was. The writer answers its submitter
/// with the existing task.
/// </summary>
internal sealed record TaskSubmitDuplicate(string TaskId, long SequenceNr) : ITaskJournalMessage;

/// <summary>Delete every event of the task up to <paramref name="ToSequenceNr"/>; answered with <see cref="TaskEventsDeleted"/>.</summary>
internal sealed record DeleteTaskEvents(string TaskId, long ToSequenceNr) : ITaskJournalMessage;

internal sealed record TaskEventsDeleted(string TaskId, Exception? Error) : ITaskJournalMessage;

/// <summary>
/// Replay the task's events to <paramref name="ReplyTo"/>: the journal answers it directly with ReplayedMessage
/// per event, then RecoverySuccess (or ReplayMessagesFailure).
/// </summary>
internal sealed record ReplayTaskEvents(string TaskId, IActorRef ReplyTo) : ITaskJournalMessage;

/// <summary>
/// The last progress a running task reported, for the task table only (progress is not journaled). The journal keeps
/// the latest per task and writes them together about once a second; a failed write is dropped with a log line.
/// Without a task table (ephemeral store, another journal plugin) it is ignored.
/// </summary>
internal sealed record RecordTaskProgress(string TaskId, double Fraction, string? Message, DateTimeOffset At) : ITaskJournalMessage;

/// <summary>The journal's timer: write the progress recorded since the last write.</summary>
internal sealed record ProgressTick : ITaskJournalMessage
{
    public static readonly ProgressTick Instance = new();
}

internal sealed record ProgressWritten(int Count, Exception? Error) : ITaskJournalMessage;

/// <summary>The task's row is deleted after the plugin deleted its events (or, <paramref name="Error"/> set, it is not).</summary>
internal sealed record TaskRowDeleted(string TaskId, Exception? Error) : ITaskJournalMessage;

/// <summary>
/// A batch the journal wrote itself is stored but for the rows <paramref name="Outcome"/> names (duplicate submissions,
/// conflicting sequence numbers), or (<paramref name="Error"/> set) none of it is.
/// </summary>
internal sealed record TaskEventsStored(long BatchId, Exception? Error, WriteOutcome? Outcome = null) : ITaskJournalMessage;

/// <summary>The journal's debounce timer: remove the tombstone rows of deleted tasks now.</summary>
internal sealed record PurgeTick : ITaskJournalMessage
{
    public static readonly PurgeTick Instance = new();
}

internal sealed record PurgeDone(int Rows, Exception? Error) : ITaskJournalMessage;

/// <summary>
/// What a batch write did with the rows it did not store as given (every other row is stored, with its task-row
/// change). <paramref name="DuplicateSubmissions"/>: task ids whose <c>Submitted</c> found the id already claimed in
/// the task table (nothing of that task was written). <paramref name="Conflicts"/>: rows whose (persistence id,
/// sequence number) already holds a different event (not written, their task rows untouched). A row found already
/// stored with the same bytes (a write whose commit succeeded but whose answer was lost, then retried) counts as
/// stored.
/// </summary>
internal sealed record WriteOutcome(IReadOnlySet<string> DuplicateSubmissions, IReadOnlySet<(string PersistenceId, long SequenceNr)> Conflicts)
{
    public static readonly WriteOutcome AllStored = new(new HashSet<string>(), new HashSet<(string, long)>());
}
