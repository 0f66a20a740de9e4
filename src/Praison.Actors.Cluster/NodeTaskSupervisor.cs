using Akka.Actor;
using Akka.Event;
using Praison.Actors.Messages;

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
    private readonly LinkedList<Slot> _queue = new();
    private readonly Dictionary<string, LinkedListNode<Slot>> _queuedById = new();
    private readonly Dictionary<string, Slot> _running = new();
    private readonly Dictionary<string, int> _runningPerRecipe = new();
    private readonly Dictionary<IActorRef, string> _watched = new();

    private sealed record Slot(string TaskId, IActorRef Entity, string RecipeKey, int? RecipeCap);

    public NodeTaskSupervisor(int maxConcurrent) => _maxConcurrent = maxConcurrent;

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
            case TaskStatusChanged or TaskRemoved or PassivateTask:
                break; // the listing reads the store; entities passivate through their shard
            case Terminated t:
                if (_watched.Remove(t.ActorRef, out var id)) Release(id, t.ActorRef);
                break;
            case GetNodeLoad:
                Sender.Tell(new NodeLoad(_running.Count, _queue.Count));
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
        if (_running.TryGetValue(id, out var r) && !r.Entity.Equals(entity)) Release(id, r.Entity);
        if (_queuedById.TryGetValue(id, out var q) && !q.Value.Entity.Equals(entity)) Release(id, q.Value.Entity);
        if (_running.ContainsKey(id) || _queuedById.ContainsKey(id)) return;
        if (!_watched.ContainsKey(entity))
        {
            Context.Watch(entity);
            _watched[entity] = id;
        }
        _queuedById[id] = _queue.AddLast(new Slot(id, entity, e.Task.RecipeName ?? "", e.RecipeMaxConcurrent));
        TryStartNext();
    }

    /// <summary>Takes the task out of the queue or frees its slot, if <paramref name="entity"/> is the one holding it.</summary>
    private void Release(string id, IActorRef entity)
    {
        if (_queuedById.TryGetValue(id, out var node) && node.Value.Entity.Equals(entity))
        {
            _queuedById.Remove(id);
            _queue.Remove(node);
        }
        if (_running.TryGetValue(id, out var slot) && slot.Entity.Equals(entity))
        {
            _running.Remove(id);
            if (--_runningPerRecipe[slot.RecipeKey] == 0) _runningPerRecipe.Remove(slot.RecipeKey);
        }
        TryStartNext();
    }

    /// <summary>FIFO, except that a task whose recipe is at its own cap lets later tasks of other recipes pass.</summary>
    private void TryStartNext()
    {
        for (var node = _queue.First; node is not null && _running.Count < _maxConcurrent;)
        {
            var next = node.Next;
            var slot = node.Value;
            var running = _runningPerRecipe.GetValueOrDefault(slot.RecipeKey);
            if (slot.RecipeCap is not { } cap || running < cap)
            {
                _queue.Remove(node);
                _queuedById.Remove(slot.TaskId);
                _running[slot.TaskId] = slot;
                _runningPerRecipe[slot.RecipeKey] = running + 1;
                slot.Entity.Tell(new StartTask(slot.TaskId));
            }
            node = next;
        }
        if (_queue.Count > 0 && _running.Count < _maxConcurrent)
            _log.Debug("{0} tasks wait for their recipe's own limit", _queue.Count);
    }
}
