using System.Runtime.CompilerServices;
using Akka.Actor;

namespace Praison.Actors.Scheduling;

/// <summary>The one scheduler actor of each actor system (one per host), so every runner of the system tells the same one about changes.</summary>
internal static class SchedulerRegistry
{
    private static readonly ConditionalWeakTable<ActorSystem, IActorRef> Started = new();

    /// <summary>Starts the host's scheduler as <c>/user/praison-scheduler</c>; throws InvalidActorNameException when the system has one.</summary>
    public static IActorRef Start(ActorSystem system, ScheduleService service)
    {
        var actor = system.ActorOf(SchedulerActor.Props(service), SchedulerActor.Name);
        Started.AddOrUpdate(system, actor);
        return actor;
    }

    /// <summary>The scheduler <see cref="Start"/> started in <paramref name="system"/>, if any.</summary>
    public static IActorRef? Of(ActorSystem system) => Started.TryGetValue(system, out var actor) ? actor : null;
}
