using System.Text;
using System.Text.Json;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Praison.Actors.Messages;

namespace Praison.Actors.Tasks;

/// <summary>
/// Owns one task: stores its events (through the node's <see cref="Persistence.TaskJournal"/>, which batches
/// every task's writes), runs its work off the mailbox (PipeTo), enforces its timeout with ReceiveTimeout,
/// answers status, waiters and subscribers, and deletes its events once the cleanup delay has passed.
/// It comes to life in one of two ways:
/// <list type="bullet">
/// <item>handed over (a local host): the supervisor, which keeps pending and finished tasks as plain records,
/// gives it the task's state when a slot frees; it runs the task and hands the finished state back;</item>
/// <item>replayed (a cluster entity, or a process that does not execute): it reads its events from the
/// journal and owns the whole lifecycle, as an event-sourced actor would.</item>
/// </list>
/// </summary>
internal sealed class TaskActor : UntypedActor, IWithTimers, IWithUnboundedStash
{
    private const string CleanupTimer = "cleanup";
    private static readonly TimeSpan DeleteRetry = TimeSpan.FromSeconds(30);

    private readonly string _taskId;
    private readonly TaskActorSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly List<IActorRef> _waiters = new();
    private readonly HashSet<IActorRef> _subscribers = new();
    private readonly List<IActorRef> _removeRequesters = new();   // answered TaskDeleted once events are gone
    private readonly Queue<Action<ITaskEvent>> _afterStored = new(); // one per write in flight, in order
    private readonly bool _handedOver;

    private TaskState _state;
    private long _sequenceNr;               // of the last event written (or being written)
    private bool _recovering;
    private TaskWork? _work;               // a delegate task's work: in memory only
    private IActorRef? _createdBy;          // who gets TaskAccepted once Submitted is stored
    private CancellationTokenSource? _runCts;
    private int _runId;
    private TaskProgress? _progress;
    private long _updateSeq;
    private int _persisting;                // writes not yet answered; state changes wait for them
    private bool _removeWhenTerminal;
    private bool _removing;                 // DeleteMessages sent
    private bool _removed;                  // events deleted: the task no longer exists

    public TaskActor(string taskId, TaskActorSettings settings, TaskHandover? handover)
    {
        _taskId = taskId;
        _settings = settings;
        _state = TaskState.Empty(taskId);
        if (handover is null) return;
        _handedOver = true;
        _state = handover.State;
        _sequenceNr = handover.SequenceNr;
        _work = handover.Work;
        _waiters.AddRange(handover.Waiters);
        _subscribers.UnionWith(handover.Subscribers);
        _updateSeq = handover.UpdateSequence;
    }

    /// <summary>
    /// The mailbox is named explicitly (the deque-based one a persistent actor's stash needs anyway): left
    /// implicit, Akka resolves it by reflection on every spawn, which measured as most of the supervisor's time
    /// and halved in-memory throughput.
    /// </summary>
    public static Props Props(string taskId, TaskActorSettings settings, TaskHandover? handover = null) =>
        Akka.Actor.Props.Create(typeof(TaskActor), taskId, settings, handover).WithMailbox(Mailbox);

    private const string Mailbox = "akka.actor.mailbox.unbounded-deque-based";

    public static string PersistenceIdFor(string taskId) => "task-" + taskId;

    public ITimerScheduler Timers { get; set; } = null!;

    public IStash Stash { get; set; } = null!;

    private IActorRef Journal => _settings.Journal ?? throw new InvalidOperationException("TaskActorSettings.Journal is not set.");

    private IActorRef Supervisor => _settings.Supervisor ?? Context.Parent;

    private static DateTimeOffset Now => DateTimeOffset.UtcNow;

    protected override void PreStart()
    {
        if (_handedOver)
        {
            // The supervisor hands a task over only to run it now.
            if (Decide(new TaskIntent.Start()) is TaskDecision.Refuse) ReportState();
            return;
        }
        _recovering = true;
        Journal.Tell(new ReplayTaskEvents(_taskId, Self));
    }

