using Akka.Actor;

namespace Praison.Actors.Tasks;

/// <summary>What every TaskActor of one runner shares. Local objects: handed over in Props, never serialized.</summary>
internal sealed record TaskActorSettings(
    RecipeRegistry Recipes,
    int MaxPayloadBytes,
    string? JournalPluginId,
    string? SnapshotPluginId,
    IActorRef? Supervisor = null);
