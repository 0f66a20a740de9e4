using Akka.Actor;
using Akka.Event;
using Praison.Actors.Messages;
using Praison.Actors.Tasks;

namespace Praison.Actors.Cluster;

/// <summary>
/// Concurrency for one cluster node. Sharded task entities living on this node ask it for a slot (TaskEnqueued);
/// it keeps them in FIFO order, sends StartTask to the entity while fewer than MaxConcurrent run (and within each
/// recipe's own cap), and frees the slot when the entity reports a terminal status or stops (passivated,
/// handed off to another node). Entities are created and stopped by their shard, never by this actor. It also holds
/// the node's MaxQueued: an entity asks for room (AdmitTask) before it stores a new task.
/// </summary>
internal sealed class NodeTaskSupervisor : UntypedActor
{
    private readonly int _maxConcurrent;
    private readonly int _maxQueued;
    private readonly HashSet<string> _admitting = new(); // new tasks given room in the queue, not yet stored and queued
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly SlotQueue<IActorRef> _slots;
    private readonly Dictionary<IActorRef, string> _watched = new();
    private readonly StoreHealthTracker _health = new();

    public NodeTaskSupervisor(int maxConcurrent, int maxQueued = BackgroundRunnerOptions.DefaultMaxQueued)
    {
        _maxConcurrent = maxConcurrent;
        _maxQueued = maxQueued;
        _slots = new SlotQueue<IActorRef>(maxConcurrent);
    }

    public static Props Props(int maxConcurrent, int maxQueued = BackgroundRunnerOptions.DefaultMaxQueued) =>
        Akka.Actor.Props.Create(typeof(NodeTaskSupervisor), maxConcurrent, maxQueued);

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case AdmitTask a:
                OnAdmit(a.TaskId, Sender);
                break;
            case AdmissionReleased r:
                _admitting.Remove(r.TaskId);
                break;
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
                    _admitting.Remove(id);
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

    /// <summary>
    /// MaxQueued on this node, as a standalone host applies it: the tasks waiting here (queued, or admitted and being
    /// stored) must stay under the bound, or the submission is refused before anything is stored.
    /// </summary>
    private void OnAdmit(string id, IActorRef entity)
    {
        var waiting = _slots.QueuedCount + _admitting.Count;
        if (waiting >= _maxQueued)
        {
            entity.Tell(new AdmitTaskReply(id,
                $"The task queue is full: {waiting} tasks are waiting and MaxQueued is {_maxQueued}. Nothing was stored; try again later."));
            return;
        }
        _admitting.Add(id);
        Watch(entity, id); // a lost entity gives its room back
        entity.Tell(new AdmitTaskReply(id, null));
    }

    private void Watch(IActorRef entity, string id)
    {
        if (_watched.ContainsKey(entity)) return;
        Context.Watch(entity);
        _watched[entity] = id;
    }

    private void OnEnqueued(TaskEnqueued e, IActorRef entity)
    {
        var id = e.Task.TaskId;
        _admitting.Remove(id);
        // A new incarnation of the entity (restarted on this node) replaces the old one's place.
        if (_slots.TryGetHolder(id, out var holder) && !holder.Equals(entity)) Release(id, holder);
        if (!_slots.Enqueue(id, e.Task.RecipeName, e.RecipeMaxConcurrent, entity)) return;
        Watch(entity, id);
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
