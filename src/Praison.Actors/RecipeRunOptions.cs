namespace Praison.Actors;

/// <summary>Options for <see cref="IRecipeRunner.RunBackgroundAsync"/> (praisonai's <c>recipe.run_background</c>).</summary>
public sealed class RecipeRunOptions
{
    /// <summary>
    /// The run's task id (1–64 of <c>[A-Za-z0-9_-]</c>); null generates one. An id that already names a stored task
    /// stores and runs nothing: the handle names the existing task and its <see cref="ActorHandle.Created"/> is false.
    /// This is what idempotent submission (the jobs API's <c>Idempotency-Key</c>) and schedule slots build on.
    /// </summary>
    public string? TaskId { get; init; }

    /// <summary>Any JSON-serializable value, handed to the recipe as <see cref="RecipeContext.Input"/>.</summary>
    public object? Input { get; init; }

    /// <summary>Per-run configuration, handed to the recipe as <see cref="RecipeContext.Config"/>.</summary>
    public IReadOnlyDictionary<string, object?>? Config { get; init; }

    /// <summary>Groups the run with others for listing and filtering.</summary>
    public string? SessionId { get; init; }

    /// <summary>
    /// Seconds the run may take once started (the unit of the wire and of TEMPLATE.yaml). Null takes
    /// <see cref="Timeout"/>, else the template's <c>runtime.timeout_sec</c>, else 300. Set this or
    /// <see cref="Timeout"/>, not both.
    /// </summary>
    public int? TimeoutSec { get; init; }

    /// <summary>
    /// How long the run may take once started, as a <see cref="TimeSpan"/> like the rest of the C# API. The same
    /// setting as <see cref="TimeoutSec"/>: set one or the other; both is an <see cref="ArgumentException"/>.
    /// </summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Retries with backoff for this run; null takes the recipe's <c>runtime.retry</c>, else one attempt.</summary>
    public RetryPolicy? Retry { get; init; }

    /// <summary>The schedule submitting this run (set by the scheduler only), stored in the task as its schedule name.</summary>
    internal string? ScheduleName { get; init; }
    /// <summary>
    /// Where the run's terminal outcome (succeeded, failed, timed out, cancelled) is POSTed, signed (see README
    /// "Webhooks"). Null takes the template's <c>runtime.job.webhook_url</c>. A URL resolving to a loopback or private
    /// address is an <see cref="ArgumentException"/> unless <see cref="WebhookOptions.AllowPrivateNetworks"/>.
    /// </summary>
    public string? WebhookUrl { get; init; }

    /// <summary>
    /// The outcomes that send the webhook: <c>succeeded</c>/<c>completed</c>, <c>failed</c>, <c>timeout</c>,
    /// <c>cancelled</c>. Null takes the template's <c>runtime.job.events</c>, else every outcome.
    /// </summary>
    public IReadOnlyList<string>? WebhookEvents { get; init; }
}
