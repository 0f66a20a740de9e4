namespace Praison.Actors;

/// <summary>
/// A snapshot of one task. It converts implicitly to <see cref="BackgroundTaskStatus"/>, so
/// <c>BackgroundTaskStatus s = await handle.StatusAsync();</c> reads as the contract says while the
/// snapshot still carries progress, times and error. <see cref="StoreError"/> is the last write error while a
/// write of this task is being retried (the status is then the last one stored), null otherwise.
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
    /// <summary>Completed, Failed or Cancelled: the status will not change again.</summary>
    public bool IsTerminal => Status.IsTerminal();

    /// <summary>The snapshot's status, so a snapshot reads as a <see cref="BackgroundTaskStatus"/>.</summary>
    public static implicit operator BackgroundTaskStatus(TaskStatusInfo info) => info.Status;
}
