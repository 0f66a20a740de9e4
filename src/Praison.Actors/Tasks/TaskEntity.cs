using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Praison.Actors.Lifecycle;
using Praison.Actors.Messages;

namespace Praison.Actors.Tasks;

/// <summary>
/// The event-sourced owner of one task, for a cluster shard and for a process that only stores and reads tasks
/// (<see cref="StoreOnlySupervisor"/>). It replays its events from the node's <see cref="Persistence.TaskJournal"/>
/// and owns the whole lifecycle: stores the submission, asks its supervisor for a slot, runs the work (when the
/// process executes tasks) with the deadline on ReceiveTimeout, answers status, waiters and subscribers, and deletes
/// its events once the cleanup delay has passed. Idle, it leaves memory on an explicit timer (never ReceiveTimeout, which
/// is the deadline's alone): a sharded entity through its shard's Passivate, a store-only one through its supervisor.
/// </summary>
internal sealed class TaskEntity : UntypedActor, IWithTimers, IWithUnboundedStash
{
    private const string CleanupTimer = "cleanup";
    private const string IdleTimer = "idle";
    private const string NextAttemptTimer = "next-attempt";
    private const string ReplayTimer = "replay";
    private static readonly TimeSpan DeleteRetry = TimeSpan.FromSeconds(30);
    /// <summary>How long an entity that may skip its replay waits for a first message before it replays anyway.</summary>
    private static readonly TimeSpan UnsubmittedReplayDelay = TimeSpan.FromMilliseconds(100);

    private readonly string _taskId;
    private readonly TaskActorSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly List<IActorRef> _waiters = new();
    private readonly HashSet<IActorRef> _subscribers = new();
    private readonly List<IActorRef> _removeRequesters = new();   // answered TaskDeleted once events are gone
    private readonly TaskWorkRun _run = new();
    private TaskWrites _writes;
    private TaskState _state;
    private bool _recovering;
    private bool _undecided;                // no message yet: the first one decides between a replay and a fresh submission
    private TaskWork? _work;                // a delegate task's work: in memory only
    private IActorRef? _requester;          // answered when the write in flight (submission, cancellation) is stored
    private long _updateSeq;
    private bool _removing;                 // DeleteTaskEvents sent
    private bool _removed;                  // events deleted: the task no longer exists
    private IActorRef? _duplicateOf;        // a submitter whose id another writer had stored: answered after a replay
    private TaskSpec? _admitting;           // a new task's spec while its supervisor decides whether the queue has room

    public TaskEntity(string taskId, TaskActorSettings settings)
    {
        _taskId = taskId;
        _settings = settings;
        _state = TaskState.Empty(taskId);
        _writes = new TaskWrites(taskId, 0);
    }

    public static Props Props(string taskId, TaskActorSettings settings) =>
        Akka.Actor.Props.Create(typeof(TaskEntity), taskId, settings).WithMailbox(TaskMailbox.Path);

    public ITimerScheduler Timers { get; set; } = null!;

    public IStash Stash { get; set; } = null!;

    private IActorRef Journal => _settings.Journal ?? throw new InvalidOperationException("TaskActorSettings.Journal is not set.");

    private IActorRef Supervisor => _settings.Supervisor ?? Context.Parent;

    /// <summary>
    /// Without id claims the entity replays at once. With them a submission that comes first is stored without a
    /// replay (a new task has no events to read); anything else first, the entity's own ReplayIfUnsubmitted
    /// included (an entity started by StartEntity sends nothing), replays. The guess never decides correctness:
    /// an id already stored is refused by its claim (TaskSubmitDuplicate), and the entity then replays.
    /// </summary>
    protected override void PreStart()
    {
        if (_settings.JournalClaimsIds)
        {
            // On a timer rather than told at once: a shard tells the message it created the entity for right after
            // creating it, so that message comes first (had the timer won, the entity would just replay).
            _undecided = true;
            Timers.StartSingleTimer(ReplayTimer, ReplayIfUnsubmitted.Instance, UnsubmittedReplayDelay);
        }
        else BeginReplay();
    }

