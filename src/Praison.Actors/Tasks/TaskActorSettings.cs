using Akka.Actor;

namespace Praison.Actors.Tasks;

/// <summary>
/// What every TaskActor of one runner shares. Local objects: handed over in Props, never serialized.
/// <paramref name="Executes"/> is false in a process that only stores and inspects tasks (e.g. a CLI next to a
/// running host): its task actors never run, reconcile or clean up anything.
/// </summary>
internal sealed record TaskActorSettings(
    RecipeRegistry Recipes,
    int MaxPayloadBytes,
    string? JournalPluginId,
    string? SnapshotPluginId,
    bool Executes = true,
    TimeSpan? PassivateAfter = null,
    bool BatchedWrites = true,
    IActorRef? Supervisor = null)
{
    /// <summary>How long a finished (or, when not executing, any) task stays in memory after its last message.</summary>
    public TimeSpan IdleBeforePassivation => PassivateAfter ?? TimeSpan.FromSeconds(30);
}
