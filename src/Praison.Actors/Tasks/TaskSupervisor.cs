using Akka.Actor;
using Akka.Event;
using Praison.Actors.Messages;
using Praison.Actors.Persistence;

namespace Praison.Actors.Tasks;

/// <summary>
/// Admission and concurrency for one node. It spawns a TaskActor per submission, keeps a FIFO of stored
/// tasks waiting for a slot, starts them while fewer than MaxConcurrent run (and within each recipe's own
/// cap), frees a slot when a task reports a terminal status, and keeps the index behind listing.
/// Task actors live only while they have something to do: finished ones passivate and are woken on demand
/// (like sharded entities), recovered pending ones are spawned when their slot comes, and the cleanup of a
/// passivated task is driven from here. After a restart it rebuilds all this from <see cref="StoredTask"/>s.
/// </summary>
internal sealed class TaskSupervisor : UntypedActor, IWithTimers
{
    private const string ChildPrefix = "task-";
    private const string CleanupTimer = "cleanup";
    private const string PurgeTimer = "purge";
    private const int WakeForCleanupPerTick = 256;
    private static readonly TimeSpan PurgeDebounce = TimeSpan.FromSeconds(1);

    private readonly SupervisorSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    private readonly Dictionary<string, TaskStatusInfo> _index = new();
    private readonly SlotQueue<object?> _slots;
    private readonly HashSet<string> _creating = new();                   // spawned, Submitted not yet stored
    private readonly HashSet<string> _removed = new();                    // events deleted, actor not yet stopped
    private readonly Dictionary<string, List<(object Message, IActorRef Sender)>> _passivating = new();
    private readonly PriorityQueue<string, DateTimeOffset> _cleanups = new();  // passivated finished tasks
    private bool _purging;

    public TaskSupervisor(SupervisorSettings settings)
    {
        _settings = settings;
        _slots = new SlotQueue<object?>(settings.MaxConcurrent);
    }

    public static Props Props(SupervisorSettings settings) => Akka.Actor.Props.Create(typeof(TaskSupervisor), settings);

    public ITimerScheduler Timers { get; set; } = null!;

    private TaskActorSettings TaskSettings => _settings.Tasks;

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

    protected override void PreStart()
    {
        if (_settings.Executes && _settings.Recovered is { Count: > 0 } recovered) Recover(recovered);
    }

