namespace Praison.Actors;

/// <summary>
/// What a clustered host knows of its cluster, for views such as the dashboard's nodes page. A clustered host registers
/// one in DI (the CLI's <c>serve --cluster</c> does); a local host has none.
/// </summary>
public interface IClusterInfo
{
    /// <summary>The members as this node sees them now, with the tasks each holds.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    Task<ClusterInfoSnapshot> GetSnapshotAsync(CancellationToken cancellationToken = default);
}

/// <summary>The cluster as one node sees it.</summary>
/// <param name="SelfAddress">The answering node's address.</param>
/// <param name="Leader">The leader's address, null while there is none.</param>
/// <param name="Members">Every member, by address.</param>
/// <param name="TaskCountsError">Why the per-node task counts are missing (the shard statistics did not answer), else null.</param>
public sealed record ClusterInfoSnapshot(string SelfAddress, string? Leader, IReadOnlyList<ClusterMemberInfo> Members, string? TaskCountsError = null);

/// <summary>One cluster member.</summary>
/// <param name="Address">Its address, e.g. akka.tcp://praison-actors@127.0.0.1:4053.</param>
/// <param name="Status">Joining, Up, Leaving, Exiting, Down, Removed, WeaklyUp.</param>
/// <param name="Roles">Its roles.</param>
/// <param name="Reachable">False while the failure detector cannot reach it.</param>
/// <param name="IsSelf">True for the answering node.</param>
/// <param name="ActiveTasks">Task entities alive on it (pending or running there), from the shard statistics; null when unknown.</param>
/// <param name="Running">Tasks running on it now (known for the answering node only).</param>
/// <param name="Queued">Tasks waiting there for a slot (known for the answering node only).</param>
public sealed record ClusterMemberInfo(string Address, string Status, IReadOnlyList<string> Roles, bool Reachable, bool IsSelf,
    int? ActiveTasks, int? Running = null, int? Queued = null);
