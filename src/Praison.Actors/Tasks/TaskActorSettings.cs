using Akka.Actor;

namespace Praison.Actors.Tasks;

/// <summary>
/// What every task actor of one runner shares (<see cref="TaskRunner"/>, <see cref="TaskEntity"/>). Local objects: handed over in Props, never serialized.
/// <paramref name="Executes"/> is false in a process that only stores and inspects tasks (e.g. a CLI next to a
/// running host): its task actors never run, reconcile or clean up anything. <paramref name="Journal"/> is the
/// node's <see cref="Persistence.TaskJournal"/>; a local supervisor sets it when it starts its own (a test may set it to a probe).
/// <paramref name="Webhooks"/> is the node's webhook dispatcher, told of every stored terminal outcome of a task with a
/// webhook (<see cref="Messages.WebhookDue"/>); null sends none.
/// <paramref name="JournalClaimsIds"/> is true when <paramref name="Journal"/> claims each submitted id in the task
/// table (the SQL writer answers an id already stored with <see cref="Messages.TaskSubmitDuplicate"/>): a
/// <see cref="TaskEntity"/> whose first message is a submission then stores it without replaying first.
/// <paramref name="SupervisorAdmits"/>: a <see cref="TaskEntity"/> asks its supervisor for room in the queue
/// (<see cref="Messages.AdmitTask"/>) before it stores a new task (a cluster node's MaxQueued).
/// <paramref name="InstantWrites"/>: the store keeps no events (ephemeral), so a <see cref="TaskRunner"/> takes its writes as
/// stored at once (<see cref="TaskWrites"/>) and sends no <see cref="Messages.WorkEnded"/> (its report follows in the same turn).
/// </summary>
internal sealed record TaskActorSettings(
    RecipeRegistry Recipes,
    int MaxPayloadBytes,
    string? JournalPluginId,
    bool Executes = true,
    TimeSpan? PassivateAfter = null,
    IActorRef? Supervisor = null,
    object? ShardPassivateMessage = null,
    IActorRef? Journal = null,
    IActorRef? Webhooks = null,
    bool JournalClaimsIds = false,
    bool SupervisorAdmits = false,
    bool InstantWrites = false)
{
    /// <summary>
    /// True for a cluster-sharded entity (<see cref="ShardPassivateMessage"/> is set: the shard's Passivate). Such an
    /// actor is started and stopped by its shard, so it passivates through its parent instead of the supervisor.
    /// </summary>
    public bool Sharded => ShardPassivateMessage is not null;

    /// <summary>How long a finished (or, when not executing, any) task entity stays in memory once idle (its own timer, never ReceiveTimeout).</summary>
    public TimeSpan IdleBeforePassivation => PassivateAfter ?? TimeSpan.FromSeconds(30);
}
