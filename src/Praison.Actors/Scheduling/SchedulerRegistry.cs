using System.Runtime.CompilerServices;
using Akka.Actor;

namespace Praison.Actors.Scheduling;

/// <summary>
/// The one scheduler of each actor system (one per host), so every runner of the system tells the same one about
/// changes. A cluster node hosts it differently (<see cref="HostWith"/>: a cluster singleton, reached through a proxy).
/// </summary>
internal static class SchedulerRegistry
{
    private static readonly ConditionalWeakTable<ActorSystem, IActorRef> Started = new();
    private static readonly ConditionalWeakTable<ActorSystem, Func<Props, IActorRef>> Hosts = new();

    /// <summary>
    /// Makes <see cref="Start"/> in <paramref name="system"/> hand the scheduler's props to <paramref name="host"/>,
    /// which starts it (the cluster: a singleton manager named <see cref="SchedulerActor.Name"/>) and returns the
    /// address the runners tell (the singleton's proxy). Call before the first runner's scheduler is used.
    /// </summary>
    public static void HostWith(ActorSystem system, Func<Props, IActorRef> host) => Hosts.AddOrUpdate(system, host);

    /// <summary>
    /// Starts the host's scheduler as <c>/user/praison-scheduler</c> (or as <see cref="HostWith"/> says) and returns
    /// the address to tell; throws InvalidActorNameException when the system has one.
    /// </summary>
    public static IActorRef Start(ActorSystem system, ScheduleService service)
    {
        lock (Started) // two runners of one system starting at once: the second sees the first's in Of
        {
            var props = SchedulerActor.Props(service);
            var actor = Hosts.TryGetValue(system, out var host) ? host(props) : system.ActorOf(props, SchedulerActor.Name);
            Started.AddOrUpdate(system, actor);
            return actor;
        }
    }

    /// <summary>The scheduler <see cref="Start"/> started in <paramref name="system"/>, if any.</summary>
    public static IActorRef? Of(ActorSystem system)
    {
        lock (Started) return Started.TryGetValue(system, out var actor) ? actor : null;
    }
}
