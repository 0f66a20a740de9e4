using Akka.Actor;
using Akka.Event;
using Praison.Actors.Lifecycle;
using Praison.Actors.Messages;
using Praison.Actors.Persistence;

namespace Praison.Actors.Tasks;

/// <summary>
/// A host's tasks: admission, concurrency, and every task that is not running. Pending and finished tasks are
/// plain records here (a <see cref="TaskState"/> and its sequence number, no actor), written through the
/// node's <see cref="TaskJournal"/>; when a slot frees, the next pending task is handed over to a new TaskRunner,
/// which runs it and hands the finished state back. So a host holds at most MaxConcurrent task actors, a
/// pending task costs a few hundred bytes, and a finished one answers status and wait without waking anything.
/// After a restart it rebuilds all this from <see cref="StoredTask"/>s.
/// </summary>
internal sealed class TaskSupervisor : UntypedActor, IWithTimers
{
    private const string ChildPrefix = "task-";
    private const string CleanupTimer = "cleanup";
    private static readonly TimeSpan DeleteRetry = TimeSpan.FromSeconds(30);

    private readonly SupervisorSettings _settings;
    private readonly TaskActorSettings _taskSettings;
    private readonly IActorRef _journal;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    private readonly Dictionary<string, TaskRecord> _tasks = new();
    private readonly SlotQueue<TaskRecord> _slots;
    private readonly PriorityQueue<string, DateTimeOffset> _cleanups = new();
    private readonly StoreHealthTracker _health = new();
    private int _submitting;                                              // Submitted being stored

    public TaskSupervisor(SupervisorSettings settings)
    {
        _settings = settings;
        _slots = new SlotQueue<TaskRecord>(settings.MaxConcurrent);
        // A journal given in the settings (a test's probe) replaces the node's own.
        _journal = settings.Tasks.Journal
            ?? Context.ActorOf(TaskJournal.Props(settings.Tasks.JournalPluginId, settings.PurgeDeleted, settings.StoresEvents, settings.WriteRows), "journal");
        _taskSettings = settings.Tasks with { Journal = _journal, Supervisor = Self };
    }

    public static Props Props(SupervisorSettings settings) => Akka.Actor.Props.Create(typeof(TaskSupervisor), settings);

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>
    /// A TaskRunner that throws is stopped, never restarted: its truth is in the journal, and a restart would
    /// run its work a second time. Terminated then frees its slot.
    /// </summary>
    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(ex =>
        {
            _log.Error(ex, "A task actor failed and is stopped");
            return Directive.Stop;
        });

    protected override void PreStart()
    {
        if (_settings.Recovered is { Count: > 0 } recovered) Recover(recovered);
    }

    /// <summary>
    /// Rebuilds the records from the store. Tasks that were running are decided first (re-queued ahead of the
    /// pending ones, or failed as interrupted), pending ones queue in their original order, finished ones wait
    /// for their cleanup. Nothing gets an actor until its slot comes.
    /// </summary>
    private void Recover(IReadOnlyList<StoredTask> recovered)
    {
        var running = 0;
        foreach (var task in recovered)
        {
            if (task.State is not { } state) continue;
            var record = new TaskRecord(state, task.SequenceNr);
            _tasks[state.TaskId] = record;
            if (state.IsTerminal) ScheduleCleanup(record);
            else if (state.Status == BackgroundTaskStatus.Running)
            {
                running++;
                Recover(record);
            }
        }
        foreach (var record in _tasks.Values)
            if (record.State is { Status: BackgroundTaskStatus.Pending, Spec.Kind: TaskKind.Delegate }) Recover(record);
            else if (record.State.Status == BackgroundTaskStatus.Pending) Enqueue(record);
        _log.Info("Recovered {0} tasks: {1} queued, {2} were running", recovered.Count, _slots.QueuedCount, running);
        TryStartNext();
    }

