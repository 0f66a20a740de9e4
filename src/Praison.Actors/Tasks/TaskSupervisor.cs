using Akka.Actor;
using Akka.Event;
using Praison.Actors.Messages;

namespace Praison.Actors.Tasks;

/// <summary>
/// Admission and concurrency for one node: spawns a TaskActor per submission, keeps a FIFO of stored tasks
/// waiting for a slot, starts them while fewer than MaxConcurrent run (and within each recipe's own cap),
/// frees a slot when a task reports a terminal status, and keeps a small index for listing.
/// </summary>
internal sealed class TaskSupervisor : UntypedActor
{
    private const string ChildPrefix = "task-";

    private readonly int _maxConcurrent;
    private readonly int _maxQueued;
    private readonly TaskActorSettings _taskSettings;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    private readonly Dictionary<string, TaskStatusInfo> _index = new();
    private readonly LinkedList<Queued> _queue = new();
    private readonly Dictionary<string, LinkedListNode<Queued>> _queuedById = new();
    private readonly Dictionary<string, string> _running = new();          // task id → recipe key
    private readonly Dictionary<string, int> _runningPerRecipe = new();
    private readonly HashSet<string> _creating = new();                   // spawned, Submitted not yet stored
    private readonly HashSet<string> _removed = new();                    // events deleted, actor not yet stopped

    private sealed record Queued(string TaskId, IActorRef Task, string RecipeKey, int? RecipeCap);

    public TaskSupervisor(int maxConcurrent, int maxQueued, TaskActorSettings taskSettings)
    {
        _maxConcurrent = maxConcurrent;
        _maxQueued = maxQueued;
        _taskSettings = taskSettings;
    }

    public static Props Props(int maxConcurrent, int maxQueued, TaskActorSettings taskSettings) =>
        Akka.Actor.Props.Create(typeof(TaskSupervisor), maxConcurrent, maxQueued, taskSettings);

    /// <summary>
    /// A TaskActor that throws is stopped, never restarted: its truth is in the journal, and a restart would
    /// replay it while the old run's work might still be going. Terminated then frees its slot.
    /// </summary>
    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(ex =>
        {
            _log.Error(ex, "A task actor failed and is stopped");
            return Directive.Stop;
        });

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case SubmitTask s:
                OnSubmit(s);
                break;
            case SubscribeTask s:
                Route(s, s.Subscriber);
                break;
            case ITaskCommand c:
                Route(c, Sender);
                break;
            case TaskEnqueued e:
                OnEnqueued(e);
                break;
            case TaskStatusChanged e:
                OnStatusChanged(e.Task);
                break;
            case TaskRemoved r:
                _index.Remove(r.TaskId);
                _removed.Add(r.TaskId);
                Sender.Tell(PoisonPill.Instance); // after whatever is already in its mailbox
                break;
            case Terminated t:
                OnTaskStopped(t.ActorRef.Path.Name[ChildPrefix.Length..]);
                break;
            case ListTasks l:
                Sender.Tell(new TaskList(_index.Values.Where(l.Query.Matches)
                    .OrderBy(t => t.SubmittedAt).ThenBy(t => t.TaskId, StringComparer.Ordinal).ToList()));
                break;
            case ClearTasks c:
                OnClear(c);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void OnSubmit(SubmitTask s)
    {
        var id = s.Spec.TaskId;
        if (_queue.Count + _creating.Count >= _maxQueued)
        {
            Sender.Tell(new TaskRejected(id,
                $"The task queue is full: {_queue.Count + _creating.Count} tasks are waiting and MaxQueued is {_maxQueued}. Nothing was stored; try again later."));
            return;
        }
        if (_index.ContainsKey(id) || _creating.Contains(id) || !Context.Child(ChildPrefix + id).IsNobody())
        {
            Sender.Tell(new TaskRejected(id, $"A task with id '{id}' already exists."));
            return;
        }
        var task = Context.ActorOf(TaskActor.Props(id, _taskSettings), ChildPrefix + id);
        Context.Watch(task);
        _creating.Add(id);
        task.Forward(s.Work is null ? new CreateTask(s.Spec) : new CreateLocalTask(s.Spec, s.Work));
    }

    private void Route(ITaskCommand command, IActorRef replyTo)
    {
        var task = Context.Child(ChildPrefix + command.TaskId);
        if (task.IsNobody() || _removed.Contains(command.TaskId)) replyTo.Tell(new TaskNotFound(command.TaskId));
        else task.Forward(command);
    }

    private void OnEnqueued(TaskEnqueued e)
    {
        var id = e.Task.TaskId;
        _creating.Remove(id);
        _index[id] = e.Task;
        if (_queuedById.ContainsKey(id) || _running.ContainsKey(id)) return;
        _queuedById[id] = _queue.AddLast(new Queued(id, Sender, e.Task.RecipeName ?? "", e.RecipeMaxConcurrent));
        TryStartNext();
    }

    private void OnStatusChanged(TaskStatusInfo task)
    {
        if (_index.ContainsKey(task.TaskId)) _index[task.TaskId] = task;
        if (task.IsTerminal) Release(task.TaskId);
    }

    private void OnTaskStopped(string id)
    {
        _creating.Remove(id);
        _removed.Remove(id);
        if (_index.TryGetValue(id, out var info) && !info.IsTerminal)
            _log.Warning("Task {0} stopped while {1}; it is no longer tracked", id, info.Status.ToWireName());
        _index.Remove(id);
        Release(id);
    }

    /// <summary>Takes a task out of the queue or frees its slot, then fills free slots.</summary>
    private void Release(string id)
    {
        if (_queuedById.Remove(id, out var node)) _queue.Remove(node);
        if (_running.Remove(id, out var recipe) && --_runningPerRecipe[recipe] == 0) _runningPerRecipe.Remove(recipe);
        TryStartNext();
    }

    /// <summary>FIFO, except that a task whose recipe is at its own cap lets later tasks of other recipes pass.</summary>
    private void TryStartNext()
    {
        for (var node = _queue.First; node is not null && _running.Count < _maxConcurrent;)
        {
            var next = node.Next;
            var q = node.Value;
            var running = _runningPerRecipe.GetValueOrDefault(q.RecipeKey);
            if (q.RecipeCap is not { } cap || running < cap)
            {
                _queue.Remove(node);
                _queuedById.Remove(q.TaskId);
                _running[q.TaskId] = q.RecipeKey;
                _runningPerRecipe[q.RecipeKey] = running + 1;
                q.Task.Tell(new StartTask(q.TaskId));
            }
            node = next;
        }
    }

    private void OnClear(ClearTasks c)
    {
        var removed = 0;
        foreach (var info in _index.Values)
        {
            if (!info.IsTerminal && !c.IncludeActive) continue;
            var task = Context.Child(ChildPrefix + info.TaskId);
            if (task.IsNobody()) continue;
            task.Tell(new RemoveTask(info.TaskId, c.IncludeActive));
            removed++;
        }
        Sender.Tell(new ClearReply(removed));
    }
}