    /// <summary>Replaying: events from the journal, then its highest sequence number; everything else waits.</summary>
    private void OnReplay(object message)
    {
        switch (message)
        {
            case ReplayedMessage { Persistent: var p }:
                if (p.Payload is ITaskEvent e) _state = _state.Apply(e);
                _sequenceNr = p.SequenceNr;
                break;
            case RecoverySuccess r:
                _recovering = false;
                _sequenceNr = Math.Max(_sequenceNr, r.HighestSequenceNr);
                OnRecovered();
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
            // A sharded entity may be started with no message for it (remember-entities, StartEntity): let it go when idle.
            if (_settings.Sharded) Context.SetReceiveTimeout(_settings.IdleBeforePassivation);
            return;
        }
        if (!_settings.Executes)
        {
            // Only a host reconciles and cleans up; here the task is just read or cancelled, then let go.
            Context.SetReceiveTimeout(_settings.IdleBeforePassivation);
            return;
        }
        if (_state.IsTerminal)
        {
            ScheduleCleanup();
            if (_settings.Sharded) Context.SetReceiveTimeout(_settings.IdleBeforePassivation);
            return;
        }
        // Running tasks are re-run or failed, pending delegates are failed (their code is gone); the rest queue.
        if (Decide(new TaskIntent.Recover()) is TaskDecision.None)
            Supervisor.Tell(new TaskEnqueued(Info(), _state.Spec!.RecipeMaxConcurrent));
    }

