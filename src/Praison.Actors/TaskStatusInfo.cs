namespace Praison.Actors;

/// <summary>
/// A snapshot of one task. It converts implicitly to <see cref="BackgroundTaskStatus"/>, so
/// <c>BackgroundTaskStatus s = await handle.StatusAsync();</c> reads as the contract says while the
/// snapshot still carries progress, times and error. <see cref="StoreError"/> is the last write error while a
/// write of this task is being retried (the status is then the last one stored), null otherwise. A task with a
/// <see cref="RetryPolicy"/> shows its <see cref="Attempt"/>, <see cref="MaxAttempts"/>, <see cref="NextAttemptAt"/>
/// (Pending between attempts) and <see cref="AttemptErrors"/>.
/// </summary>
public sealed record TaskStatusInfo(
    string TaskId,
    TaskKind Kind,
    string Name,
    string? RecipeName,
    string? SessionId,
    BackgroundTaskStatus Status,
    DateTimeOffset SubmittedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    TaskProgress? Progress,
    TaskError? Error,
    int Attempt = 0,
    string? StoreError = null)
{
    /// <summary>The most attempts the task's retry policy allows (1 without a policy).</summary>
    public int MaxAttempts { get; init; } = 1;

    /// <summary>While the task waits between two attempts: when the next one may start (stored, so a restart keeps it).</summary>
    public DateTimeOffset? NextAttemptAt { get; init; }

    /// <summary>The schedule whose slot (or run-now, or backfill) submitted this task; null for a task submitted directly.</summary>
    public string? ScheduleName { get; init; }

    /// <summary>The error of every failed attempt so far, oldest first (empty when none failed).</summary>
    public IReadOnlyList<TaskError> AttemptErrors { get => _attemptErrors; init => _attemptErrors = ValueList<TaskError>.Of(value); }

    private readonly ValueList<TaskError> _attemptErrors = ValueList<TaskError>.Empty;

    /// <summary>The error of the last failed attempt, null when none failed.</summary>
    public TaskError? LastError => AttemptErrors.Count > 0 ? AttemptErrors[^1] : Error;

    /// <summary>Completed, Failed or Cancelled: the status will not change again.</summary>
    public bool IsTerminal => Status.IsTerminal();

    /// <summary>The snapshot's status, so a snapshot reads as a <see cref="BackgroundTaskStatus"/>.</summary>
    public static implicit operator BackgroundTaskStatus(TaskStatusInfo info) => info.Status;
}