    /// <summary>Running recipes with on_restart: rerun queue again (first in line); other running tasks and pending delegates fail.</summary>
    private void Recover(TaskRecord record)
    {
        if (Decide(record, new TaskIntent.Recover()) is TaskDecision.Persist { Event: TaskRequeued }) Enqueue(record);
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case SubmitTask s:
                OnSubmit(s);
                break;
            case ITaskCommand c:
                Route(c, Sender);
                break;
            case TaskEventWritten w:
                OnWritten(w);
                break;
            case RetryWrite r:
                if (_tasks.TryGetValue(r.TaskId, out var retried)) retried.Writes.Retry(_journal, Self);
                break;
            case TaskStateReport r:
                OnReport(r, Sender);
                break;
            case TaskStoreState s:
                OnStoreState(s);
                break;
            case TaskEventsDeleted d:
                OnDeleted(d);
                break;
            case Terminated t:
                OnTaskStopped(t.ActorRef);
                break;
            case ListTasks l:
                Sender.Tell(new TaskList(_tasks.Values.Where(r => r.State.Exists).Select(r => r.Info).Where(l.Query.Matches)
                    .OrderBy(t => t.SubmittedAt).ThenBy(t => t.TaskId, StringComparer.Ordinal).ToList()));
                break;
            case ClearTasks c:
                OnClear(c);
                break;
            case CleanupTick:
                OnCleanupTick();
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
        var waiting = _slots.QueuedCount + _submitting;
        if (waiting >= _settings.MaxQueued)
        {
            Sender.Tell(new TaskRejected(id,
                $"The task queue is full: {waiting} tasks are waiting and MaxQueued is {_settings.MaxQueued}. Nothing was stored; try again later."));
            return;
        }
        if (_tasks.ContainsKey(id))
        {
            Sender.Tell(new TaskRejected(id, $"A task with id '{id}' already exists."));
            return;
        }
        var record = new TaskRecord(TaskState.Empty(id), 0) { Work = s.Work, Requester = Sender };
        _tasks[id] = record;
        _submitting++;
        Decide(record, new TaskIntent.Submit(s.Spec));
    }

    /// <summary>
    /// Delivers a command: to the task's runner while it runs; otherwise it is answered here from the record.
    /// Queries are answered from the stored state even while a write is in flight (or retried); commands that change
    /// the task wait for the write (in order), as does everything while the task is being submitted or deleted.
    /// </summary>
    private void Route(ITaskCommand command, IActorRef sender)
    {
        var id = command.TaskId;
        var replyTo = command is SubscribeTask s ? s.Subscriber : sender;
        if (!_tasks.TryGetValue(id, out var record))
        {
            replyTo.Tell(new TaskNotFound(id));
            return;
        }
        if (record.Deleting || (record.Writes.Busy && (!record.State.Exists || command is CancelTask or RemoveTask or StartTask)))
        {
            (record.Waiting ??= new List<(ITaskCommand, IActorRef)>()).Add((command, sender));
            return;
        }
        if (record.Actor is { } actor)
        {
            actor.Tell(command, sender);
            return;
        }
        var state = record.State;
        switch (command)
        {
            case GetTaskStatus:
                replyTo.Tell(new TaskStatusReply(record.Info));
                break;
            case WaitForTask:
                if (state.IsTerminal) replyTo.Tell(record.Outcome);
                else (record.Waiters ??= new List<IActorRef>()).Add(replyTo);
                break;
            case SubscribeTask sub:
                sub.Subscriber.Tell(new TaskUpdateNotice(new TaskUpdate(record.Info, ++record.UpdateSeq)));
                if (!state.IsTerminal) (record.Subscribers ??= new HashSet<IActorRef>()).Add(sub.Subscriber);
                break;
            case UnsubscribeTask u:
                record.Subscribers?.Remove(u.Subscriber);
                break;
            case StartTask:
                Start(record);
                break;
            case CancelTask c:
                switch (Decide(record, new TaskIntent.Cancel(c.Reason)))
                {
                    case TaskDecision.Persist:
                        record.Requester = replyTo;
                        break;
                    case TaskDecision.Reject j:
                        replyTo.Tell(new TaskRejected(id, j.Reason));
                        break;
                    default:
                        replyTo.Tell(new CancelReply(id, false, state.Status));
                        break;
                }
                break;
            case RemoveTask r:
                switch (Decide(record, new TaskIntent.Remove(r.CancelIfActive)))
                {
                    case TaskDecision.Delete:
                        (record.RemoveRequesters ??= new List<IActorRef>()).Add(replyTo);
                        Delete(record);
                        break;
                    case TaskDecision.Persist: // deleted once the cancellation is stored
                        (record.RemoveRequesters ??= new List<IActorRef>()).Add(replyTo);
                        break;
                    case TaskDecision.Reject j:
                        replyTo.Tell(new TaskRejected(id, j.Reason));
                        break;
                    case TaskDecision.Refuse f:
                        replyTo.Tell(new TaskRejected(id, f.Reason));
                        break;
                }
                break;
            case CreateTask or CreateLocalTask:
                replyTo.Tell(new TaskRejected(id, $"A task with id '{id}' already exists."));
                break;
            default:
                Unhandled(command);
                break;
        }
    }

