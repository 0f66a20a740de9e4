namespace Praison.Actors;

/// <summary>Options for one delegate task (<see cref="BackgroundRunner.SubmitAsync{T}"/>).</summary>
public sealed class TaskOptions
{
    /// <summary>
    /// The task's id (1–64 of <c>[A-Za-z0-9_-]</c>); null generates one. Submitting an id that already names a stored
    /// task stores and runs nothing: the returned handle names the existing task and its
    /// <see cref="ActorHandle.Created"/> is false (an id is claimed in the store, so this holds across processes and
    /// cluster nodes until the task's cleanup removes it).
    /// </summary>
    public string? TaskId { get; init; }

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
    /// <summary>Where the task's terminal outcome is POSTed, signed; as <see cref="RecipeRunOptions.WebhookUrl"/>.</summary>
    public string? WebhookUrl { get; init; }

    /// <summary>The outcomes that send the webhook; as <see cref="RecipeRunOptions.WebhookEvents"/> (null: every outcome).</summary>
    public IReadOnlyList<string>? WebhookEvents { get; init; }
}
