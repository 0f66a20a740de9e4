using Praison.Actors.Persistence;

namespace Praison.Actors.Tasks;

/// <summary>
/// What a TaskSupervisor needs: limits, its tasks' settings, what the store held at start-up, how to purge
/// deleted rows, whether events are written at all (not on the ephemeral store) and, on a SQL store with the
/// default journal, the store whose journal and task table the TaskJournal writes itself (<see cref="WriteRows"/>).
/// <see cref="Webhooks"/>: the supervisor starts the node's webhook dispatcher with these options (none when null).
/// </summary>
internal sealed record SupervisorSettings(
    int MaxConcurrent,
    int MaxQueued,
    TaskActorSettings Tasks,
    IReadOnlyList<StoredTask>? Recovered = null,
    Func<CancellationToken, Task<int>>? PurgeDeleted = null,
    bool StoresEvents = true,
    SqlJournalAccess? WriteRows = null,
    TaskStore? Table = null,
    WebhookOptions? Webhooks = null)
{
    /// <summary>
    /// With a task table (<see cref="Table"/>, set when the journal writes the store's rows itself) finished tasks leave
    /// memory: commands for them are answered from the table, and their cleanup is swept from it.
    /// </summary>
    public bool EvictsFinished => Table is not null && WriteRows is not null;

    public bool Executes => Tasks.Executes;
}