    protected override void OnReceive(object message)
    {
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
            case TaskEventsDeleted { Error: null }:
                // From here the id is gone. The supervisor stops us with a PoisonPill, so commands already
                // forwarded to this mailbox are still answered (not found) rather than dead-lettered.
                _removed = true;
                Supervisor.Tell(new TaskRemoved(_taskId));
                foreach (var r in _removeRequesters) r.Tell(new TaskDeleted(_taskId));
                _removeRequesters.Clear();
                if (_settings.Sharded) Context.Parent.Tell(_settings.ShardPassivateMessage!);
                return;
            case TaskEventsDeleted f:
                _removing = false;
                _log.Warning(f.Error, "Task {0}: deleting its events failed; retrying in {1}", _taskId, DeleteRetry);
                Timers.StartSingleTimer(CleanupTimer, CleanupDue.Instance, DeleteRetry);
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
            case ITaskCommand when !_state.Exists && _persisting > 0:
                Stash.Stash(); // the submission is being stored: there is nothing to answer from yet
                break;
            // Queries are answered from stored state at once, even while a later write is in flight.
            case ITaskCommand c and not (CreateTask or CreateLocalTask) when !_state.Exists:
                // Woken for an id this journal does not hold: answer, then let the supervisor stop us.
                (c is SubscribeTask sub ? sub.Subscriber : Sender).Tell(new TaskNotFound(_taskId));
                RequestPassivation(null);
                break;
            case GetTaskStatus:
                Sender.Tell(new TaskStatusReply(Info()));
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
                OnProgress(p);
                break;

            // Everything below changes state: it waits until earlier writes are stored.
            case not null when _persisting > 0 && message is ITaskCommand or WorkFinished or ReceiveTimeout or CleanupDue:
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
                if (Decide(new TaskIntent.Start()) is TaskDecision.Refuse && _state.Exists)
                    Supervisor.Tell(new TaskStatusChanged(Info()));
                break;
            case CancelTask c:
                OnCancel(c);
                break;
            case WorkFinished w:
                OnWorkFinished(w);
                break;
            case ReceiveTimeout:
                OnDeadline();
                break;
            case RemoveTask r:
                OnRemove(r);
                break;
            case CleanupDue:
                BeginRemove();
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void OnCreate(TaskSpec spec, TaskWork? work)
    {
        if (_state.Exists)
        {
            Sender.Tell(new TaskRejected(spec.TaskId, $"A task with id '{spec.TaskId}' already exists."));
            return;
        }
        _work = work;
        _createdBy = Sender;
        Decide(new TaskIntent.Submit(spec));
    }

    private void OnCancel(CancelTask c)
    {
        if (!_settings.Executes && _state.Status == BackgroundTaskStatus.Running)
        {
            // Two writers on one persistence id would corrupt it: a running task is cancelled by its host.
            Sender.Tell(new TaskRejected(_taskId,
                $"Task {_taskId} is running in a host process; cancel it through that host (its jobs API)."));
            return;
        }
        var replyTo = Sender;
        if (Decide(new TaskIntent.Cancel(c.Reason), () => replyTo.Tell(new CancelReply(_taskId, true, _state.Status))) is TaskDecision.Refuse)
            replyTo.Tell(new CancelReply(_taskId, false, _state.Status));
    }

    private void OnWorkFinished(WorkFinished w)
    {
        // A result of an earlier run, or of a run already cancelled or timed out, changes nothing.
        if (w.RunId != _runId || _state.Status != BackgroundTaskStatus.Running) return;
        if (w.Error is not null) Decide(new TaskIntent.Fail(w.Error));
        else if (w.Cancelled) Decide(new TaskIntent.Cancel("the work observed cancellation"));
        else Decide(new TaskIntent.Complete(w.ResultJson));
    }

    private void OnDeadline()
    {
        if (_removing) return;
        if (_state.Status != BackgroundTaskStatus.Running || _state.Deadline is not { } deadline || !_settings.Executes)
        {
            // Idle: a finished task (or any task in a process that does not execute) leaves memory; the
            // supervisor wakes it again when a message for it arrives.
            Context.SetReceiveTimeout(null);
            // A sharded task waiting for a slot stays: its node's supervisor holds its place in the queue.
            if (_settings.Sharded && _state.Exists && !_state.IsTerminal) return;
            if (_waiters.Count == 0 && _subscribers.Count == 0)
                RequestPassivation(_settings.Executes ? _state.CleanupAt : null);
            return;
        }
        if (Decide(new TaskIntent.TimeOut()) is TaskDecision.Refuse)
            ArmDeadline(deadline); // woke early (clock granularity): wait for the rest
    }

    private void OnProgress(ProgressReported p)
    {
        if (p.RunId != _runId || _state.Status != BackgroundTaskStatus.Running) return;
        _progress = new TaskProgress(p.Fraction, p.Message, p.At);
        Publish();
    }

    private void OnRemove(RemoveTask r)
    {
        if (_handedOver && _state.IsTerminal)
        {
            Supervisor.Forward(r); // it holds the finished task now (it had our report before this)
            return;
        }
        if (_state.IsTerminal)
        {
            _removeRequesters.Add(Sender);
            BeginRemove();
            return;
        }
        if (!r.CancelIfActive || (!_settings.Executes && _state.Status == BackgroundTaskStatus.Running))
        {
            Sender.Tell(new TaskRejected(_taskId, r.CancelIfActive
                ? $"Task {_taskId} is running in a host process; remove it through that host."
                : $"Task {_taskId} is {_state.Status.ToWireName()}; cancel it first, or remove it with cancelIfActive."));
            return;
        }
        _removeRequesters.Add(Sender);
        _removeWhenTerminal = true;
        Decide(new TaskIntent.Cancel("removed"));
    }

    /// <summary>
    /// Asks to be stopped: a local task asks its supervisor (which buffers messages and wakes it on demand), a
    /// sharded entity asks its shard (never Context.Stop: remember-entities would restart it).
    /// </summary>
    private void RequestPassivation(DateTimeOffset? cleanupAt)
    {
        if (_settings.Sharded) Context.Parent.Tell(_settings.ShardPassivateMessage!);
        else Supervisor.Tell(new PassivateTask(_taskId, cleanupAt));
    }

    /// <summary>Runs the pure decision and, for an accepted one, stores its event and then reacts to it.</summary>
    private TaskDecision Decide(TaskIntent intent, Action? afterStored = null)
    {
        var decision = TaskLifecycle.Decide(_state, intent, Now);
        if (decision is TaskDecision.Persist p)
        {
            _persisting++;
            _afterStored.Enqueue(e =>
            {
                _state = _state.Apply(e);
                OnStored(e);
                afterStored?.Invoke();
            });
            Journal.Tell(new WriteTaskEvent(_taskId, ++_sequenceNr, p.Event));
        }
        return decision;
    }

    /// <summary>A write is answered: the reply it waited for goes out now; a failed write stops the task.</summary>
    private void OnWritten(TaskEventWritten w)
    {
        _persisting--;
        var then = _afterStored.Dequeue();
        if (w.Error is not null)
        {
            _log.Error(w.Error, "Task {0}: storing {1} failed; the task actor stops", _taskId, w.Event.GetType().Name);
            if (w.Event is TaskSubmitted)
                _createdBy?.Tell(new TaskRejected(_taskId, $"The task could not be stored: {w.Error.Message}"));
            Context.Stop(Self);
            return;
        }
        then(w.Event);
        if (_persisting == 0) Stash.UnstashAll();
    }

    private void OnStored(ITaskEvent e)
    {
        switch (e)
        {
            // The supervisor hears of each change before the client does, so a listing never lags behind a reply.
            case TaskSubmitted:
                Supervisor.Tell(new TaskEnqueued(Info(), _state.Spec!.RecipeMaxConcurrent));
                _createdBy?.Tell(new TaskAccepted(Info()));
                _createdBy = null;
                break;
            case TaskStarted:
                ArmDeadline(_state.Deadline!.Value);
                RunWork();
                if (_handedOver) Supervisor.Tell(new TaskStateReport(_state, _sequenceNr, null, null));
                else Supervisor.Tell(new TaskStatusChanged(Info()));
                Publish();
                break;
            case TaskRequeued:
                Supervisor.Tell(new TaskEnqueued(Info(), _state.Spec!.RecipeMaxConcurrent));
                Publish();
                break;
            default: // terminal
                OnTerminal();
                break;
        }
    }

    private void OnTerminal()
    {
        Context.SetReceiveTimeout(_handedOver ? null : _settings.IdleBeforePassivation);
        StopWork();
        var outcome = Outcome();
        if (!_handedOver) Supervisor.Tell(new TaskStatusChanged(outcome.Task));
        foreach (var w in _waiters) w.Tell(outcome);
        _waiters.Clear();
        Publish();
        _subscribers.Clear();
        if (_handedOver) ReportState();
        else if (_removeWhenTerminal) BeginRemove();
        else ScheduleCleanup();
    }

    /// <summary>
    /// Gives a handed-over task's state back to the supervisor, which keeps it from here (a finished task needs
    /// no actor) and stops this one; what is already in the mailbox is still answered from the same state.
    /// </summary>
    private void ReportState()
    {
        Supervisor.Tell(new TaskStateReport(_state, _sequenceNr, _progress, _removeWhenTerminal ? _removeRequesters.ToList() : null));
        _removeRequesters.Clear();
    }

    private void ScheduleCleanup()
    {
        if (!_settings.Executes) return;
        var due = _state.CleanupAt!.Value - Now;
        if (due <= TimeSpan.Zero) BeginRemove();
        else Timers.StartSingleTimer(CleanupTimer, CleanupDue.Instance, due);
    }

    private void BeginRemove()
    {
        if (_removing) return;
        _removing = true;
        Timers.Cancel(CleanupTimer);
        Journal.Tell(new DeleteTaskEvents(_taskId, _sequenceNr));
    }

    /// <summary>ReceiveTimeout is an idle timer; every message a running task gets is INotInfluenceReceiveTimeout, so it fires at the deadline.</summary>
    private void ArmDeadline(DateTimeOffset deadline)
    {
        var left = deadline - Now;
        Context.SetReceiveTimeout(left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1));
    }

