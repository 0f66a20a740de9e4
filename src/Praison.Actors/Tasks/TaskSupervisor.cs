using Akka.Actor;
using Akka.Event;
using Praison.Actors.Lifecycle;
using Praison.Actors.Messages;
using Praison.Actors.Persistence;
using Praison.Actors.Webhooks;

namespace Praison.Actors.Tasks;

/// <summary>
/// A host's tasks: admission, concurrency, and every task that is not running. Pending tasks are plain records here
/// (a <see cref="TaskState"/> and its sequence number, no actor), written through the node's <see cref="TaskJournal"/>;
/// when a slot frees, the next pending task is handed over to a new TaskRunner, which runs it and hands the finished
/// state back. So a host holds at most MaxConcurrent task actors and a pending task costs a few hundred bytes. On a
/// store with a task table a finished record is dropped once nothing waits on it, and commands for it are answered from
/// the table; otherwise finished records stay until their cleanup. After a restart it rebuilds the unfinished tasks
/// from <see cref="StoredTask"/>s.
/// </summary>
internal sealed class TaskSupervisor : UntypedActor, IWithTimers
{
    private const string ChildPrefix = "task-";
    private const char AttemptSeparator = '~'; // not allowed in task ids (TaskLimits), allowed in actor names
    private const string CleanupTimer = "cleanup";
    private const string SweepTimer = "sweep";
    private const string NextAttemptTimer = "next-attempt-";
    private const int SweepBatch = 500;
    private static readonly TimeSpan DeleteRetry = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(5);

    private readonly SupervisorSettings _settings;
    private readonly TaskActorSettings _taskSettings;
    private readonly IActorRef _journal;
    private readonly IActorRef? _webhooks;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    private readonly Dictionary<string, TaskRecord> _tasks = new();
    private readonly SlotQueue<TaskRecord> _slots;
    private readonly PriorityQueue<string, DateTimeOffset> _cleanups = new();
    private readonly StoreHealthTracker _health = new();
    private int _submitting;                                              // Submitted being stored
    // The ephemeral store keeps no events: writes are stored at once and answered from this queue, drained after each
    // message (see TaskWrites), so a task costs no journal messages. Null when a journal writes them.
    private readonly Queue<TaskEventWritten>? _instant;

    // Claimed starts: the supervisor stores Started itself, for up to MaxConcurrent + ClaimAhead() tasks (the slot
    // queue's limit), and a task runs once Started is stored and one of MaxConcurrent work slots is free. So a slot
    // that frees starts the next work at once instead of after a store round trip.
    private const long ClaimWindowMs = 100;
    private readonly Queue<TaskRecord> _claimed = new();                  // Started stored, waiting for a work slot
    private int _working;                                                 // runners whose work holds a work slot
    private long _windowStart;
    private int _endsNow, _endsBefore;                                    // works ended in this window and in the last full one
    private double _averageRunMs = double.MaxValue;                       // moving average of the work's duration

    // With a task table (_table not null) finished tasks leave memory; commands for them are answered from the table.
    private readonly TaskStore? _table;
    private readonly Dictionary<string, List<(ITaskCommand Command, IActorRef Sender)>> _reading = new(); // ids read from the table, commands waiting
    private readonly Dictionary<string, StoredRemoval> _removing = new();                               // evicted tasks being deleted
    private bool _sweeping;
    private DateTimeOffset? _nextSweep;

