using Akka.Actor;
using Praison.Actors.Persistence;

namespace Praison.Actors.Cluster;

/// <summary>Messages the cluster's own actors send themselves (timers, piped results). They never leave the node.</summary>
internal interface IClusterInternal : INoSerializationVerificationNeeded;

/// <summary>Time for the store sweeper to read the store.</summary>
internal sealed record SweepTick : IClusterInternal
{
    public static readonly SweepTick Instance = new();
}

/// <summary>Time to re-send the StartEntity messages no shard has acknowledged yet.</summary>
internal sealed record RetryWake : IClusterInternal
{
    public static readonly RetryWake Instance = new();
}

/// <summary>Removing tombstone rows after a sweep ended.</summary>
internal sealed record SweepPurged(Exception? Error) : IClusterInternal;

/// <summary>The ids of the tasks the sweeper should wake, as the store held them (or why it could not be read).</summary>
internal sealed record SweepRead(IReadOnlyList<string>? TaskIds, Exception? Error) : IClusterInternal;

/// <summary>
/// The store read behind a listing (<paramref name="Tasks"/>) or a clear (<paramref name="TaskIds"/>), for the router
/// to answer with; both null when the read failed.
/// </summary>
internal sealed record StoreRead(object Request, IActorRef ReplyTo, IReadOnlyList<TaskStatusInfo>? Tasks, IReadOnlyList<string>? TaskIds,
    Exception? Error) : IClusterInternal;

/// <summary>Asks a node's supervisor how many tasks run and wait there (diagnostics, tests).</summary>
internal sealed record GetNodeLoad : IClusterInternal
{
    public static readonly GetNodeLoad Instance = new();
}

internal sealed record NodeLoad(int Running, int Queued) : IClusterInternal;
