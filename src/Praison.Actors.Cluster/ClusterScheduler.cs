using Akka.Actor;
using Akka.Cluster.Tools.Singleton;
using Praison.Actors.Scheduling;

namespace Praison.Actors.Cluster;

/// <summary>
/// The scheduler of a cluster: one <see cref="SchedulerActor"/> per cluster, as a cluster singleton, so one node
/// looks at the schedules and submits their slots. Every node (of <see cref="PraisonClusterOptions.SchedulerRole"/>
/// when set) runs the singleton manager <c>/user/praison-scheduler</c>, which starts the actor on the oldest such node
/// and hands it over when that node leaves (or, after it is downed, when it died); every node runs the proxy
/// <c>/user/praison-scheduler-proxy</c>, the address its runner tells to reload after a change.
/// </summary>
internal static class ClusterScheduler
{
    public const string ProxyName = SchedulerActor.Name + "-proxy";
    public const string SingletonName = "scheduler";

    /// <summary>Makes the runners of <paramref name="system"/> start the scheduler as this cluster's singleton (<see cref="SchedulerRegistry.HostWith"/>).</summary>
    public static void Use(ActorSystem system, PraisonClusterOptions cluster) =>
        SchedulerRegistry.HostWith(system, props => Start(system, props, cluster));

    /// <summary>Starts this node's singleton manager (if the node may host the scheduler) and proxy; returns the proxy.</summary>
    private static IActorRef Start(ActorSystem system, Props scheduler, PraisonClusterOptions cluster)
    {
        // Sharding loads the singleton's defaults too, but the scheduler must not depend on sharding having started first.
        system.Settings.InjectTopLevelFallback(ClusterSingleton.DefaultConfig());
        var role = cluster.SchedulerRole;
        if (role is null || cluster.Roles.Contains(role))
        {
            var settings = ClusterSingletonManagerSettings.Create(system).WithSingletonName(SingletonName).WithRole(role);
            // Throws InvalidActorNameException when this system hosts one already (a second runner): the caller then tells that one.
            system.ActorOf(ClusterSingletonManager.Props(scheduler, PoisonPill.Instance, settings), SchedulerActor.Name);
        }
        var proxy = ClusterSingletonProxySettings.Create(system).WithSingletonName(SingletonName).WithRole(role);
        return system.ActorOf(ClusterSingletonProxy.Props("/user/" + SchedulerActor.Name, proxy), ProxyName);
    }
}