    public TaskSupervisor(SupervisorSettings settings)
    {
        TaskMailbox.EnsureDefined(Context.System);
        _settings = settings;
        _slots = new SlotQueue<TaskRecord>(settings.MaxConcurrent);
        // A journal given in the settings (a test's probe) replaces the node's own.
        _journal = settings.Tasks.Journal
            ?? Context.ActorOf(TaskJournal.Props(settings.Tasks.JournalPluginId, settings.PurgeDeleted, settings.StoresEvents, settings.WriteRows), "journal");
        // The node's webhook dispatcher (a test may give its own); it resumes unfinished deliveries when it starts.
        _webhooks = settings.Tasks.Webhooks
            ?? (settings.Webhooks is { } webhooks ? Context.ActorOf(WebhookDispatcher.Props(webhooks, settings.WriteRows), "webhooks") : null);
        _instant = !settings.StoresEvents && settings.Tasks.Journal is null ? new Queue<TaskEventWritten>() : null;
        _taskSettings = settings.Tasks with { Journal = _journal, Supervisor = Self, Webhooks = _webhooks, InstantWrites = _instant is not null };
        _table = settings.EvictsFinished ? settings.Table : null;
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
        if (_table is not null) SweepAt(DateTimeOffset.UtcNow); // cleanups that came due while the host was down
        DrainInstant();
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
            if (task.State is not { } state || (_table is not null && state.IsTerminal)) continue; // finished ones stay in the table
            var record = new TaskRecord(state, task.SequenceNr, _instant);
            _tasks[state.TaskId] = record;
            PraisonTelemetry.Recovered(state);
            if (state.IsTerminal) ScheduleCleanup(record);
            else if (state.Status == BackgroundTaskStatus.Running)
            {
                running++;
                Recover(record);
            }
        }
        foreach (var record in _tasks.Values)
            if (record.State is { Status: BackgroundTaskStatus.Pending, Spec.Kind: TaskKind.Delegate }) Recover(record);
            else if (record.State.WaitingForRetry) AwaitNextAttempt(record); // the stored wait goes on from its stored end
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
        Handle(message);
        DrainInstant();
    }

    /// <summary>Applies the writes made while handling a message, as the journal's answers would (ephemeral store only).</summary>
    private void DrainInstant()
    {
        if (_instant is null) return;
        while (_instant.TryDequeue(out var written)) OnWritten(written);
    }

    private void Handle(object message)
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
            case TaskSubmitDuplicate d:
                OnSubmitDuplicate(d);
                break;
            case RetryWrite r:
                if (_tasks.TryGetValue(r.TaskId, out var retried)) retried.Writes.Retry(_journal, Self);
                break;
            case TaskStateReport r:
                OnReport(r, Sender);
                break;
            case WorkEnded e:
                OnWorkEnded(e, Sender);
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
            case ListTasks l when _table is not null:
                _table.ListTasksAsync(l.Query).PipeTo(Sender, success: tasks => new TaskList(tasks), failure: ex => new Status.Failure(ex));
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
            case RetryDue d:
                OnNextAttemptDue(d.TaskId);
                break;
            case SweepTick:
                Sweep();
                break;
            case CountHeld:
                Sender.Tell(_tasks.Count);
                break;
            case DueCleanups d:
                OnDueCleanups(d);
                break;
            case StoredRead r:
                OnStoredRead(r);
                break;
            case ClearTargets t:
                OnClearTargets(t);
                break;
            case GetStoreHealth:
                Sender.Tell(_health.Snapshot());
                break;
            case GetWebhookDelivery g when _webhooks is not null:
                _webhooks.Forward(g);
                break;
            case GetWebhookDelivery:
                Sender.Tell(new WebhookDeliveryReply(null));
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
        if (_tasks.ContainsKey(id))
        {
            // A reused id answers with the task it names (idempotent submission), once that task is stored.
            Route(new CreateTask(s.Spec), Sender);
            return;
        }
        var waiting = _slots.QueuedCount + _submitting;
        if (waiting >= _settings.MaxQueued)
        {
            Sender.Tell(new TaskRejected(id,
                $"The task queue is full: {waiting} tasks are waiting and MaxQueued is {_settings.MaxQueued}. Nothing was stored; try again later."));
            return;
        }
        var record = new TaskRecord(TaskState.Empty(id), 0, _instant) { Work = s.Work, Requester = Sender };
        _tasks[id] = record;
        _submitting++;
        // An id not held here may still be stored (finished and evicted, or stored by another process): the journal
        // claims the id in the task table with the write and answers TaskSubmitDuplicate then, so no read per submission.
        Decide(record, new TaskIntent.Submit(s.Spec));
    }

    /// <summary>
    /// The id was already claimed in the store (a task evicted from memory, or stored by another process): nothing was
    /// stored; the submitter, and whatever queued behind the submission, are answered from the stored task.
    /// </summary>
    private void OnSubmitDuplicate(TaskSubmitDuplicate d)
    {
        if (!_tasks.TryGetValue(d.TaskId, out var record) || record.Writes.OnDuplicate(d) is not { } spec) return;
        _submitting--;
        _tasks.Remove(d.TaskId);
        if (record.Requester is { } requester) Route(new CreateTask(spec), requester);
        foreach (var (command, sender) in record.Waiting ?? []) Route(command, sender);
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
            if (_table is not null) RouteStored(command, sender);
            else replyTo.Tell(new TaskNotFound(id));
            return;
        }
        if (MustWait(record, command))
        {
            (record.Waiting ??= new List<(ITaskCommand, IActorRef)>()).Add((command, sender));
            return;
        }
        if (command is CreateTask or CreateLocalTask)
        {
            replyTo.Tell(new TaskAccepted(record.Info, Created: false));
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
            case GetTaskSpec:
                replyTo.Tell(new TaskSpecReply(record.Info, state.Spec!));
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
                Claim(record);
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
            default:
                Unhandled(command);
                break;
        }
    }

    /// <summary>A command that changes the task waits for the write in flight; all wait while it is submitted or deleted.</summary>
    private static bool MustWait(TaskRecord record, ITaskCommand command) =>
        record.Deleting || (record.Writes.Busy && (!record.State.Exists || command is CancelTask or RemoveTask or StartTask));

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
                TaskLog.WriteRetried(_log, w.Error, w.TaskId, record.State, w.Event);
                _health.Failed(w.TaskId, w.Error!.Message, retried: true, DateTimeOffset.UtcNow);
                return;
        }
        _health.Succeeded(w.TaskId);
        var before = record.State;
        record.State = before.Apply(w.Event);
        if (w.Event is TaskSubmitted) _submitting--;
        PraisonTelemetry.Stored(before, record.State, w.Event);
        TaskLog.Stored(_log, record.State, w.Event);
        Apply(record, TaskEffects.Of(before, record.State, w.Event, record.RemoveRequesters is not null));
        TryStartNext();
        Drain(record);
    }

    /// <summary>A submission that could not be stored is refused: nothing exists, and what waited for it finds nothing.</summary>
    private void OnSubmitFailed(TaskRecord record, TaskEventWritten w)
    {
        TaskLog.SubmitFailed(_log, w.Error, w.TaskId, w.Event);
        _health.Failed(w.TaskId, w.Error!.Message, retried: false, DateTimeOffset.UtcNow);
        _submitting--;
        _tasks.Remove(w.TaskId);
        record.Requester?.Tell(new TaskRejected(w.TaskId, $"The task could not be stored: {w.Error.Message}"));
        foreach (var (command, sender) in record.Waiting ?? [])
            (command is SubscribeTask s ? s.Subscriber : sender).Tell(new TaskNotFound(w.TaskId));
    }

    /// <summary>Carries out the effects of an event stored here (Started included: this supervisor claims the start).</summary>
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
        if (effects.StartWork) _claimed.Enqueue(record); // Started is stored: it runs when a work slot is free
        if (effects.AnswerWaiters)
        {
            record.Work = null;
            if (record.Waiters is { } waiters)
                foreach (var w in waiters) w.Tell(record.Outcome);
            record.Waiters = null;
        }
        if (effects.Publish) Publish(record);
        if (effects.NotifyWebhook)
            _webhooks?.Tell(new WebhookDue(record.Info, record.State.ResultJson, record.State.Spec!.WebhookUrl!, record.State.Spec.WebhookEvents));
        if (effects.AnswerWaiters) record.Subscribers = null;
        Finish(record, effects);
    }

    /// <summary>The slot, cleanup and deletion effects of a finished task, whether it finished here or in its runner.</summary>
    private void Finish(TaskRecord record, TaskEffects effects)
    {
        if (effects.DeleteNow) Delete(record);
        else if (effects.CleanupAt is not null) ScheduleCleanup(record);
        if (effects.FreeSlot) _slots.Remove(record.State.TaskId);
        if (effects.RetryAt is not null) AwaitNextAttempt(record);
        else if (record.WaitingForRetry && record.State.IsTerminal)
        {
            // Cancelled (or removed) while waiting for its next attempt: the wait ends with it.
            record.WaitingForRetry = false;
            Timers.Cancel(NextAttemptTimer + record.State.TaskId);
        }
    }

    /// <summary>
    /// A failed attempt waits, out of its slot, until its stored next-attempt time; then it queues for a slot again.
    /// After a restart the wait goes on until the same stored time (a time already past queues it at once).
    /// </summary>
    private void AwaitNextAttempt(TaskRecord record)
    {
        if (record.State.NextAttemptAt is not { } at) return;
        record.WaitingForRetry = true;
        var due = at - DateTimeOffset.UtcNow;
        Timers.StartSingleTimer(NextAttemptTimer + record.State.TaskId, new RetryDue(record.State.TaskId),
            due > TimeSpan.Zero ? due : TimeSpan.Zero);
    }

    private void OnNextAttemptDue(string id)
    {
        if (!_tasks.TryGetValue(id, out var record) || !record.WaitingForRetry) return;
        if (!record.State.WaitingForRetry)
        {
            record.WaitingForRetry = false;
            return;
        }
        if (record.State.NextAttemptAt > DateTimeOffset.UtcNow)
        {
            AwaitNextAttempt(record); // the timer woke early (clock granularity): wait for the rest
            return;
        }
        record.WaitingForRetry = false;
        Enqueue(record);
        TryStartNext();
    }

    /// <summary>Commands that arrived during a write, in their order; a command may start another write.</summary>
    private void Drain(TaskRecord record)
    {
        // Queries ahead of the first command that must wait are answered now (a claimed start may be in flight).
        while (record.Waiting is { Count: > 0 } waiting && !MustWait(record, waiting[0].Command))
        {
            var (command, sender) = waiting[0];
            waiting.RemoveAt(0);
            Route(command, sender);
        }
        if (record.Waiting is { Count: 0 }) record.Waiting = null;
        TryEvict(record);
    }

    /// <summary>
    /// With a task table, a finished task leaves memory once nothing waits on its record (no write or delete in
    /// flight, no queued command, no runner, no remove asked for): from then on the table answers for it.
    /// </summary>
    private void TryEvict(TaskRecord record)
    {
        if (_table is null || !record.State.IsTerminal || record.Actor is not null || record.Busy
            || record.Waiting is { Count: > 0 } || record.RemoveRequesters is not null || record.Requester is not null) return;
        if (_tasks.TryGetValue(record.State.TaskId, out var held) && ReferenceEquals(held, record)) _tasks.Remove(record.State.TaskId);
    }

    private void Enqueue(TaskRecord record)
    {
        var spec = record.State.Spec!;
        _slots.Enqueue(record.State.TaskId, spec.RecipeName, spec.RecipeMaxConcurrent, record);
    }

    /// <summary>
    /// Runs the claimed tasks that work slots allow, then gives free slots to the next pending tasks (unless a write is
    /// being retried: then the store is failing), whose Started this supervisor writes.
    /// </summary>
    private void TryStartNext()
    {
        RunClaimed();
        if (_health.AnyRetrying) return;
        _slots.Limit = _settings.MaxConcurrent + ClaimAhead();
        foreach (var (_, record) in _slots.StartNext())
        {
            if (record.Busy) (record.Waiting ??= new List<(ITaskCommand, IActorRef)>()).Add((new StartTask(record.State.TaskId), Self));
            else Claim(record);
        }
    }

    /// <summary>
    /// How many tasks may be claimed beyond the work slots: MaxConcurrent while slots turn over fast and runs are short
    /// (at least 16 works ended in the current or the last full 100 ms window, and runs average 50 ms or less), else
    /// none. The current window counts so that a host claims ahead once its first short runs end, not a window later.
    /// So Started is written ahead only where a store round trip is a real share of a run, and a claimed task waits
    /// about one short run for its work slot (its status shows running, and its deadline counts, from the claim).
    /// </summary>
    private int ClaimAhead()
    {
        var now = Environment.TickCount64;
        if (now - _windowStart >= ClaimWindowMs)
        {
            _endsBefore = now - _windowStart < 2 * ClaimWindowMs ? _endsNow : 0;
            _endsNow = 0;
            _windowStart = now;
        }
        // Instant writes: Started is stored the moment a slot is given, so claiming ahead gains nothing.
        return _instant is null && Math.Max(_endsBefore, _endsNow) >= 16 && _averageRunMs <= 50 ? _settings.MaxConcurrent : 0;
    }

    /// <summary>A task given a slot: its Started is written here; once stored it runs (Apply, StartWork).</summary>
    private void Claim(TaskRecord record)
    {
        if (record.State.Status != BackgroundTaskStatus.Pending || record.Actor is not null) return; // cancelled while queued: its slot is already free
        // Started, or a timeout failure when the deadline passed while queued (that frees the slot once stored).
        if (Decide(record, new TaskIntent.Start()) is not TaskDecision.Persist) _slots.Remove(record.State.TaskId);
    }

    /// <summary>Hands claimed tasks (Started stored) to runners while work slots are free.</summary>
    private void RunClaimed()
    {
        while (_working < _settings.MaxConcurrent && _claimed.TryDequeue(out var record))
        {
            // Cancelled (or being cancelled) while it waited: it never gets a runner, and its slot frees with the cancel.
            if (record.State.Status != BackgroundTaskStatus.Running || record.Actor is not null || record.Busy) continue;
            Spawn(record);
        }
    }

    /// <summary>Hands a claimed task to a new TaskRunner, with whoever waits for or watches it; its work starts at once.</summary>
    private void Spawn(TaskRecord record)
    {
        var state = record.State;
        var handover = new TaskHandover(state, record.Writes.SequenceNr, record.Work,
            (IReadOnlyList<IActorRef>?)record.Waiters ?? Array.Empty<IActorRef>(),
            (IReadOnlyCollection<IActorRef>?)record.Subscribers ?? Array.Empty<IActorRef>(), record.UpdateSeq);
        record.Work = null;
        record.Waiters = null;
        record.Subscribers = null;
        // A retry's runner is named after its attempt: the runner of the failed attempt may not have stopped yet.
        var name = state.Attempt <= 1 ? ChildPrefix + state.TaskId : $"{ChildPrefix}{state.TaskId}{AttemptSeparator}{state.Attempt}";
        record.Actor = Context.ActorOf(TaskRunner.Props(_taskSettings, handover), name);
        record.Working = true;
        record.WorkStarted = System.Diagnostics.Stopwatch.GetTimestamp();
        _working++;
        Context.Watch(record.Actor);
    }

    /// <summary>A runner's work ended and its terminal event is being stored: the work slot and the task's slot go to the next.</summary>
    private void OnWorkEnded(WorkEnded e, IActorRef actor)
    {
        if (!_tasks.TryGetValue(e.TaskId, out var record) || !actor.Equals(record.Actor)) return;
        var ran = System.Diagnostics.Stopwatch.GetElapsedTime(record.WorkStarted).TotalMilliseconds;
        _averageRunMs = _averageRunMs == double.MaxValue ? ran : 0.9 * _averageRunMs + 0.1 * ran;
        ReleaseWork(record);
        _slots.Remove(e.TaskId);
        _endsNow++;
        TryStartNext();
    }

    private void ReleaseWork(TaskRecord record)
    {
        if (!record.Working) return;
        record.Working = false;
        _working--;
    }

    /// <summary>The running task's runner reports: Running, then its terminal state, which this record keeps.</summary>
    private void OnReport(TaskStateReport report, IActorRef actor)
    {
        if (!_tasks.TryGetValue(report.State.TaskId, out var record) || !actor.Equals(record.Actor)) return;
        record.State = report.State;
        record.Writes = new TaskWrites(report.State.TaskId, report.SequenceNr, _instant);
        if (report.Retrying)
        {
            // A failed attempt waits for its retry here, as a pending record with its waiters, watchers and code.
            record.Waiters = report.Waiters is { Count: > 0 } waiters ? waiters.ToList() : null;
            record.Subscribers = report.Subscribers is { Count: > 0 } subscribers ? subscribers.ToHashSet() : null;
            record.UpdateSeq = report.UpdateSequence;
            record.Work = report.Work;
            record.Progress = null; // a failed attempt's progress is not the next one's
            Publish(record);        // from here, so watchers follow the task to its new holder
        }
        else if (!report.State.IsTerminal) return;
        if (!report.Retrying) record.Progress = report.Progress;
        ReleaseWork(record);
        record.Actor = null;
        Context.Unwatch(actor);
        actor.Tell(PoisonPill.Instance); // commands already sent to it are answered first, from the same state
        if (_health.Forget(report.State.TaskId)) _log.Info("Task {0}: its write is stored after all", report.State.TaskId);
        if (report.RemoveRequesters is { } requesters) (record.RemoveRequesters ??= new List<IActorRef>()).AddRange(requesters);
        Finish(record, report.Effects ?? FreedOnly);
        TryStartNext();
        TryEvict(record);
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
        if (id.IndexOf(AttemptSeparator) is var cut and >= 0) id = id[..cut];
        if (!_tasks.TryGetValue(id, out var record) || !actor.Equals(record.Actor)) return;
        // A runner never stops by itself (a failed write is retried): only a bug that threw gets here, and then
        // what it held is unknown, so the task is no longer tracked.
        _log.Warning("Task {0} stopped unexpectedly while {1}; it is no longer tracked", id, record.State.Status.ToWireName());
        ReleaseWork(record);
        _tasks.Remove(id);
        _slots.Remove(id);
        _health.Forget(id);
        TryStartNext();
    }

    private void OnClear(ClearTasks c)
    {
        if (_table is not null)
        {
            // Finished tasks are mostly in the table only: their ids (and sequence numbers) come from its index.
            var replyTo = Sender;
            _table.ReadFinishedSequenceNrsAsync()
                .PipeTo(Self, success: stored => new ClearTargets(c, replyTo, stored, null), failure: ex => new ClearTargets(c, replyTo, null, ex));
            return;
        }
        Sender.Tell(new ClearReply(ClearHeld(c)));
    }

    private void OnClearTargets(ClearTargets t)
    {
        if (t.Error is not null)
        {
            t.ReplyTo.Tell(new Status.Failure(StoreFailure(t.Error)));
            return;
        }
        var removed = ClearHeld(t.Clear);
        foreach (var (id, sequenceNr) in t.Stored!)
        {
            if (_tasks.ContainsKey(id) || _removing.ContainsKey(id)) continue; // held: cleared above (or being deleted)
            StartRemoval(id, sequenceNr, null);
            removed++;
        }
        t.ReplyTo.Tell(new ClearReply(removed));
    }

    /// <summary>Removes the tasks held in memory that the clear covers; how many.</summary>
    private int ClearHeld(ClearTasks c)
    {
        var removed = 0;
        foreach (var record in _tasks.Values.ToList())
        {
            if (!record.State.IsTerminal && !c.IncludeActive) continue;
            Route(new RemoveTask(record.State.TaskId, c.IncludeActive), Self);
            removed++;
        }
        return removed;
    }

    private void ScheduleCleanup(TaskRecord record)
    {
        if (record.State.CleanupAt is not { } at) return;
        if (_table is not null)
        {
            SweepAt(at); // the table holds the cleanup time; only the next sweep is remembered
            return;
        }
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
        if (_removing.Remove(d.TaskId, out var removal))
        {
            OnStoredDeleted(d, removal);
            return;
        }
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

    // ---- Finished tasks that are in the table only (a store with a task table) ----

    /// <summary>A command for a task not in memory: read the task's row off the mailbox; commands for it meanwhile queue behind.</summary>
    private void RouteStored(ITaskCommand command, IActorRef sender)
    {
        var id = command.TaskId;
        if (command is UnsubscribeTask or StartTask) return; // a finished task has no subscribers and never starts
        if (_removing.TryGetValue(id, out var removal))
        {
            (removal.Waiting ??= new List<(ITaskCommand, IActorRef)>()).Add((command, sender));
            return;
        }
        if (_reading.TryGetValue(id, out var queue))
        {
            queue.Add((command, sender));
            return;
        }
        _reading[id] = new List<(ITaskCommand, IActorRef)> { (command, sender) };
        ReadStored(id);
    }

    /// <summary>Reads the row, plus the result when a wait is queued and the last sequence number when a remove is.</summary>
    private void ReadStored(string id)
    {
        var queue = _reading[id];
        var withResult = queue.Exists(c => c.Command is WaitForTask);
        var withSequenceNr = queue.Exists(c => c.Command is RemoveTask);
        var withSpec = queue.Exists(c => c.Command is GetTaskSpec);
        var table = _table!;
        ReadAsync().PipeTo(Self, failure: ex => new StoredRead(id, null, null, null, withResult, withSequenceNr, ex));

        async Task<StoredRead> ReadAsync()
        {
            var info = await table.GetTaskAsync(id).ConfigureAwait(false);
            var result = withResult && info is { Status: BackgroundTaskStatus.Completed }
                ? await table.ReadResultAsync(id).ConfigureAwait(false)
                : null;
            long? sequenceNr = withSequenceNr && info is not null
                && (await table.ReadSequenceNrsAsync([id]).ConfigureAwait(false)).TryGetValue(id, out var seq) ? seq : null;
            var spec = withSpec && info is not null ? await table.ReadSpecAsync(id).ConfigureAwait(false) : null;
            return new StoredRead(id, info, result, sequenceNr, withResult, withSequenceNr, null) { Spec = spec, WithSpec = withSpec };
        }
    }

    /// <summary>Answers the queued commands in order from what was read; one that needs more (a result, a sequence number) reads again.</summary>
    private void OnStoredRead(StoredRead r)
    {
        if (!_reading.TryGetValue(r.TaskId, out var queue)) return;
        if (r.Error is not null)
        {
            // A failed read is an error to the client, never "not found".
            _log.Warning(r.Error, "Task {0}: reading it from the task table failed", r.TaskId);
            _reading.Remove(r.TaskId);
            var failure = new Status.Failure(StoreFailure(r.Error));
            foreach (var (command, sender) in queue) (command is SubscribeTask s ? s.Subscriber : sender).Tell(failure);
            return;
        }
        while (queue.Count > 0)
        {
            var (command, sender) = queue[0];
            if (_tasks.ContainsKey(r.TaskId) || _removing.ContainsKey(r.TaskId))
            {
                // Held again (submitted) or being deleted: the rest goes where a new command would.
                _reading.Remove(r.TaskId);
                foreach (var (c, s) in queue) Route(c, s);
                return;
            }
            if (r.Info is not null && ((command is WaitForTask && r.Info.Status == BackgroundTaskStatus.Completed && !r.WithResult)
                || (command is RemoveTask && !r.WithSequenceNr) || (command is GetTaskSpec && !r.WithSpec)))
            {
                ReadStored(r.TaskId);
                return;
            }
            queue.RemoveAt(0);
            AnswerStored(command, sender, r);
        }
        _reading.Remove(r.TaskId);
    }

    /// <summary>Answers one command from a task's row as the record would have (a task not finished here is not this host's).</summary>
    private void AnswerStored(ITaskCommand command, IActorRef sender, StoredRead r)
    {
        var id = r.TaskId;
        var replyTo = command is SubscribeTask s ? s.Subscriber : sender;
        // A task not finished here belongs to another process: only its status (and a reused id's answer) is given.
        if (r.Info is not { } info || (!info.Status.IsTerminal() && command is not (GetTaskStatus or CreateTask or CreateLocalTask)))
        {
            replyTo.Tell(new TaskNotFound(id));
            return;
        }
        switch (command)
        {
            case GetTaskStatus:
                replyTo.Tell(new TaskStatusReply(info));
                break;
            case GetTaskSpec when r.Spec is { } spec:
                replyTo.Tell(new TaskSpecReply(info, spec));
                break;
            case GetTaskSpec:
                replyTo.Tell(new TaskNotFound(id)); // its events went between the two reads
                break;
            case WaitForTask:
                replyTo.Tell(new TaskOutcome(info, r.ResultJson));
                break;
            case SubscribeTask:
                replyTo.Tell(new TaskUpdateNotice(new TaskUpdate(info, 1))); // finished: one update, then nothing more
                break;
            case CancelTask:
                replyTo.Tell(new CancelReply(id, false, info.Status));
                break;
            case RemoveTask when r.SequenceNr is { } sequenceNr:
                StartRemoval(id, sequenceNr, replyTo);
                break;
            case RemoveTask:
                replyTo.Tell(new TaskNotFound(id)); // the row went between the two reads
                break;
            case CreateTask or CreateLocalTask:
                replyTo.Tell(new TaskAccepted(info, Created: false));
                break;
            default:
                Unhandled(command);
                break;
        }
    }

    /// <summary>Deletes a task held only in the table, through the journal as any delete; commands for it wait for the outcome.</summary>
    private void StartRemoval(string id, long sequenceNr, IActorRef? requester)
    {
        if (!_removing.TryGetValue(id, out var removal))
        {
            _removing[id] = removal = new StoredRemoval();
            _journal.Tell(new DeleteTaskEvents(id, sequenceNr));
        }
        if (requester is not null) removal.Requesters.Add(requester);
    }

    private void OnStoredDeleted(TaskEventsDeleted d, StoredRemoval removal)
    {
        if (d.Error is not null)
        {
            // The task stays in the table; a due cleanup is retried by the sweep, a remove by the client.
            _log.Warning(d.Error, "Task {0}: deleting its events failed", d.TaskId);
            _health.Failed(d.TaskId, d.Error.Message, retried: false, DateTimeOffset.UtcNow);
            var failure = new Status.Failure(StoreFailure(d.Error));
            foreach (var r in removal.Requesters) r.Tell(failure);
        }
        else
        {
            _health.Succeeded(d.TaskId);
            foreach (var r in removal.Requesters) r.Tell(new TaskDeleted(d.TaskId));
        }
        foreach (var (command, sender) in removal.Waiting ?? []) Route(command, sender);
    }

    private TaskStoreException StoreFailure(Exception error) =>
        error.GetBaseException() as TaskStoreException ?? error as TaskStoreException
        ?? new TaskStoreException(_table?.Describe() ?? "task store", error.GetBaseException().Message, error);

    /// <summary>The next sweep of due cleanups runs at <paramref name="at"/> at the latest.</summary>
    private void SweepAt(DateTimeOffset at)
    {
        if (_nextSweep is { } next && next <= at) return;
        _nextSweep = at;
        var due = at - DateTimeOffset.UtcNow;
        Timers.StartSingleTimer(SweepTimer, SweepTick.Instance, due > TimeSpan.FromMilliseconds(10) ? due : TimeSpan.FromMilliseconds(10));
    }

    /// <summary>Reads the finished tasks whose cleanup is due from the table's cleanup index (one read at a time).</summary>
    private void Sweep()
    {
        _nextSweep = null;
        if (_sweeping) return; // the answer schedules the next
        _sweeping = true;
        _table!.ReadDueCleanupsAsync(DateTimeOffset.UtcNow, SweepBatch)
            .PipeTo(Self, success: due => new DueCleanups(due, null), failure: ex => new DueCleanups(null, ex));
    }

    private void OnDueCleanups(DueCleanups d)
    {
        _sweeping = false;
        if (d.Error is not null)
        {
            _log.Warning(d.Error, "Reading due cleanups from the task table failed; retrying in {0}", SweepInterval);
            SweepAt(DateTimeOffset.UtcNow + SweepInterval);
            return;
        }
        foreach (var (id, sequenceNr) in d.Due!)
        {
            if (_tasks.TryGetValue(id, out var record))
            {
                if (record.State.IsTerminal) Delete(record);
            }
            else StartRemoval(id, sequenceNr, null);
        }
        SweepAt(DateTimeOffset.UtcNow + (d.Due.Count >= SweepBatch ? TimeSpan.Zero : SweepInterval));
    }

    /// <summary>An evicted task being deleted: who asked, and the commands that wait for the outcome.</summary>
    private sealed class StoredRemoval
    {
        public readonly List<IActorRef> Requesters = new();
        public List<(ITaskCommand Command, IActorRef Sender)>? Waiting;
    }

    /// <summary>Tests: how many task records this supervisor holds in memory (answered with an int).</summary>
    internal sealed record CountHeld : ISupervisorInternal
    {
        public static readonly CountHeld Instance = new();
    }

    /// <summary>The stored wait of a failed attempt has passed: the task queues for a slot again.</summary>
    private sealed record RetryDue(string TaskId) : ISupervisorInternal;

    private sealed record SweepTick : ISupervisorInternal
    {
        public static readonly SweepTick Instance = new();
    }

    private sealed record DueCleanups(List<(string TaskId, long SequenceNr)>? Due, Exception? Error) : ISupervisorInternal;

    private sealed record StoredRead(string TaskId, TaskStatusInfo? Info, string? ResultJson, long? SequenceNr,
        bool WithResult, bool WithSequenceNr, Exception? Error) : ISupervisorInternal
    {
        public TaskSpec? Spec { get; init; }
        public bool WithSpec { get; init; }
    }

    private sealed record ClearTargets(ClearTasks Clear, IActorRef ReplyTo, List<(string TaskId, long SequenceNr)>? Stored, Exception? Error)
        : ISupervisorInternal;

    /// <summary>
    /// One task as the supervisor holds it while no actor runs it. Mutable on purpose: it lives only inside this
    /// actor, and a pending task must cost little. Lists are created only when someone waits or watches.
    /// </summary>
    private sealed class TaskRecord(TaskState state, long sequenceNr, Queue<TaskEventWritten>? instant)
    {
        public TaskState State = state;
        public TaskWrites Writes = new(state.TaskId, sequenceNr, instant);
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
        public bool WaitingForRetry;                // the next-attempt timer is armed; the task is not queued yet
        public bool Working;                        // its runner's work holds one of the MaxConcurrent work slots
        public long WorkStarted;                    // Stopwatch timestamp of its runner's spawn

        public bool Busy => Writes.Busy || Deleting;

        public TaskStatusInfo Info => State.ToInfo(Progress, Writes.StoreError);

        public TaskOutcome Outcome => new(Info, State.ResultJson);
    }
}