    private void BeginReplay()
    {
        _recovering = true;
        Journal.Tell(new ReplayTaskEvents(_taskId, Self));
    }

    /// <summary>The first message: a submission is handled as a new task's; anything else waits for a replay.</summary>
    private bool Decided(object message)
    {
        _undecided = false;
        Timers.Cancel(ReplayTimer);
        if (message is CreateTask or CreateLocalTask) return true;
        BeginReplay();
        if (message is not ReplayIfUnsubmitted) Stash.Stash();
        return false;
    }

    /// <summary>Replaying: events from the journal, then its highest sequence number; everything else waits.</summary>
    private void OnReplay(object message)
    {
        switch (message)
        {
            case ReplayedMessage { Persistent: var p }:
                if (p.Payload is ITaskEvent e) _state = _state.Apply(e);
                _writes = new TaskWrites(_taskId, p.SequenceNr);
                break;
            case RecoverySuccess r:
                _recovering = false;
                _writes = new TaskWrites(_taskId, Math.Max(_writes.SequenceNr, r.HighestSequenceNr));
                if (_duplicateOf is { } submitter)
                {
                    submitter.Tell(_state.Exists ? new TaskAccepted(Info(), Created: false) : new TaskNotFound(_taskId));
                    _duplicateOf = null;
                    // A sharded entity is the one owner of its id in the cluster: the stored task is its own to
                    // reconcile (e.g. a reused id whose task was pending on a lost node). Otherwise the task is
                    // another writer's (a local host's): reconcile nothing here.
                    if (_settings.Sharded && _settings.Executes) OnRecovered();
                    else ArmIdle();
                }
                else OnRecovered();
                Stash.UnstashAll();
                break;
            case ReplayMessagesFailure f:
                _log.Error(f.Cause, "Task {0}: reading its events failed; the task actor stops", _taskId);
                Context.Stop(Self);
                break;
            default:
                Stash.Stash();
                break;
        }
    }

    /// <summary>Reconciles a task that existed before this actor started (a restart, or a re-created entity).</summary>
    private void OnRecovered()
    {
        if (!_state.Exists)
        {
            // A sharded entity may be started with no message for it (StartEntity): let it go when idle.
            if (_settings.Sharded) ArmIdle();
            return;
        }
        if (!_settings.Executes)
        {
            // Only a host reconciles and cleans up; here the task is just read or cancelled, then let go.
            ArmIdle();
            return;
        }
        if (_state.IsTerminal)
        {
            ScheduleCleanup(_state.CleanupAt);
            if (_settings.Sharded) ArmIdle();
            return;
        }
        // Running tasks are re-run or failed, pending delegates are failed (their code is gone); the rest queue, except
        // one waiting for its retry: that wait goes on until its stored time.
        if (Decide(new TaskIntent.Recover()) is TaskDecision.None)
        {
            if (_state.WaitingForRetry) AwaitNextAttempt();
            else Supervisor.Tell(new TaskEnqueued(Info(), _state.Spec!.RecipeMaxConcurrent));
        }
    }

