using Akka.Actor;
using Akka.Event;
using Praison.Actors.Lifecycle;
using Praison.Actors.Messages;

namespace Praison.Actors.Tasks;

/// <summary>
/// Runs one task of a local host. The <see cref="TaskSupervisor"/> hands it a task whose Started it has stored (a
/// claimed start) when a work slot frees; it runs the work off its mailbox (PipeTo), tells the supervisor when the work
/// ends (<see cref="WorkEnded"/>: the slot is free before the terminal event is stored), enforces the deadline with ReceiveTimeout (every message
/// it gets is INotInfluenceReceiveTimeout, so polling never pushes the deadline back), stores the terminal event and
/// hands the finished state back in a <see cref="TaskStateReport"/>; the supervisor then stops it. A write that fails
/// is retried (<see cref="TaskWrites"/>) while the task answers with its last stored status and the error.
/// </summary>
internal sealed class TaskRunner : UntypedActor, IWithTimers, IWithUnboundedStash
{
    private readonly TaskActorSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly TaskWrites _writes;
    private readonly TaskWorkRun _run = new();
    private readonly Queue<TaskEventWritten>? _instant; // the ephemeral store: writes are stored at once (TaskWrites)
    private readonly List<IActorRef> _waiters;
    private readonly HashSet<IActorRef> _subscribers;
    private readonly List<IActorRef> _removeRequesters = new();
    private TaskState _state;
    private TaskWork? _work;
    private IActorRef? _requester;              // answered when the write in flight (a cancellation) is stored
    private long _updateSeq;
    private bool _handedBack;                   // a failed attempt waits for its retry in the supervisor: commands go there

    public TaskRunner(TaskActorSettings settings, TaskHandover handover)
    {
        _settings = settings;
        _state = handover.State;
        _instant = settings.InstantWrites ? new Queue<TaskEventWritten>() : null;
        _writes = new TaskWrites(handover.State.TaskId, handover.SequenceNr, _instant);
        _work = handover.Work;
        _waiters = new List<IActorRef>(handover.Waiters);
        _subscribers = new HashSet<IActorRef>(handover.Subscribers);
        _updateSeq = handover.UpdateSequence;
    }

    /// <summary>
    /// The mailbox is named explicitly (<see cref="TaskMailbox"/>, with the deque the stash needs): left implicit, Akka
    /// resolves it by reflection on every spawn, which measured as most of the supervisor's time and halved in-memory throughput.
    /// The actor is built by a producer (a plain constructor call) rather than by reflection over constructor arguments.
    /// </summary>
    public static Props Props(TaskActorSettings settings, TaskHandover handover) =>
        Akka.Actor.Props.CreateBy(new Producer(settings, handover)).WithMailbox(TaskMailbox.Path);

    private sealed class Producer(TaskActorSettings settings, TaskHandover handover) : IIndirectActorProducer
    {
        public Type ActorType => typeof(TaskRunner);

        public ActorBase Produce() => new TaskRunner(settings, handover);

        public void Release(ActorBase actor) { }
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public IStash Stash { get; set; } = null!;

    private string TaskId => _state.TaskId;

    private IActorRef Supervisor => _settings.Supervisor ?? Context.Parent;

    private IActorRef Journal => _settings.Journal ?? throw new InvalidOperationException("TaskActorSettings.Journal is not set.");

