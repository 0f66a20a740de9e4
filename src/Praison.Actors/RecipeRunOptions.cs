namespace Praison.Actors;

/// <summary>Options for <see cref="IRecipeRunner.RunBackgroundAsync"/> (praisonai's <c>recipe.run_background</c>).</summary>
public sealed class RecipeRunOptions
{
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
}
