namespace Praison.Actors.Messages;

/// <summary>
/// Everything needed to (re)run a task, as stored in <see cref="TaskSubmitted"/>. Input and config stay as
/// raw JSON text so the event never depends on the caller's CLR types. <paramref name="WebhookUrl"/> and
/// <paramref name="WebhookEvents"/> (trailing and optional, so events stored before them still read) say where the
/// task's terminal outcome is POSTed and for which outcomes (null: all).
/// </summary>
internal sealed record TaskSpec(
    string TaskId,
    TaskKind Kind,
    string Name,
    string? RecipeName,
    string? SessionId,
    string? InputJson,
    string? ConfigJson,
    long TimeoutMs,
    long CleanupDelayMs,
    int? RecipeMaxConcurrent = null,
    bool RerunOnRestart = false,
    string? TraceParent = null, // W3C trace context of the submitter, so the run's span joins its trace
    string? WebhookUrl = null,
    IReadOnlyList<string>? WebhookEvents = null,
    RetryPolicy? Retry = null,
    string? ScheduleName = null) // the schedule that fired this run, if any (trailing: older events read with none)
{
    /// <summary>The most attempts allowed (1 without a retry policy).</summary>
    public int MaxAttempts => Retry?.MaxAttempts ?? 1;

    public TimeSpan Timeout => TimeSpan.FromMilliseconds(TimeoutMs);
    public TimeSpan CleanupDelay => TimeSpan.FromMilliseconds(CleanupDelayMs);
}
