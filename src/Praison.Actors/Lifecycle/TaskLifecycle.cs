using Praison.Actors.Messages;

namespace Praison.Actors.Lifecycle;

/// <summary>What should happen to a task: the pure input of <see cref="TaskLifecycle.Decide"/>.</summary>
internal abstract record TaskIntent
{
    /// <summary>How the end of a run becomes an intent: the runner and the entity read a run's ending the same way.</summary>
    public static TaskIntent FromWork(WorkFinished w) =>
        w.Error is not null ? new Fail(w.Error)
        : w.Cancelled ? new Cancel("the work observed cancellation")
        : new Complete(w.ResultJson);

    public sealed record Submit(TaskSpec Spec) : TaskIntent;
    public sealed record Start : TaskIntent;
    public sealed record Complete(string? ResultJson) : TaskIntent;
    public sealed record Fail(TaskError Error) : TaskIntent;
    public sealed record Cancel(string Reason) : TaskIntent;
    /// <summary>The deadline timer fired.</summary>
    public sealed record TimeOut : TaskIntent;
    /// <summary>The task was recovered after a restart of its process.</summary>
    public sealed record Recover : TaskIntent;
    /// <summary>Delete the task's events; an active task is cancelled first only when <paramref name="CancelIfActive"/>.</summary>
    public sealed record Remove(bool CancelIfActive) : TaskIntent;
}

/// <summary>The answer of <see cref="TaskLifecycle.Decide"/>: persist one event, or refuse with a reason.</summary>
internal abstract record TaskDecision
{
    public sealed record Persist(ITaskEvent Event) : TaskDecision;
    /// <summary>Nothing changes; the requester is told how the task stands (e.g. a cancel of a finished task answers false).</summary>
    public sealed record Refuse(string Reason) : TaskDecision;
    /// <summary>Refused as an error: the requester gets <see cref="TaskRejected"/> with the reason.</summary>
    public sealed record Reject(string Reason) : TaskDecision;
    /// <summary>Delete the task's events now (a finished task being removed).</summary>
    public sealed record Delete : TaskDecision;
    /// <summary>Nothing to do and nothing wrong (e.g. recovering a task that needs no change).</summary>
    public sealed record None : TaskDecision;
}

/// <summary>
/// The task lifecycle's command decisions: Pending → Running → Completed | Failed | Cancelled; with a retry policy a
/// failed attempt goes Running → Pending (RetryScheduled: waiting until NextAttemptAt) → Running, until the last
/// allowed attempt fails (RetriesExhausted → Failed).
/// </summary>
internal static class TaskLifecycle
{
    public const string InterruptedDelegateMessage =
        "The process stopped while this task ran. Its work is in-process code (a delegate), which cannot be resumed after a restart.";

    public const string InterruptedPendingDelegateMessage =
        "The process stopped before this task started. Its work is in-process code (a delegate), which cannot be run after a restart.";

    public const string InterruptedRecipeMessage =
        "The process stopped while this recipe ran, and its TEMPLATE.yaml does not declare runtime.background.on_restart: rerun.";

    /// <summary>
    /// Decides what <paramref name="intent"/> does to a task. <paramref name="executes"/> is false in a process that
    /// only stores and reads tasks (a CLI next to a host): there a Running task belongs to the host that runs it, and
    /// two writers on one task would corrupt it, so it is neither cancelled nor removed there.
    /// </summary>
    public static TaskDecision Decide(TaskState state, TaskIntent intent, DateTimeOffset now, bool executes = true)
    {
        if (intent is TaskIntent.Submit submit)
            return state.Exists
                ? new TaskDecision.Refuse($"Task {state.TaskId} already exists.")
                : new TaskDecision.Persist(new TaskSubmitted(submit.Spec, now));

        if (!state.Exists)
            return new TaskDecision.Refuse($"Task {state.TaskId} does not exist.");
        if (intent is TaskIntent.Remove remove)
            return DecideRemove(state, remove, now, executes);
        if (intent is TaskIntent.Cancel && !executes && state.Status == BackgroundTaskStatus.Running)
            return new TaskDecision.Reject(RunningElsewhereCancelMessage(state.TaskId));
        if (state.IsTerminal)
            return intent is TaskIntent.Recover
                ? new TaskDecision.None()
                : new TaskDecision.Refuse($"Task {state.TaskId} is already {state.Status.ToWireName()}.");

        return (state.Status, intent) switch
        {
            (BackgroundTaskStatus.Pending, TaskIntent.Start) when state.Deadline <= now =>
                new TaskDecision.Persist(AttemptFailed(state, TimeoutError(state), RetryOn.Timeout, now)),
            (BackgroundTaskStatus.Pending, TaskIntent.Start) =>
                new TaskDecision.Persist(new TaskStarted(state.Attempt + 1, now)),
            (_, TaskIntent.Cancel c) => new TaskDecision.Persist(new TaskCancelled(c.Reason, now)),
            (BackgroundTaskStatus.Running, TaskIntent.Complete c) => new TaskDecision.Persist(new TaskCompleted(c.ResultJson, now)),
            (BackgroundTaskStatus.Running, TaskIntent.Fail f) => new TaskDecision.Persist(AttemptFailed(state, f.Error, RetryOn.Failed, now)),
            (BackgroundTaskStatus.Running, TaskIntent.TimeOut) when now >= state.Deadline =>
                new TaskDecision.Persist(AttemptFailed(state, TimeoutError(state), RetryOn.Timeout, now)),
            (BackgroundTaskStatus.Running, TaskIntent.TimeOut) => new TaskDecision.Refuse("The deadline has not passed yet."),
            (BackgroundTaskStatus.Running, TaskIntent.Recover) => DecideRecoveredRunning(state, now),
            (BackgroundTaskStatus.Pending, TaskIntent.Recover) when state.Spec!.Kind == TaskKind.Delegate =>
                new TaskDecision.Persist(new TaskFailed(new TaskError(TaskErrorKind.Interrupted, InterruptedPendingDelegateMessage), now)),
            (BackgroundTaskStatus.Pending, TaskIntent.Recover) => new TaskDecision.None(),
            (BackgroundTaskStatus.Running, TaskIntent.Start) => new TaskDecision.Refuse($"Task {state.TaskId} is already running."),
            _ => new TaskDecision.Refuse($"Task {state.TaskId} is {state.Status.ToWireName()}: cannot {IntentName(intent)}."),
        };
    }

