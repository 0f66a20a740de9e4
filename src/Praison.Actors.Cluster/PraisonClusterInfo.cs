using Akka.Actor;
using Akka.Cluster.Sharding;

namespace Praison.Actors.Cluster;

/// <summary>
/// <see cref="IClusterInfo"/> over a running node: membership from Akka.Cluster's state, tasks per node from the shard
/// region's statistics (entities alive on each node), this node's running and queued tasks from its supervisor.
/// </summary>
public sealed class PraisonClusterInfo : IClusterInfo
{
    private readonly ActorSystem _system;
    private readonly IActorRef _region;
    private readonly IActorRef _supervisor;

    /// <summary>Answers for a node started with <see cref="PraisonCluster.StartAsync"/>.</summary>
    /// <param name="node">The node to answer for.</param>
    public PraisonClusterInfo(PraisonClusterNode node) : this(node.System, node.Region, node.Supervisor)
    {
    }

    /// <summary>Answers for a node from its parts (the Akka.Hosting path keeps them in its actor registry).</summary>
    internal PraisonClusterInfo(ActorSystem system, IActorRef region, IActorRef supervisor)
    {
        _system = system;
        _region = region;
        _supervisor = supervisor;
    }

    /// <summary>How long the statistics may take before the snapshot is returned without them.</summary>
    public TimeSpan StatsTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <inheritdoc />
    public async Task<ClusterInfoSnapshot> GetSnapshotAsync(CancellationToken cancellationToken = default)
    {
        var cluster = Akka.Cluster.Cluster.Get(_system);
        var state = cluster.State;
        var self = cluster.SelfAddress;
        Dictionary<Address, int>? counts = null;
        string? countsError = null;
        try
        {
            var stats = await _region.Ask<ClusterShardingStats>(new GetClusterShardingStats(StatsTimeout), StatsTimeout + TimeSpan.FromSeconds(1), cancellationToken)
                .ConfigureAwait(false);
            counts = stats.Regions.ToDictionary(r => r.Key, r => r.Value.Stats.Values.Sum());
        }
        catch (Exception ex) when (ex is AskTimeoutException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            countsError = "the shard statistics did not answer in time";
        }
        NodeLoad? load = null;
        try
        {
            load = await _supervisor.Ask<NodeLoad>(GetNodeLoad.Instance, StatsTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AskTimeoutException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // this node's load stays unknown
        }
        var members = state.Members
            .OrderBy(m => m.Address.ToString(), StringComparer.Ordinal)
            .Select(m => new ClusterMemberInfo(
                m.Address.ToString(), m.Status.ToString(), m.Roles.Order(StringComparer.Ordinal).ToList(),
                !state.Unreachable.Contains(m), m.Address == self,
                counts is null ? null : counts.GetValueOrDefault(m.Address),
                m.Address == self ? load?.Running : null, m.Address == self ? load?.Queued : null))
            .ToList();
        return new ClusterInfoSnapshot(self.ToString(), state.Leader?.ToString(), members, countsError);
    }
}
