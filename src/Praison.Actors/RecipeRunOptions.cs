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

    /// <summary>Seconds the run may take once started. Null takes the template's <c>runtime.timeout_sec</c>, else 300.</summary>
    public int? TimeoutSec { get; init; }
}