    public static string RunningElsewhereCancelMessage(string taskId) =>
        $"Task {taskId} is running in a host process; cancel it through that host (its jobs API).";

    /// <summary>A finished task is deleted now; an active one is refused, or cancelled first (then deleted once that is stored).</summary>
    private static TaskDecision DecideRemove(TaskState state, TaskIntent.Remove remove, DateTimeOffset now, bool executes)
    {
        if (state.IsTerminal) return new TaskDecision.Delete();
        if (!remove.CancelIfActive)
            return new TaskDecision.Reject(
                $"Task {state.TaskId} is {state.Status.ToWireName()}; cancel it first, or remove it with cancelIfActive.");
        if (!executes && state.Status == BackgroundTaskStatus.Running)
            return new TaskDecision.Reject($"Task {state.TaskId} is running in a host process; remove it through that host.");
        return new TaskDecision.Persist(new TaskCancelled(RemovedReason, now));
    }

    /// <summary>The reason stored when a task is cancelled to be removed.</summary>
    public const string RemovedReason = "removed";

    private static TaskDecision DecideRecoveredRunning(TaskState state, DateTimeOffset now)
    {
        var spec = state.Spec!;
        if (spec.Kind == TaskKind.Delegate)
            return new TaskDecision.Persist(new TaskFailed(new TaskError(TaskErrorKind.Interrupted, InterruptedDelegateMessage), now));
        if (!spec.RerunOnRestart)
            return new TaskDecision.Persist(new TaskFailed(new TaskError(TaskErrorKind.Interrupted, InterruptedRecipeMessage), now));
        if (state.Deadline <= now)
            return new TaskDecision.Persist(AttemptFailed(state, TimeoutError(state), RetryOn.Timeout, now));
        return new TaskDecision.Persist(new TaskRequeued("process restarted while running; on_restart: rerun", now));
    }

    /// <summary>
    /// The event for a failed attempt: a stored wait for the next attempt when the task's retry policy retries this
    /// ending and allows another attempt; the end of the retries when it retries this ending but none is left; a plain
    /// failure otherwise (no policy, or an ending the policy does not retry, such as an interruption).
    /// </summary>
    private static ITaskEvent AttemptFailed(TaskState state, TaskError error, RetryOn ending, DateTimeOffset now)
    {
        if (state.Spec!.Retry is not { MaxAttempts: > 1 } policy || (policy.RetryOn & ending) == 0
            || error.Kind is TaskErrorKind.Interrupted)
            return new TaskFailed(error, now);
        var attempt = Math.Max(1, state.Attempt);
        if (attempt >= policy.MaxAttempts) return new TaskRetriesExhausted(attempt, error, now);
        return new TaskRetryScheduled(attempt, error, now + RetryDelay(policy, state.TaskId, attempt), now);
    }

    /// <summary>
    /// The wait after failed attempt <paramref name="attempt"/>. Jitter takes off up to half of it, by a fraction drawn
    /// from the task id and the attempt: spread across tasks, yet the same every time it is decided (pure, testable).
    /// </summary>
    public static TimeSpan RetryDelay(RetryPolicy policy, string taskId, int attempt)
    {
        var delay = policy.DelayAfter(attempt);
        if (!policy.Jitter || delay <= TimeSpan.Zero) return delay;
        var hash = 2166136261u; // FNV-1a: stable across processes, unlike string.GetHashCode
        foreach (var c in taskId) hash = (hash ^ c) * 16777619u;
        hash = (hash ^ (uint)attempt) * 16777619u;
        var fraction = (hash % 10_000) / 10_000.0;
        return TimeSpan.FromTicks(delay.Ticks - (long)(delay.Ticks * 0.5 * fraction));
    }

    private static TaskError TimeoutError(TaskState state) =>
        new(TaskErrorKind.Timeout, $"Task ran longer than its timeout of {state.Spec!.Timeout.TotalSeconds:0.###} s.");

    private static string IntentName(TaskIntent intent) => intent.GetType().Name.ToLowerInvariant();
}
