using Praison.Actors.Messages;

namespace Praison.Actors.Lifecycle;

/// <summary>
/// One task's lifecycle as a pure value: events in, new state out. The task actors persist events and
/// applies them here; nothing in this type touches actors, clocks or I/O.
/// </summary>
internal sealed record TaskState(
    string TaskId,
    TaskSpec? Spec,
    BackgroundTaskStatus Status,
    int Attempt,
    DateTimeOffset? SubmittedAt,
    DateTimeOffset? FirstStartedAt,
    DateTimeOffset? FinishedAt,
    string? ResultJson,
    TaskError? Error)
{
    /// <summary>When the current attempt first started (kept across a restart's rerun, cleared by a retry): its deadline counts from here.</summary>
    public DateTimeOffset? AttemptStartedAt { get; init; }

    /// <summary>While waiting between attempts: when the next attempt may start.</summary>
    public DateTimeOffset? NextAttemptAt { get; init; }

    /// <summary>The error of every failed attempt, oldest first.</summary>
    public IReadOnlyList<TaskError> AttemptErrors { get => _attemptErrors; init => _attemptErrors = ValueList<TaskError>.Of(value); }

    private readonly ValueList<TaskError> _attemptErrors = ValueList<TaskError>.Empty;

    /// <summary>Pending because an attempt failed and the next one waits for <see cref="NextAttemptAt"/>.</summary>
    public bool WaitingForRetry => Status == BackgroundTaskStatus.Pending && NextAttemptAt is not null;

    public static TaskState Empty(string taskId) =>
        new(taskId, null, BackgroundTaskStatus.Pending, 0, null, null, null, null, null);

    /// <summary>False until the Submitted event is applied: the task does not exist yet.</summary>
    public bool Exists => Spec is not null;

    public bool IsTerminal => Exists && Status.IsTerminal();

    /// <summary>
    /// The deadline of the current attempt counts from its first persisted start, so a restart never grants a fresh
    /// timeout; each retry's attempt gets its own.
    /// </summary>
    public DateTimeOffset? Deadline => AttemptStartedAt + Spec?.Timeout;

    /// <summary>When a finished task's events are deleted.</summary>
    public DateTimeOffset? CleanupAt => FinishedAt + Spec?.CleanupDelay;

    public TaskState Apply(ITaskEvent e) => e switch
    {
        TaskSubmitted s => this with { Spec = s.Spec, Status = BackgroundTaskStatus.Pending, SubmittedAt = s.At },
        TaskStarted s => this with
        {
            Status = BackgroundTaskStatus.Running, Attempt = s.Attempt, FirstStartedAt = FirstStartedAt ?? s.At,
            AttemptStartedAt = AttemptStartedAt ?? s.At, NextAttemptAt = null,
        },
        TaskRetryScheduled r => this with
        {
            Status = BackgroundTaskStatus.Pending, Attempt = r.Attempt, AttemptStartedAt = null, NextAttemptAt = r.NextAttemptAt,
            AttemptErrors = [.. AttemptErrors, r.Error],
        },
        TaskRetriesExhausted x => this with
        {
            Status = BackgroundTaskStatus.Failed, Attempt = x.Attempt, Error = ExhaustedError(x), FinishedAt = x.At,
            AttemptErrors = [.. AttemptErrors, x.Error],
        },
        TaskRequeued => this with { Status = BackgroundTaskStatus.Pending },
        TaskCompleted c => this with { Status = BackgroundTaskStatus.Completed, ResultJson = c.ResultJson, FinishedAt = c.At },
        TaskFailed f => this with { Status = BackgroundTaskStatus.Failed, Error = f.Error, FinishedAt = f.At },
        TaskCancelled c => this with { Status = BackgroundTaskStatus.Cancelled, FinishedAt = c.At },
        _ => throw new ArgumentOutOfRangeException(nameof(e), e.GetType().Name, "Unknown task event."),
    };

    /// <summary>The task's error once every attempt failed: the last attempt's message, type and stack, under kind RetriesExhausted.</summary>
    public static TaskError ExhaustedError(TaskRetriesExhausted x) =>
        new(TaskErrorKind.RetriesExhausted, $"All {x.Attempt} attempts failed; the last: {x.Error.Message}", x.Error.ErrorType, x.Error.StackTrace);

    public TaskStatusInfo ToInfo(TaskProgress? progress = null, string? storeError = null)
    {
        var spec = Spec ?? throw new InvalidOperationException($"Task {TaskId} has not been submitted.");
        return new TaskStatusInfo(TaskId, spec.Kind, spec.Name, spec.RecipeName, spec.SessionId, Status,
            SubmittedAt!.Value, FirstStartedAt, FinishedAt, progress, Error, Attempt, storeError)
        {
            MaxAttempts = spec.MaxAttempts, NextAttemptAt = NextAttemptAt, AttemptErrors = AttemptErrors, ScheduleName = spec.ScheduleName,
        };
    }
}
