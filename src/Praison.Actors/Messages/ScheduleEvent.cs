using System.Text.Json.Nodes;

namespace Praison.Actors.Messages;

/// <summary>
/// One stored change of a schedule: a journal row under the schedule's own persistence id
/// (<see cref="Persistence.SchedulePersistenceIds"/>), written in the same transaction as the <c>praison_schedules</c> row
/// it describes. <paramref name="Patch"/> is what changed, as a JSON merge patch of the record's JSON
/// (<see cref="Persistence.ScheduleEvents"/>: a created event holds the whole record, a deleted one null); folding a
/// schedule's events gives its row back. Every so often (<see cref="Persistence.ScheduleEvents.SnapshotEvery"/>) an
/// event also carries the whole record after the change (<paramref name="Record"/>), so a fold starts there and the
/// events before it may be removed (history retention).
/// </summary>
/// <param name="Kind">created, updated, paused, resumed, fired, requested, skipped, deleted or changed (inferred from what changed).</param>
/// <param name="Version">The row's version after the change (null once deleted).</param>
/// <param name="Patch">The change; null for a deletion.</param>
/// <param name="Record">The whole record's JSON after the change on a snapshot point, else null (and absent from older events).</param>
internal sealed record ScheduleEvent(string Kind, long? Version, JsonNode? Patch, JsonNode? Record = null) : IPraisonMessage;
