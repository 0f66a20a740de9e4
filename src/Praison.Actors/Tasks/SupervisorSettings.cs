using Praison.Actors.Persistence;

namespace Praison.Actors.Tasks;

/// <summary>What a TaskSupervisor needs: limits, its tasks' settings, and what the store held at start-up.</summary>
internal sealed record SupervisorSettings(
    int MaxConcurrent,
    int MaxQueued,
    TaskActorSettings Tasks,
    IReadOnlyList<StoredTask>? Recovered = null,
    Func<CancellationToken, Task<int>>? PurgeDeleted = null)
{
    public bool Executes => Tasks.Executes;
}