    protected override void OnReceive(object message)
    {
        if (_undecided && !Decided(message)) return;
        if (_recovering)
        {
            OnReplay(message);
            return;
        }
        switch (message)
        {
            case TaskEventWritten w:
                OnWritten(w);
                return;
            case TaskSubmitDuplicate d:
                OnSubmitDuplicate(d);
                return;
            case RetryWrite:
                _writes.Retry(Journal, Self);
                return;
            case TaskEventsDeleted d:
                OnDeleted(d);
                return;
            case SubscribeTask sub when _removed:
                sub.Subscriber.Tell(new TaskNotFound(_taskId));
                return;
            case ITaskCommand c when _removed:
                Sender.Tell(new TaskNotFound(c.TaskId));
                return;
            case not null when _removed:
                return;
        }

        switch (message)
        {
            case AdmitTaskReply a when _admitting is { } admitted && a.TaskId == _taskId:
                OnAdmitted(admitted, a.Refusal);
                break;
            case ITaskCommand when !_state.Exists && (_writes.Busy || _admitting is not null):
                Stash.Stash(); // the submission is being stored: there is nothing to answer from yet
                break;
            case ITaskCommand c and not (CreateTask or CreateLocalTask) when !_state.Exists:
                // Woken for an id this journal does not hold: answer, then let go.
                (c is SubscribeTask sub ? sub.Subscriber : Sender).Tell(new TaskNotFound(_taskId));
                RequestPassivation(null);
                break;
            // Queries are answered from the stored state at once, even while a write is in flight or retried.
            case GetTaskStatus:
                Sender.Tell(new TaskStatusReply(Info()));
                break;
            case GetTaskSpec:
                Sender.Tell(new TaskSpecReply(Info(), _state.Spec!));
                break;
            case WaitForTask:
                if (_state.IsTerminal) Sender.Tell(Outcome());
                else if (!_waiters.Contains(Sender)) _waiters.Add(Sender); // a cluster client renews its wait with the same ref
                break;
            case SubscribeTask s:
                s.Subscriber.Tell(new TaskUpdateNotice(new TaskUpdate(Info(), ++_updateSeq)));
                if (!_state.IsTerminal) _subscribers.Add(s.Subscriber);
                break;
            case UnsubscribeTask u:
                _subscribers.Remove(u.Subscriber);
                break;
            case ProgressReported p:
                if (!_run.IsCurrent(p.RunId) || _state.Status != BackgroundTaskStatus.Running) break;
                _run.Report(p);
                Journal.Tell(new RecordTaskProgress(_taskId, p.Fraction, p.Message, p.At)); // the table's copy, coalesced by the journal
                Publish();
                break;
            case IdleDue:
                OnIdle();
                break;
            case NextAttemptDue:
                OnNextAttemptDue();
                break;
            case ReplayIfUnsubmitted:
                break; // a submission came first: nothing to replay

            // Everything below changes state: it waits until the write in flight is stored.
            case not null when (_writes.Busy || _removing) && message is ITaskCommand or WorkFinished or ReceiveTimeout or CleanupDue:
                Stash.Stash();
                break;
            case CreateTask c:
                OnCreate(c.Spec, null);
                break;
            case CreateLocalTask c:
                OnCreate(c.Spec, c.Work);
                break;
            case StartTask:
                // Refused (e.g. cancelled while queued): tell the supervisor where the task is, so it frees the slot.
                if (Decide(new TaskIntent.Start()) is not TaskDecision.Persist) Supervisor.Tell(new TaskStatusChanged(Info()));
                break;
            case CancelTask c:
                OnCancel(c);
                break;
            case RemoveTask r:
                OnRemove(r);
                break;
            case WorkFinished w:
                // A result of an earlier run, or of a run already cancelled or timed out, changes nothing.
                if (!_run.IsCurrent(w.RunId) || _state.Status != BackgroundTaskStatus.Running) break;
                Decide(TaskIntent.FromWork(w));
                break;
            case ReceiveTimeout:
                OnDeadline();
                break;
            case CleanupDue:
                BeginRemove();
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <summary>
    /// Another writer stored a task with this id before this submission: nothing was stored. Read the task back (a
    /// replay) and answer the submitter with it; commands meanwhile wait in the stash.
    /// </summary>
    private void OnSubmitDuplicate(TaskSubmitDuplicate d)
    {
        if (_writes.OnDuplicate(d) is null) return;
        if (_settings.SupervisorAdmits) Supervisor.Tell(new AdmissionReleased(_taskId)); // not a new task: it takes no new room
        _duplicateOf = _requester ?? ActorRefs.Nobody;
        _requester = null;
        _work = null;
        _state = TaskState.Empty(_taskId);
        _writes = new TaskWrites(_taskId, 0);
        _recovering = true;
        Journal.Tell(new ReplayTaskEvents(_taskId, Self));
    }

    private void OnCreate(TaskSpec spec, TaskWork? work)
    {
        if (_state.Exists)
        {
            Sender.Tell(new TaskAccepted(Info(), Created: false)); // a reused id names this task: idempotent
            return;
        }
        _work = work;
        _requester = Sender;
        if (_settings.SupervisorAdmits)
        {
            _admitting = spec; // commands wait until the supervisor answers
            Supervisor.Tell(new AdmitTask(_taskId));
            return;
        }
        Decide(new TaskIntent.Submit(spec));
    }

    /// <summary>The node's queue has room (store the submission) or is full (refuse it, storing nothing, and let go).</summary>
    private void OnAdmitted(TaskSpec spec, string? refusal)
    {
        _admitting = null;
        if (refusal is null)
        {
            Decide(new TaskIntent.Submit(spec));
            return;
        }
        _requester?.Tell(new TaskRejected(_taskId, refusal));
        _requester = null;
        _work = null;
        Stash.UnstashAll();
        RequestPassivation(null);
    }

    private void OnCancel(CancelTask c)
    {
        switch (Decide(new TaskIntent.Cancel(c.Reason)))
        {
            case TaskDecision.Persist:
                _requester = Sender;
                break;
            case TaskDecision.Reject j:
                Sender.Tell(new TaskRejected(_taskId, j.Reason));
                break;
            default:
                Sender.Tell(new CancelReply(_taskId, false, _state.Status));
                break;
        }
    }

    private void OnRemove(RemoveTask r)
    {
        switch (Decide(new TaskIntent.Remove(r.CancelIfActive)))
        {
            case TaskDecision.Delete:
                _removeRequesters.Add(Sender);
                BeginRemove();
                break;
            case TaskDecision.Persist:
                _removeRequesters.Add(Sender); // deleted once the cancellation is stored
                break;
            case TaskDecision.Reject j:
                Sender.Tell(new TaskRejected(_taskId, j.Reason));
                break;
            case TaskDecision.Refuse f:
                Sender.Tell(new TaskRejected(_taskId, f.Reason));
                break;
        }
    }

    /// <summary>ReceiveTimeout is armed only while the task runs: it is the deadline.</summary>
    private void OnDeadline()
    {
        if (_state.Status != BackgroundTaskStatus.Running || _state.Deadline is not { } deadline || !_settings.Executes)
        {
            Context.SetReceiveTimeout(null);
            return;
        }
        if (Decide(new TaskIntent.TimeOut()) is TaskDecision.Refuse)
            ArmDeadline(deadline); // woke early (clock granularity): wait for the rest
    }

    /// <summary>
    /// Idle: a finished task (or any task in a process that does not execute) leaves memory; the shard or the
    /// supervisor wakes it again when a message for it arrives. A sharded task waiting for a slot stays: its
    /// node's supervisor holds its place in the queue.
    /// </summary>
    private void OnIdle()
    {
        if (_removing || (_settings.Sharded && _state.Exists && !_state.IsTerminal && _settings.Executes)) return;
        if (_settings.Executes && _state.Status == BackgroundTaskStatus.Running) return;
        if (_waiters.Count == 0 && _subscribers.Count == 0)
            RequestPassivation(_settings.Executes ? _state.CleanupAt : null);
    }

    private void ArmIdle() => Timers.StartSingleTimer(IdleTimer, IdleDue.Instance, _settings.IdleBeforePassivation);

    /// <summary>
    /// Asks to be stopped: a store-only task asks its supervisor (which buffers messages and wakes it on demand), a
    /// sharded entity asks its shard (never Context.Stop: the shard buffers what arrives while the entity stops and starts it again for it).
    /// </summary>
    private void RequestPassivation(DateTimeOffset? cleanupAt)
    {
        if (_settings.Sharded) Context.Parent.Tell(_settings.ShardPassivateMessage!);
        else Supervisor.Tell(new PassivateTask(_taskId, cleanupAt));
    }

    private TaskDecision Decide(TaskIntent intent)
    {
        var decision = TaskLifecycle.Decide(_state, intent, DateTimeOffset.UtcNow, _settings.Executes);
        if (decision is TaskDecision.Persist p) _writes.Write(Journal, p.Event, Self);
        return decision;
    }

    private void OnWritten(TaskEventWritten w)
    {
        switch (_writes.OnWritten(w, Timers))
        {
            case WriteResult.Stale:
                return;
            case WriteResult.Refused:
                // Nothing was stored: the task does not exist; what waited for the submission finds nothing.
                TaskLog.SubmitFailed(_log, w.Error, _taskId, w.Event);
                Supervisor.Tell(new TaskStoreState(_taskId, _writes.StoreError, Retried: false));
                if (_settings.SupervisorAdmits) Supervisor.Tell(new AdmissionReleased(_taskId));
                _requester?.Tell(new TaskRejected(_taskId, $"The task could not be stored: {w.Error!.Message}"));
                _requester = null;
                _work = null;
                Stash.UnstashAll();
                RequestPassivation(null);
                return;
            case WriteResult.Retrying:
                // The task keeps its last stored status; status answers carry the error until the write is stored.
                TaskLog.WriteRetried(_log, w.Error, _taskId, _state, w.Event);
                Supervisor.Tell(new TaskStoreState(_taskId, _writes.StoreError));
                return;
            case WriteResult.StoredAfterRetry:
                Supervisor.Tell(new TaskStoreState(_taskId, null));
                break;
        }
        var before = _state;
        _state = before.Apply(w.Event);
        PraisonTelemetry.Stored(before, _state, w.Event);
        TaskLog.Stored(_log, _state, w.Event);
        Apply(TaskEffects.Of(before, _state, w.Event, _removeRequesters.Count > 0), w.Event);
        Stash.UnstashAll();
    }

    /// <summary>Carries out the effects of a stored event. The supervisor hears of each change before the client does.</summary>
    private void Apply(TaskEffects effects, ITaskEvent e)
    {
        if (effects.Enqueue) Supervisor.Tell(new TaskEnqueued(Info(), _state.Spec!.RecipeMaxConcurrent));
        else if (e is TaskStarted || effects.FreeSlot) Supervisor.Tell(new TaskStatusChanged(Info())); // a retry's wait frees the slot too
        switch (effects.Reply)
        {
            case TaskReplyEffect.Accepted:
                _requester?.Tell(new TaskAccepted(Info()));
                break;
            case TaskReplyEffect.Cancelled:
                _requester?.Tell(new CancelReply(_taskId, true, _state.Status));
                break;
        }
        _requester = null;
        if (effects.StopWork) _run.Stop(_log, _taskId);
        if (effects.StartWork) StartWork();
        if (effects.Publish) Publish();
        if (effects.NotifyWebhook)
            _settings.Webhooks?.Tell(new WebhookDue(Info(), _state.ResultJson, _state.Spec!.WebhookUrl!, _state.Spec.WebhookEvents));
        if (effects.AnswerWaiters)
        {
            var outcome = Outcome();
            foreach (var w in _waiters) w.Tell(outcome);
            _waiters.Clear();
            _subscribers.Clear();
            _work = null;
            Context.SetReceiveTimeout(null);
            ArmIdle();
        }
        if (effects.DeleteNow) BeginRemove();
        else ScheduleCleanup(effects.CleanupAt);
        if (effects.RetryAt is not null)
        {
            Context.SetReceiveTimeout(null);
            AwaitNextAttempt();
        }
        else if (_state.IsTerminal) Timers.Cancel(NextAttemptTimer);
    }

    /// <summary>A failed attempt waits, out of its slot, until its stored next-attempt time; then it asks for a slot again.</summary>
    private void AwaitNextAttempt()
    {
        if (!_settings.Executes || _state.NextAttemptAt is not { } at) return;
        var due = at - DateTimeOffset.UtcNow;
        Timers.StartSingleTimer(NextAttemptTimer, NextAttemptDue.Instance, due > TimeSpan.Zero ? due : TimeSpan.Zero);
    }

    private void OnNextAttemptDue()
    {
        if (!_state.WaitingForRetry) return;
        if (_state.NextAttemptAt > DateTimeOffset.UtcNow) AwaitNextAttempt(); // woke early (clock granularity)
        else Supervisor.Tell(new TaskEnqueued(Info(), _state.Spec!.RecipeMaxConcurrent));
    }

    private void StartWork()
    {
        ArmDeadline(_state.Deadline!.Value);
        // A delegate's code stays until the task ends: a retry runs it again.
        if (!_run.Start(_state, _work, _settings, Self, _log))
            Decide(new TaskIntent.Fail(new TaskError(TaskErrorKind.Interrupted, TaskLifecycle.InterruptedDelegateMessage)));
    }

    private void OnDeleted(TaskEventsDeleted d)
    {
        if (d.Error is not null)
        {
            _removing = false;
            _log.Warning(d.Error, "Task {0}: deleting its events failed; retrying in {1}", _taskId, DeleteRetry);
            Timers.StartSingleTimer(CleanupTimer, CleanupDue.Instance, DeleteRetry);
            Stash.UnstashAll();
            return;
        }
        // From here the id is gone. The supervisor stops us with a PoisonPill, so commands already
        // forwarded to this mailbox are still answered (not found) rather than dead-lettered.
        _removed = true;
        Supervisor.Tell(new TaskRemoved(_taskId));
        foreach (var r in _removeRequesters) r.Tell(new TaskDeleted(_taskId));
        _removeRequesters.Clear();
        if (_settings.Sharded) Context.Parent.Tell(_settings.ShardPassivateMessage!);
        Stash.UnstashAll();
    }

    private void ScheduleCleanup(DateTimeOffset? at)
    {
        if (!_settings.Executes || at is not { } cleanupAt) return;
        var due = cleanupAt - DateTimeOffset.UtcNow;
        if (due <= TimeSpan.Zero) BeginRemove();
        else Timers.StartSingleTimer(CleanupTimer, CleanupDue.Instance, due);
    }

    private void BeginRemove()
    {
        if (_removing) return;
        _removing = true;
        Timers.Cancel(CleanupTimer);
        Journal.Tell(new DeleteTaskEvents(_taskId, _writes.SequenceNr));
    }

    /// <summary>ReceiveTimeout is an idle timer; every message a running task gets is INotInfluenceReceiveTimeout, so it fires at the deadline.</summary>
    private void ArmDeadline(DateTimeOffset deadline)
    {
        var left = deadline - DateTimeOffset.UtcNow;
        Context.SetReceiveTimeout(left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1));
    }

    private void Publish()
    {
        if (_subscribers.Count == 0) return;
        var notice = new TaskUpdateNotice(new TaskUpdate(Info(), ++_updateSeq));
        foreach (var s in _subscribers) s.Tell(notice);
    }

    private TaskStatusInfo Info() => _state.ToInfo(_run.Progress, _writes.StoreError);

    private TaskOutcome Outcome() => new(Info(), _state.ResultJson);

    protected override void PostStop()
    {
        _run.Stop(_log, _taskId);
        // Shards do not remember entities: an unfinished task whose entity stops (a hand-off, a failed replay) must be
        // woken on its shard's next home, which the node's sweeper does. A finished or unknown task needs nothing.
        if (_settings is { Sharded: true, Executes: true } && !_removed && (_recovering || _undecided || (_state.Exists && !_state.IsTerminal)))
            Context.System.EventStream.Publish(new TaskEntityStopped(_taskId));
        base.PostStop();
    }
}