    private void RunWork()
    {
        var spec = _state.Spec!;
        TaskWork? work = spec.Kind == TaskKind.Recipe ? RecipeWork(spec) : _work;
        if (work is null)
        {
            // Only a delegate recovered without its code gets here; the lifecycle fails it on recovery.
            Decide(new TaskIntent.Fail(new TaskError(TaskErrorKind.Interrupted, TaskLifecycle.InterruptedDelegateMessage)));
            return;
        }
        _runCts = new CancellationTokenSource();
        var runId = ++_runId;
        _progress = null;
        var context = new TaskContext(_taskId, spec.Name, spec.SessionId, _state.Attempt, _runCts.Token, Self, runId, _log);
        Execute(work, context, runId, _settings.MaxPayloadBytes).PipeTo(Self);
    }

    private TaskWork? RecipeWork(TaskSpec spec)
    {
        if (!_settings.Recipes.TryGet(spec.RecipeName!, out var recipe))
        {
            return _ => throw new RecipeException($"Recipe '{spec.RecipeName}' is not registered in this process.", spec.RecipeName);
        }
        return ctx =>
        {
            var input = spec.InputJson is null ? default : JsonDocument.Parse(spec.InputJson).RootElement.Clone();
            var config = spec.ConfigJson is null
                ? new Dictionary<string, JsonElement>()
                : JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(spec.ConfigJson, PraisonJson.Options)!;
            return recipe.RunAsync(new RecipeContext(ctx, recipe.Template, input, config));
        };
    }

