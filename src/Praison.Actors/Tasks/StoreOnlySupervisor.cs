using Akka.Actor;
using Akka.Event;
using Praison.Actors.Messages;
using Praison.Actors.Persistence;

namespace Praison.Actors.Tasks;

/// <summary>
/// The supervisor of a process that stores and inspects tasks but never runs them (e.g. a CLI submitting or
/// cancelling next to a running host). Each command goes to the task's own <see cref="TaskEntity"/>, replayed from the journal
/// on demand and stopped again when idle; nothing here queues, runs or cleans up tasks.
/// </summary>
internal sealed class StoreOnlySupervisor : UntypedActor
{
    private const string ChildPrefix = "task-";

    private readonly TaskActorSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    private readonly Dictionary<string, TaskStatusInfo> _index = new();  // tasks stored through this process
    private readonly HashSet<string> _creating = new();                   // spawned, Submitted not yet stored
    private readonly HashSet<string> _removed = new();                    // events deleted, actor not yet stopped
    private readonly Dictionary<string, List<(object Message, IActorRef Sender)>> _passivating = new();
    private readonly StoreHealthTracker _health = new();

    public StoreOnlySupervisor(SupervisorSettings settings)
    {
        TaskMailbox.EnsureDefined(Context.System);
        _settings = settings.Tasks with { Journal = Context.ActorOf(TaskJournal.Props(settings.Tasks.JournalPluginId, settings.PurgeDeleted, settings.StoresEvents, settings.WriteRows), "journal") };
    }

    public static Props Props(SupervisorSettings settings) => Akka.Actor.Props.Create(typeof(StoreOnlySupervisor), settings);

    /// <summary>A task entity that throws is stopped, never restarted: its truth is in the journal.</summary>
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
            case ITaskCommand c:
                Route(c);
                break;
            case TaskEnqueued e:
                _creating.Remove(e.Task.TaskId);
                _index[e.Task.TaskId] = e.Task;
                break;
            case TaskStatusChanged e:
                if (_index.ContainsKey(e.Task.TaskId)) _index[e.Task.TaskId] = e.Task;
                break;
            case PassivateTask p:
                if (!_passivating.ContainsKey(p.TaskId) && !_removed.Contains(p.TaskId))
                {
                    _passivating[p.TaskId] = new List<(object, IActorRef)>();
                    Sender.Tell(PoisonPill.Instance); // messages already in its mailbox are still handled
                }
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
                var removed = 0;
                foreach (var info in _index.Values.Where(i => i.IsTerminal || c.IncludeActive).ToList())
                {
                    Route(new RemoveTask(info.TaskId, c.IncludeActive));
                    removed++;
                }
                Sender.Tell(new ClearReply(removed));
                break;
            case TaskStoreState s:
                if (s.Error is null) _health.Succeeded(s.TaskId);
                else _health.Failed(s.TaskId, s.Error, s.Retried, DateTimeOffset.UtcNow);
                break;
            case GetStoreHealth:
                Sender.Tell(_health.Snapshot());
                break;
            case TaskDeleted or TaskRejected:
                break; // answers to the RemoveTask messages of ClearTasks: nothing more to do
            default:
                Unhandled(message);
                break;
        }
    }

    private void OnSubmit(SubmitTask s)
    {
        var id = s.Spec.TaskId;
        if (_index.ContainsKey(id) || _creating.Contains(id) || !Context.Child(ChildPrefix + id).IsNobody())
        {
            Route(new CreateTask(s.Spec)); // the task's entity answers with the task this id already names
            return;
        }
        _creating.Add(id);
        Spawn(id).Forward(s.Work is null ? new CreateTask(s.Spec) : new CreateLocalTask(s.Spec, s.Work));
    }

    private IActorRef Spawn(string id)
    {
        var task = Context.ActorOf(TaskEntity.Props(id, _settings), ChildPrefix + id);
        Context.Watch(task);
        return task;
    }

    /// <summary>Delivers a command to its task: to the live actor; buffered while it stops; to a freshly replayed one otherwise.</summary>
    private void Route(ITaskCommand command)
    {
        var id = command.TaskId;
        if (_removed.Contains(id))
        {
            (command is SubscribeTask s ? s.Subscriber : Sender).Tell(new TaskNotFound(id));
            return;
        }
        if (_passivating.TryGetValue(id, out var buffer))
        {
            buffer.Add((command, Sender));
            return;
        }
        var task = Context.Child(ChildPrefix + id);
        if (task.IsNobody()) task = Spawn(id);
        task.Forward(command);
    }

    private void OnTaskStopped(string id)
    {
        _creating.Remove(id);
        _health.Forget(id);
        if (_removed.Remove(id)) return;
        // Messages that arrived while it stopped wake it again.
        if (_passivating.Remove(id, out var buffered) && buffered.Count > 0)
        {
            var task = Spawn(id);
            foreach (var (message, sender) in buffered) task.Tell(message, sender);
        }
    }
}
