namespace Praison.Actors.Persistence;

/// <summary>
/// One serialized event as Akka.Persistence.Sql stores it in its <c>journal</c> table (default table mapping):
/// the columns its journal fills for an untagged event, so its replay, delete and query paths read these rows
/// exactly as they read their own. <paramref name="Change"/> is what the event changes in the task table, written in
/// the same transaction (null for rows that are not task events).
/// </summary>
internal sealed record JournalRowWrite(
    string PersistenceId,
    long SequenceNr,
    byte[] Message,
    string Manifest,
    int SerializerId,
    long Created,
    string WriterUuid,
    TaskRowChange? Change = null);

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