    /// <summary>Runs the work on the thread pool and turns every ending into a message; it never touches actor state.</summary>
    private static Task<WorkFinished> Execute(TaskWork work, TaskContext context, int runId, int maxPayloadBytes) =>
        Task.Run(async () =>
        {
            try
            {
                var result = await work(context).ConfigureAwait(false);
                string? json;
                try
                {
                    json = PraisonJson.Serialize(result);
                }
                catch (Exception ex) when (ex is NotSupportedException or JsonException or InvalidOperationException)
                {
                    return new WorkFinished(runId, null,
                        new TaskError(TaskErrorKind.InvalidResult, $"The result of type {result!.GetType().FullName} is not JSON-serializable: {ex.Message}"), false);
                }
                if (json is not null && Encoding.UTF8.GetByteCount(json) > maxPayloadBytes)
                    return new WorkFinished(runId, null,
                        new TaskError(TaskErrorKind.InvalidResult, $"The result is {Encoding.UTF8.GetByteCount(json)} bytes of JSON, over the limit of {maxPayloadBytes}."), false);
                return new WorkFinished(runId, json, null, false);
            }
            catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
            {
                return new WorkFinished(runId, null, null, true);
            }
            catch (Exception ex)
            {
                return new WorkFinished(runId, null, TaskError.FromException(ex), false);
            }
        });

    private void StopWork()
    {
        if (_runCts is null) return;
        try { _runCts.Cancel(); }
        catch (AggregateException ex) { _log.Warning(ex, "Task {0}: a cancellation callback threw", _taskId); }
        _runCts.Dispose();
        _runCts = null;
    }

    private void Publish()
    {
        if (_subscribers.Count == 0) return;
        var notice = new TaskUpdateNotice(new TaskUpdate(Info(), ++_updateSeq));
        foreach (var s in _subscribers) s.Tell(notice);
    }

    private TaskStatusInfo Info() => _state.ToInfo(_progress);

    private TaskOutcome Outcome() => new(Info(), _state.ResultJson);

    protected override void PostStop()
    {
        StopWork();
        base.PostStop();
    }
}
