using Praison.Actors.Persistence;

namespace Praison.Actors.Tasks;

/// <summary>
/// What a TaskSupervisor needs: limits, its tasks' settings, what the store held at start-up, how to purge
/// deleted rows, whether events are written at all (not on the ephemeral store) and, on a SQL store with the
/// default journal, how the TaskJournal writes its batches itself.
/// </summary>
internal sealed record SupervisorSettings(
    int MaxConcurrent,
    int MaxQueued,
    TaskActorSettings Tasks,
    IReadOnlyList<StoredTask>? Recovered = null,
    Func<CancellationToken, Task<int>>? PurgeDeleted = null,
    bool StoresEvents = true,
    Func<IReadOnlyList<JournalRowWrite>, CancellationToken, Task>? WriteRows = null)
{
    public bool Executes => Tasks.Executes;
}
