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

