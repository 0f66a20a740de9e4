using Akka.Actor;
using Akka.Event;
using Praison.Actors.Messages;
using Praison.Actors.Tasks;

namespace Praison.Actors.Cluster;

/// <summary>
/// Concurrency for one cluster node. Sharded task entities living on this node ask it for a slot (TaskEnqueued);
/// it keeps them in FIFO order, sends StartTask to the entity while fewer than MaxConcurrent run (and within each
/// recipe's own cap), and frees the slot when the entity reports a terminal status or stops (passivated,
/// handed off to another node). Entities are created and stopped by their shard, never by this actor.
/// </summary>
internal sealed class NodeTaskSupervisor : UntypedActor
{
    private readonly int _maxConcurrent;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly SlotQueue<IActorRef> _slots;
    private readonly Dictionary<IActorRef, string> _watched = new();
    private readonly StoreHealthTracker _health = new();

    public NodeTaskSupervisor(int maxConcurrent)
    {
        _maxConcurrent = maxConcurrent;
        _slots = new SlotQueue<IActorRef>(maxConcurrent);
    }

    public static Props Props(int maxConcurrent) => Akka.Actor.Props.Create(typeof(NodeTaskSupervisor), maxConcurrent);

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case TaskEnqueued e:
                OnEnqueued(e, Sender);
                break;
            case TaskStatusChanged { Task.IsTerminal: true } e:
                Release(e.Task.TaskId, Sender);
                break;
            case TaskStatusChanged { Task.NextAttemptAt: not null } e:
                Release(e.Task.TaskId, Sender); // a failed attempt waits for its retry out of its slot
                break;
            case TaskStoreState s:
                if (s.Error is not null) _health.Failed(s.TaskId, s.Error, s.Retried, DateTimeOffset.UtcNow);
                else if (_health.Succeeded(s.TaskId)) TryStartNext();
                break;
            case GetStoreHealth:
                Sender.Tell(_health.Snapshot());
                break;
            case TaskStatusChanged or TaskRemoved or PassivateTask:
                break; // the listing reads the store; entities passivate through their shard
            case Terminated t:
                if (_watched.Remove(t.ActorRef, out var id))
                {
                    _health.Forget(id);
                    Release(id, t.ActorRef);
                }
                break;
            case GetNodeLoad:
                Sender.Tell(new NodeLoad(_slots.RunningCount, _slots.QueuedCount));
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void OnEnqueued(TaskEnqueued e, IActorRef entity)
    {
        var id = e.Task.TaskId;
        // A new incarnation of the entity (restarted on this node) replaces the old one's place.
        if (_slots.TryGetHolder(id, out var holder) && !holder.Equals(entity)) Release(id, holder);
        if (!_slots.Enqueue(id, e.Task.RecipeName, e.RecipeMaxConcurrent, entity)) return;
        if (!_watched.ContainsKey(entity))
        {
            Context.Watch(entity);
            _watched[entity] = id;
        }
        TryStartNext();
    }

    /// <summary>Takes the task out of the queue or frees its slot, if <paramref name="entity"/> is the one holding it.</summary>
    private void Release(string id, IActorRef entity)
    {
        if (_slots.TryGetHolder(id, out var holder) && holder.Equals(entity)) _slots.Remove(id);
        TryStartNext();
    }

    /// <summary>Gives free slots to waiting entities, unless one's write is being retried: the store is failing then.</summary>
    private void TryStartNext()
    {
        if (_health.AnyRetrying) return;
        foreach (var (id, entity) in _slots.StartNext()) entity.Tell(new StartTask(id));
        if (_slots.QueuedCount > 0 && _slots.RunningCount < _maxConcurrent)
            _log.Debug("{0} tasks wait for their recipe's own limit", _slots.QueuedCount);
    }
}
