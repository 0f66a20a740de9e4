using Akka.Actor;
using Akka.Cluster;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Praison.Actors.Cluster;

/// <summary>
/// Ready only while this node is an <c>Up</c> member of its cluster: joining, leaving, exiting, down or removed, it
/// takes no share of the tasks, so a load balancer should not send it work. Healthy again as soon as it is Up.
/// </summary>
public sealed class ClusterMemberHealthCheck : IHealthCheck
{
    private readonly Func<MemberStatus?> _status;

    /// <summary>The check of <paramref name="system"/>'s own membership (a clustered actor system).</summary>
    public ClusterMemberHealthCheck(ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        var cluster = Akka.Cluster.Cluster.Get(system);
        _status = () => cluster.IsTerminated ? null : cluster.SelfMember.Status;
    }

    /// <summary>A check reading the status from <paramref name="status"/> (null: the cluster extension has stopped); for tests.</summary>
    internal ClusterMemberHealthCheck(Func<MemberStatus?> status) => _status = status;

    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_status() switch
        {
            MemberStatus.Up => HealthCheckResult.Healthy("This node is an Up member of the cluster."),
            null => HealthCheckResult.Unhealthy("This node's cluster has shut down."),
            var other => HealthCheckResult.Unhealthy($"This node is {other} in the cluster, not Up: it takes no tasks."),
        });
}

/// <summary>Registration of <see cref="ClusterMemberHealthCheck"/>.</summary>
public static class ClusterHealthCheckExtensions
{
    /// <summary>The tag that <c>MapPraisonObservability</c>'s <c>/health/ready</c> selects.</summary>
    public const string ReadyTag = "ready";

    /// <summary>
    /// Adds <see cref="ClusterMemberHealthCheck"/> (name <c>cluster-member</c>, tag <see cref="ReadyTag"/>) for the
    /// actor system of the <see cref="BackgroundRunner"/> in the services: <c>/health/ready</c> then also fails while
    /// this node is not Up.
    /// </summary>
    public static IHealthChecksBuilder AddPraisonClusterMember(this IHealthChecksBuilder builder) =>
        builder.Add(new HealthCheckRegistration("cluster-member",
            sp => new ClusterMemberHealthCheck(sp.GetRequiredService<BackgroundRunner>().System), failureStatus: null, tags: [ReadyTag]));
}