    protected override void PreStart()
    {
        // The supervisor stores Started before it hands a task over (a claimed start), so the work begins at once.
        // A pending task (a test's handover) is started here: Started first, then the work.
        if (_state.Status == BackgroundTaskStatus.Running) StartWork(claimed: true);
        else if (Decide(new TaskIntent.Start()) is not TaskDecision.Persist) Report(null); // refused: straight back
        DrainInstant();
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
        if (_handedBack)
        {
            // The supervisor holds the task again (it waits for its next attempt); what reached us meanwhile goes there.
            if (message is ITaskCommand) Supervisor.Forward(message);
            return;
        }
        switch (message)
        {
            case TaskEventWritten w:
                OnWritten(w);
                break;
            case RetryWrite:
                _writes.Retry(Journal, Self);
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
                else if (!_waiters.Contains(Sender)) _waiters.Add(Sender);
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
                Journal.Tell(new RecordTaskProgress(TaskId, p.Fraction, p.Message, p.At)); // the table's copy, coalesced by the journal
                Publish();
                break;
            case StartTask:
                break; // already handed over to run
            case RemoveTask r when _state.IsTerminal:
                Supervisor.Forward(r); // it holds the finished task (it had our report before this)
                break;

            // Everything below changes state: it waits until the write in flight is stored.
            case CancelTask or RemoveTask or WorkFinished or ReceiveTimeout when _writes.Busy:
                Stash.Stash();
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
                // The work is over: its slot goes to the next task now, while the terminal event is being stored.
                // With instant writes the terminal event is stored in this same turn and the report frees the slot.
                if (Decide(TaskIntent.FromWork(w)) is TaskDecision.Persist && _instant is null) Supervisor.Tell(new WorkEnded(TaskId));
                break;
            case ReceiveTimeout:
                OnDeadline();
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void OnCancel(CancelTask c)
    {
        switch (Decide(new TaskIntent.Cancel(c.Reason)))
        {
            case TaskDecision.Persist:
                _requester = Sender;
                break;
            case TaskDecision.Reject j:
                Sender.Tell(new TaskRejected(TaskId, j.Reason));
                break;
            default:
                Sender.Tell(new CancelReply(TaskId, false, _state.Status));
                break;
        }
    }

    private void OnRemove(RemoveTask r)
    {
        switch (Decide(new TaskIntent.Remove(r.CancelIfActive)))
        {
            case TaskDecision.Persist:
                _removeRequesters.Add(Sender); // deleted by the supervisor once the cancellation is stored
                break;
            case TaskDecision.Reject j:
                Sender.Tell(new TaskRejected(TaskId, j.Reason));
                break;
            case TaskDecision.Refuse f:
                Sender.Tell(new TaskRejected(TaskId, f.Reason));
                break;
        }
    }

    private void OnDeadline()
    {
        if (_state.Status != BackgroundTaskStatus.Running || _state.Deadline is not { } deadline)
        {
            Context.SetReceiveTimeout(null);
            return;
        }
        if (Decide(new TaskIntent.TimeOut()) is TaskDecision.Refuse)
            ArmDeadline(deadline); // woke early (clock granularity): wait for the rest
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
            case WriteResult.Retrying or WriteResult.Refused:
                // The task keeps its last stored status; status answers carry the error until the write is stored.
                TaskLog.WriteRetried(_log, w.Error, TaskId, _state, w.Event);
                Supervisor.Tell(new TaskStoreState(TaskId, _writes.StoreError));
                return;
            case WriteResult.StoredAfterRetry:
                Supervisor.Tell(new TaskStoreState(TaskId, null));
                break;
        }
        var before = _state;
        _state = before.Apply(w.Event);
        PraisonTelemetry.Stored(before, _state, w.Event);
        TaskLog.Stored(_log, _state, w.Event);
        Apply(TaskEffects.Of(before, _state, w.Event, _removeRequesters.Count > 0));
        Stash.UnstashAll();
    }

    /// <summary>Carries out the effects of a stored event (enqueueing, cleanup and deletion are the supervisor's).</summary>
    private void Apply(TaskEffects effects)
    {
        if (effects.Reply == TaskReplyEffect.Cancelled) _requester?.Tell(new CancelReply(TaskId, true, _state.Status));
        _requester = null;
        if (effects.StopWork) _run.Stop(_log, TaskId);
        if (effects.StartWork) StartWork(claimed: false);
        if (effects.Publish && effects.RetryAt is null) Publish(); // a retry's wait is published by the supervisor, which holds it
        if (effects.NotifyWebhook) NotifyWebhook();
        if (effects.AnswerWaiters)
        {
            var outcome = Outcome();
            foreach (var w in _waiters) w.Tell(outcome);
            _waiters.Clear();
            _subscribers.Clear();
        }
        if (effects.FreeSlot)
        {
            Context.SetReceiveTimeout(null);
            Report(effects);
        }
        if (_state.IsTerminal) _work = null;
    }

    private void StartWork(bool claimed)
    {
        ArmDeadline(_state.Deadline!.Value);
        // A claimed task is already Running in the supervisor's record; one this runner started is reported.
        if (!claimed) Supervisor.Tell(new TaskStateReport(_state, _writes.SequenceNr, null, null, null));
        // A delegate's code stays here until the task ends: a retry runs it again.
        if (!_run.Start(_state, _work, _settings, Self, _log))
            Decide(new TaskIntent.Fail(new TaskError(TaskErrorKind.Interrupted, TaskLifecycle.InterruptedDelegateMessage)));
    }

    /// <summary>
    /// Gives the finished task back to the supervisor, which keeps it from here and stops this actor; what is
    /// already in the mailbox is still answered from the same state.
    /// </summary>
    private void Report(TaskEffects? effects)
    {
        var report = new TaskStateReport(_state, _writes.SequenceNr, _run.Progress,
            _removeRequesters.Count > 0 ? _removeRequesters.ToList() : null, effects);
        if (report.Retrying)
        {
            // Not finished: the task waits for its next attempt in the supervisor, with whoever waits for or watches it.
            report = report with { Waiters = _waiters.ToList(), Subscribers = _subscribers.ToList(), UpdateSequence = _updateSeq, Work = _work };
            _waiters.Clear();
            _subscribers.Clear();
            _work = null;
            _handedBack = true;
        }
        Supervisor.Tell(report);
        _removeRequesters.Clear();
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

    private void NotifyWebhook() =>
        _settings.Webhooks?.Tell(new WebhookDue(Info(), _state.ResultJson, _state.Spec!.WebhookUrl!, _state.Spec.WebhookEvents));

    protected override void PostStop()
    {
        _run.Stop(_log, TaskId);
        base.PostStop();
    }
}