    /// <summary>Runs the pure decision for a record without an actor and, for an accepted one, writes its event.</summary>
    private TaskDecision Decide(TaskRecord record, TaskIntent intent)
    {
        var decision = TaskLifecycle.Decide(record.State, intent, DateTimeOffset.UtcNow, _settings.Executes);
        if (decision is TaskDecision.Persist p) record.Writes.Write(_journal, p.Event, Self);
        return decision;
    }

    private void OnWritten(TaskEventWritten w)
    {
        if (!_tasks.TryGetValue(w.TaskId, out var record)) return;
        switch (record.Writes.OnWritten(w, Timers))
        {
            case WriteResult.Stale:
                return;
            case WriteResult.Refused:
                OnSubmitFailed(record, w);
                return;
            case WriteResult.Retrying:
                // The task keeps its last stored status (and shows the error); no task starts until the store works again.
                _log.Warning(w.Error, "Task {0}: storing {1} failed; retrying", w.TaskId, w.Event.GetType().Name);
                _health.Failed(w.TaskId, w.Error!.Message, retried: true, DateTimeOffset.UtcNow);
                return;
        }
        _health.Succeeded(w.TaskId);
        var before = record.State;
        record.State = before.Apply(w.Event);
        if (w.Event is TaskSubmitted) _submitting--;
        Apply(record, TaskEffects.Of(before, record.State, w.Event, record.RemoveRequesters is not null));
        TryStartNext();
        Drain(record);
    }

    /// <summary>A submission that could not be stored is refused: nothing exists, and what waited for it finds nothing.</summary>
    private void OnSubmitFailed(TaskRecord record, TaskEventWritten w)
    {
        _log.Error(w.Error, "Task {0}: storing its submission failed", w.TaskId);
        _health.Failed(w.TaskId, w.Error!.Message, retried: false, DateTimeOffset.UtcNow);
        _submitting--;
        _tasks.Remove(w.TaskId);
        record.Requester?.Tell(new TaskRejected(w.TaskId, $"The task could not be stored: {w.Error.Message}"));
        foreach (var (command, sender) in record.Waiting ?? [])
            (command is SubscribeTask s ? s.Subscriber : sender).Tell(new TaskNotFound(w.TaskId));
    }

    /// <summary>Carries out the effects of an event stored here (never Started: a runner stores that).</summary>
    private void Apply(TaskRecord record, TaskEffects effects)
    {
        switch (effects.Reply)
        {
            case TaskReplyEffect.Accepted:
                record.Requester?.Tell(new TaskAccepted(record.Info));
                break;
            case TaskReplyEffect.Cancelled:
                record.Requester?.Tell(new CancelReply(record.State.TaskId, true, record.State.Status));
                break;
        }
        record.Requester = null;
        if (effects.Enqueue) Enqueue(record);
        if (effects.AnswerWaiters)
        {
            record.Work = null;
            if (record.Waiters is { } waiters)
                foreach (var w in waiters) w.Tell(record.Outcome);
            record.Waiters = null;
        }
        if (effects.Publish) Publish(record);
        if (effects.AnswerWaiters) record.Subscribers = null;
        Finish(record, effects);
    }

    /// <summary>The slot, cleanup and deletion effects of a finished task, whether it finished here or in its runner.</summary>
    private void Finish(TaskRecord record, TaskEffects effects)
    {
        if (effects.DeleteNow) Delete(record);
        else if (effects.CleanupAt is not null) ScheduleCleanup(record);
        if (effects.FreeSlot) _slots.Remove(record.State.TaskId);
    }

