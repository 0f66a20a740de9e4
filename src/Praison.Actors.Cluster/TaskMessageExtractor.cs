using Akka.Cluster.Sharding;
using Praison.Actors.Messages;

namespace Praison.Actors.Cluster;

/// <summary>
/// Entity id = task id; shard = a stable hash (Akka's MurmurHash, the same in every process) of the id modulo
/// <see cref="PraisonClusterOptions.ShardCount"/>. Task commands travel unwrapped: they carry their id.
/// </summary>
internal sealed class TaskMessageExtractor() : HashCodeMessageExtractor(PraisonClusterOptions.ShardCount)
{
    public override string? EntityId(object message) => (message as ITaskCommand)?.TaskId;
}
