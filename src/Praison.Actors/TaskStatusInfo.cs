namespace Praison.Actors;

/// <summary>
/// A snapshot of one task. It converts implicitly to <see cref="BackgroundTaskStatus"/>, so
/// <c>BackgroundTaskStatus s = await handle.StatusAsync();</c> reads as the contract says while the
/// snapshot still carries progress, times and error.
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
    int Attempt = 0)
{
    public bool IsTerminal => Status.IsTerminal();

    public static implicit operator BackgroundTaskStatus(TaskStatusInfo info) => info.Status;
}