    /// <summary>Commands that arrived during a write, in their order; a command may start another write.</summary>
    private void Drain(TaskRecord record)
    {
        while (!record.Busy && record.Waiting is { Count: > 0 } waiting)
        {
            var (command, sender) = waiting[0];
            waiting.RemoveAt(0);
            Route(command, sender);
        }
        if (record.Waiting is { Count: 0 }) record.Waiting = null;
    }

    private void Enqueue(TaskRecord record)
    {
        var spec = record.State.Spec!;
        _slots.Enqueue(record.State.TaskId, spec.RecipeName, spec.RecipeMaxConcurrent, record);
    }

    /// <summary>Gives free slots to the next pending tasks, unless a write is being retried: then the store is failing.</summary>
    private void TryStartNext()
    {
        if (_health.AnyRetrying) return;
        foreach (var (_, record) in _slots.StartNext())
        {
            if (record.Busy) (record.Waiting ??= new List<(ITaskCommand, IActorRef)>()).Add((new StartTask(record.State.TaskId), Self));
            else Start(record);
        }
    }

    /// <summary>Hands a pending task to a new TaskRunner, with whoever waits for or watches it.</summary>
    private void Start(TaskRecord record)
    {
        var state = record.State;
        if (state.IsTerminal || record.Actor is not null) return; // cancelled while queued: its slot is already free
        var handover = new TaskHandover(state, record.Writes.SequenceNr, record.Work,
            (IReadOnlyList<IActorRef>?)record.Waiters ?? Array.Empty<IActorRef>(),
            (IReadOnlyCollection<IActorRef>?)record.Subscribers ?? Array.Empty<IActorRef>(), record.UpdateSeq);
        record.Work = null;
        record.Waiters = null;
        record.Subscribers = null;
        record.Actor = Context.ActorOf(TaskRunner.Props(_taskSettings, handover), ChildPrefix + state.TaskId);
        Context.Watch(record.Actor);
    }

    /// <summary>The running task's runner reports: Running, then its terminal state, which this record keeps.</summary>
    private void OnReport(TaskStateReport report, IActorRef actor)
    {
        if (!_tasks.TryGetValue(report.State.TaskId, out var record) || !actor.Equals(record.Actor)) return;
        record.State = report.State;
        record.Writes = new TaskWrites(report.State.TaskId, report.SequenceNr);
        if (!report.State.IsTerminal) return;
        record.Progress = report.Progress;
        record.Actor = null;
        Context.Unwatch(actor);
        actor.Tell(PoisonPill.Instance); // commands already sent to it are answered first, from the same state
        if (_health.Forget(report.State.TaskId)) _log.Info("Task {0}: its write is stored after all", report.State.TaskId);
        if (report.RemoveRequesters is { } requesters) (record.RemoveRequesters ??= new List<IActorRef>()).AddRange(requesters);
        Finish(record, report.Effects ?? FreedOnly);
        TryStartNext();
    }

    private static readonly TaskEffects FreedOnly =
        new(TaskReplyEffect.None, false, false, false, FreeSlot: true, false, false, null, false);

    /// <summary>A runner's write failed and is retried, or is stored again: the store's health, and whether slots are given.</summary>
    private void OnStoreState(TaskStoreState s)
    {
        if (s.Error is not null)
        {
            _health.Failed(s.TaskId, s.Error, s.Retried, DateTimeOffset.UtcNow);
            return;
        }
        _health.Succeeded(s.TaskId);
        TryStartNext();
    }

    private void Publish(TaskRecord record)
    {
        if (record.Subscribers is not { Count: > 0 } subscribers) return;
        var notice = new TaskUpdateNotice(new TaskUpdate(record.Info, ++record.UpdateSeq));
        foreach (var s in subscribers) s.Tell(notice);
    }

    private void OnTaskStopped(IActorRef actor)
    {
        var id = actor.Path.Name[ChildPrefix.Length..];
        if (!_tasks.TryGetValue(id, out var record) || !actor.Equals(record.Actor)) return;
        // A runner never stops by itself (a failed write is retried): only a bug that threw gets here, and then
        // what it held is unknown, so the task is no longer tracked.
        _log.Warning("Task {0} stopped unexpectedly while {1}; it is no longer tracked", id, record.State.Status.ToWireName());
        _tasks.Remove(id);
        _slots.Remove(id);
        _health.Forget(id);
        TryStartNext();
    }