    /// <summary>
    /// Rebuilds the index from the store. Pending tasks queue in their original order behind the ones that
    /// were running (those re-run first, or fail as interrupted); finished ones stay asleep until asked for
    /// or until their cleanup is due. Only tasks that were running get an actor now.
    /// </summary>
    private void Recover(IReadOnlyList<StoredTask> recovered)
    {
        var wasRunning = new List<StoredTask>();
        foreach (var task in recovered)
        {
            var info = task.Info;
            _index[info.TaskId] = info;
            if (info.IsTerminal)
            {
                if (task.State?.CleanupAt is { } at) _cleanups.Enqueue(info.TaskId, at);
            }
            else if (info.Status == BackgroundTaskStatus.Running) wasRunning.Add(task);
            else if (info.Kind == TaskKind.Delegate) Spawn(info.TaskId); // its code is gone: it fails itself
        }
        foreach (var task in wasRunning)
        {
            Spawn(task.Info.TaskId); // reconciles itself: re-queued (recipes with on_restart: rerun) or failed
            if (task.State?.Spec is { Kind: TaskKind.Recipe, RerunOnRestart: true } spec)
                Enqueue(task.Info.TaskId, spec.RecipeName, spec.RecipeMaxConcurrent);
        }
        foreach (var task in recovered)
            if (task.Info.Status == BackgroundTaskStatus.Pending && task.State?.Spec is { Kind: TaskKind.Recipe } spec)
                Enqueue(task.Info.TaskId, spec.RecipeName, spec.RecipeMaxConcurrent);
        _log.Info("Recovered {0} tasks: {1} queued, {2} were running", recovered.Count, _slots.QueuedCount, wasRunning.Count);
        TryStartNext();
        ScheduleCleanupTick();
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case SubmitTask s:
                OnSubmit(s);
                break;
            case ITaskCommand c:
                Route(c);
                break;
            case TaskEnqueued e:
                OnEnqueued(e);
                break;
            case TaskStatusChanged e:
                OnStatusChanged(e.Task);
                break;
            case PassivateTask p:
                OnPassivate(p, Sender);
                break;
            case TaskRemoved r:
                _index.Remove(r.TaskId);
                _removed.Add(r.TaskId);
                Sender.Tell(PoisonPill.Instance); // after whatever is already in its mailbox
                SchedulePurge();
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
            case CleanupTick:
                OnCleanupTick();
                break;
            case TaskDeleted or TaskRejected:
                break; // answers to the RemoveTask messages of ClearTasks: nothing more to do
            case PurgeTick:
                StartPurge();
                break;
            case PurgeDone d:
                _purging = false;
                if (d.Error is not null)
                {
                    _log.Warning(d.Error, "Purging deleted task rows failed; retrying");
                    SchedulePurge();
                }
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void OnSubmit(SubmitTask s)
    {
        var id = s.Spec.TaskId;
        var waiting = _slots.QueuedCount + _creating.Count;
        if (waiting >= _settings.MaxQueued)
        {
            Sender.Tell(new TaskRejected(id,
                $"The task queue is full: {waiting} tasks are waiting and MaxQueued is {_settings.MaxQueued}. Nothing was stored; try again later."));
            return;
        }
        if (_index.ContainsKey(id) || _creating.Contains(id) || !Context.Child(ChildPrefix + id).IsNobody())
        {
            Sender.Tell(new TaskRejected(id, $"A task with id '{id}' already exists."));
            return;
        }
        _creating.Add(id);
        Spawn(id).Forward(s.Work is null ? new CreateTask(s.Spec) : new CreateLocalTask(s.Spec, s.Work));
    }

    private IActorRef Spawn(string id)
    {
        var task = Context.ActorOf(TaskActor.Props(id, TaskSettings), ChildPrefix + id);
        Context.Watch(task);
        return task;
    }

    /// <summary>
    /// Delivers a command to its task: to the live actor; buffered while it passivates; to a freshly woken one
    /// when it sleeps (a host knows every id from its index; a non-executing process asks the journal).
    /// </summary>
    private void Route(ITaskCommand command)
    {
        var id = command.TaskId;
        var replyTo = command is SubscribeTask s ? s.Subscriber : Sender;
        if (_removed.Contains(id))
        {
            replyTo.Tell(new TaskNotFound(id));
            return;
        }
        if (_passivating.TryGetValue(id, out var buffer))
        {
            buffer.Add((command, Sender));
            return;
        }
        var task = Context.Child(ChildPrefix + id);
        if (task.IsNobody())
        {
            if (_settings.Executes && !_index.ContainsKey(id))
            {
                replyTo.Tell(new TaskNotFound(id));
                return;
            }
            task = Spawn(id);
        }
        task.Forward(command);
    }

    private void OnEnqueued(TaskEnqueued e)
    {
        var id = e.Task.TaskId;
        _creating.Remove(id);
        _index[id] = e.Task;
        if (_settings.Executes && Enqueue(id, e.Task.RecipeName, e.RecipeMaxConcurrent)) TryStartNext();
    }

    private bool Enqueue(string id, string? recipe, int? cap) => _slots.Enqueue(id, recipe, cap, null);

    private void OnStatusChanged(TaskStatusInfo task)
    {
        if (_index.ContainsKey(task.TaskId)) _index[task.TaskId] = task;
        if (task.IsTerminal) Release(task.TaskId);
    }

    private void OnPassivate(PassivateTask p, IActorRef task)
    {
        if (_passivating.ContainsKey(p.TaskId) || _removed.Contains(p.TaskId)) return;
        _passivating[p.TaskId] = new List<(object, IActorRef)>();
        task.Tell(PoisonPill.Instance); // messages already in its mailbox are still handled
        if (p.CleanupAt is { } at && _index.ContainsKey(p.TaskId))
        {
            _cleanups.Enqueue(p.TaskId, at);
            ScheduleCleanupTick();
        }
    }

    private void OnTaskStopped(string id)
    {
        _creating.Remove(id);
        if (_removed.Remove(id)) return;
        if (_passivating.Remove(id, out var buffered))
        {
            // Messages that arrived while it stopped wake it again.
            if (buffered.Count > 0)
            {
                var task = Spawn(id);
                foreach (var (message, sender) in buffered) task.Tell(message, sender);
            }
            return;
        }
        if (_index.TryGetValue(id, out var info) && !info.IsTerminal)
        {
            _log.Warning("Task {0} stopped unexpectedly while {1}; it is no longer tracked", id, info.Status.ToWireName());
            _index.Remove(id);
        }
        Release(id);
    }

    /// <summary>Takes a task out of the queue or frees its slot, then fills free slots.</summary>
    private void Release(string id)
    {
        _slots.Remove(id);
        TryStartNext();
    }

    private void TryStartNext()
    {
        if (!_settings.Executes) return;
        foreach (var (id, _) in _slots.StartNext())
            Route(new StartTask(id)); // wakes a recovered pending task's actor if needed
    }

    private void OnClear(ClearTasks c)
    {
        var removed = 0;
        foreach (var info in _index.Values.ToList())
        {
            if (!info.IsTerminal && !c.IncludeActive) continue;
            Route(new RemoveTask(info.TaskId, c.IncludeActive));
            removed++;
        }
        Sender.Tell(new ClearReply(removed));
    }

    /// <summary>Wakes passivated finished tasks whose cleanup is due; each deletes its own events.</summary>
    private void OnCleanupTick()
    {
        var now = DateTimeOffset.UtcNow;
        for (var woken = 0; woken < WakeForCleanupPerTick && _cleanups.TryPeek(out var id, out var at) && at <= now; woken++)
        {
            _cleanups.Dequeue();
            if (_index.ContainsKey(id) && Context.Child(ChildPrefix + id).IsNobody() && !_passivating.ContainsKey(id))
                Spawn(id); // recovers terminal, finds its cleanup due, deletes its events
        }
        ScheduleCleanupTick();
    }

    private void ScheduleCleanupTick()
    {
        if (!_cleanups.TryPeek(out _, out var at)) return;
        var due = at - DateTimeOffset.UtcNow;
        Timers.StartSingleTimer(CleanupTimer, CleanupTick.Instance, due > TimeSpan.Zero ? due : TimeSpan.FromMilliseconds(10));
    }

    /// <summary>Removing tombstone rows is batched: one statement a second at most, whatever the number of tasks.</summary>
    private void SchedulePurge()
    {
        if (_settings.PurgeDeleted is not null && !Timers.IsTimerActive(PurgeTimer))
            Timers.StartSingleTimer(PurgeTimer, PurgeTick.Instance, PurgeDebounce);
    }

    private void StartPurge()
    {
        if (_purging)
        {
            SchedulePurge();
            return;
        }
        _purging = true;
        _settings.PurgeDeleted!(CancellationToken.None)
            .ContinueWith(t => new PurgeDone(t.IsCompletedSuccessfully ? t.Result : 0, t.Exception?.GetBaseException()),
                TaskContinuationOptions.ExecuteSynchronously)
            .PipeTo(Self);
    }
}
