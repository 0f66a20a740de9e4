using Praison.Actors.Persistence;

namespace Praison.Actors.Tasks;

/// <summary>
/// What a TaskSupervisor needs: limits, its tasks' settings, what the store held at start-up, how to purge
/// deleted rows, and whether events are written at all (not on the ephemeral store).
/// </summary>
internal sealed record SupervisorSettings(
    int MaxConcurrent,
    int MaxQueued,
    TaskActorSettings Tasks,
    IReadOnlyList<StoredTask>? Recovered = null,
    Func<CancellationToken, Task<int>>? PurgeDeleted = null,
    bool StoresEvents = true)
{
    public bool Executes => Tasks.Executes;
}
