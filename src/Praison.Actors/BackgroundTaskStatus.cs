namespace Praison.Actors;

/// <summary>Where a background task is in its lifecycle.</summary>
public enum BackgroundTaskStatus
{
    /// <summary>Submitted, waiting for a slot.</summary>
    Pending,
    /// <summary>Its work is running.</summary>
    Running,
    /// <summary>Finished with a result.</summary>
    Completed,
    /// <summary>Finished with an error (including a timeout).</summary>
    Failed,
    /// <summary>Cancelled before it finished.</summary>
    Cancelled,
}

/// <summary>Helpers over <see cref="BackgroundTaskStatus"/>: terminal check and the wire names.</summary>
public static class BackgroundTaskStatusExtensions
{
    /// <summary>True for Completed, Failed and Cancelled: the task will not change again.</summary>
    public static bool IsTerminal(this BackgroundTaskStatus status) =>
        status is BackgroundTaskStatus.Completed or BackgroundTaskStatus.Failed or BackgroundTaskStatus.Cancelled;

    /// <summary>The lower-case wire name used by the CLI and the jobs API.</summary>
    public static string ToWireName(this BackgroundTaskStatus status) => status switch
    {
        BackgroundTaskStatus.Pending => "pending",
        BackgroundTaskStatus.Running => "running",
        BackgroundTaskStatus.Completed => "completed",
        BackgroundTaskStatus.Failed => "failed",
        BackgroundTaskStatus.Cancelled => "cancelled",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    /// <summary>Parses a status name, case-insensitively; throws <see cref="ArgumentException"/> naming the bad value.</summary>
    public static BackgroundTaskStatus ParseStatus(string value) =>
        Enum.TryParse<BackgroundTaskStatus>(value, ignoreCase: true, out var s) && Enum.IsDefined(s)
            ? s
            : throw new ArgumentException(
                $"Unknown task status '{value}'. Expected one of: pending, running, completed, failed, cancelled.",
                nameof(value));
}
