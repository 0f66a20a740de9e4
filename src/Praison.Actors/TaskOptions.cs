namespace Praison.Actors;

/// <summary>Options for one delegate task (<see cref="BackgroundRunner.SubmitAsync{T}"/>).</summary>
public sealed class TaskOptions
{
    /// <summary>A display name, used in listings and filters. Defaults to "task".</summary>
    public string? Name { get; init; }

    /// <summary>Groups tasks for listing.</summary>
    public string? SessionId { get; init; }

    /// <summary>How long the work may run once started; null takes the runner's default (300 s).</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>How long a finished task keeps its result; null takes the runner's default (3600 s).</summary>
    public TimeSpan? CleanupDelay { get; init; }

    /// <summary>Retries with backoff when an attempt fails or times out; null: one attempt (the host default).</summary>
    public RetryPolicy? Retry { get; init; }
}