    private void OnClear(ClearTasks c)
    {
        var removed = 0;
        foreach (var record in _tasks.Values.ToList())
        {
            if (!record.State.IsTerminal && !c.IncludeActive) continue;
            Route(new RemoveTask(record.State.TaskId, c.IncludeActive), Self);
            removed++;
        }
        Sender.Tell(new ClearReply(removed));
    }

    private void ScheduleCleanup(TaskRecord record)
    {
        if (record.State.CleanupAt is not { } at) return;
        _cleanups.Enqueue(record.State.TaskId, at);
        if (_cleanups.TryPeek(out var first, out _) && first == record.State.TaskId) ScheduleCleanupTick();
    }

    private void OnCleanupTick()
    {
        var now = DateTimeOffset.UtcNow;
        while (_cleanups.TryPeek(out var id, out var at) && at <= now)
        {
            _cleanups.Dequeue();
            if (_tasks.TryGetValue(id, out var record) && record.State.IsTerminal) Delete(record);
        }
        ScheduleCleanupTick();
    }

    private void ScheduleCleanupTick()
    {
        if (!_cleanups.TryPeek(out _, out var at)) return;
        var due = at - DateTimeOffset.UtcNow;
        Timers.StartSingleTimer(CleanupTimer, CleanupTick.Instance, due > TimeSpan.Zero ? due : TimeSpan.FromMilliseconds(10));
    }

    private void Delete(TaskRecord record)
    {
        if (record.Deleting) return;
        record.Deleting = true;
        _journal.Tell(new DeleteTaskEvents(record.State.TaskId, record.Writes.SequenceNr));
    }

    /// <summary>The events are gone, so is the id: requesters hear so, and commands that waited find nothing.</summary>
    private void OnDeleted(TaskEventsDeleted d)
    {
        if (!_tasks.TryGetValue(d.TaskId, out var record)) return;
        record.Deleting = false;
        if (d.Error is not null)
        {
            _log.Warning(d.Error, "Task {0}: deleting its events failed; retrying in {1}", d.TaskId, DeleteRetry);
            _health.Failed(d.TaskId, d.Error.Message, retried: false, DateTimeOffset.UtcNow);
            _cleanups.Enqueue(d.TaskId, DateTimeOffset.UtcNow + DeleteRetry);
            ScheduleCleanupTick();
            Drain(record); // the task still exists: what waited is answered from it
            return;
        }
        _health.Succeeded(d.TaskId);
        _tasks.Remove(d.TaskId);
        foreach (var r in record.RemoveRequesters ?? []) r.Tell(new TaskDeleted(d.TaskId));
        foreach (var (command, sender) in record.Waiting ?? []) Route(command, sender);
    }

    /// <summary>
    /// One task as the supervisor holds it while no actor runs it. Mutable on purpose: it lives only inside this
    /// actor, and a pending task must cost little. Lists are created only when someone waits or watches.
    /// </summary>
    private sealed class TaskRecord(TaskState state, long sequenceNr)
    {
        public TaskState State = state;
        public TaskWrites Writes = new(state.TaskId, sequenceNr);
        public TaskWork? Work;                      // a pending delegate's code
        public IActorRef? Actor;                    // the TaskRunner, while running
        public IActorRef? Requester;                // answered when the write in flight is stored (submit, cancel)
        public List<IActorRef>? Waiters;
        public HashSet<IActorRef>? Subscribers;
        public List<IActorRef>? RemoveRequesters;
        public List<(ITaskCommand Command, IActorRef Sender)>? Waiting;
        public TaskProgress? Progress;              // the last a finished task's work reported
        public long UpdateSeq;
        public bool Deleting;

        public bool Busy => Writes.Busy || Deleting;

        public TaskStatusInfo Info => State.ToInfo(Progress, Writes.StoreError);

        public TaskOutcome Outcome => new(Info, State.ResultJson);
    }
}
