namespace Praison.Actors;

/// <summary>Runs registered recipes in the background (praisonai's <c>recipe.run_background</c>).</summary>
public interface IRecipeRunner
{
    /// <summary>
    /// Stores a task for <paramref name="recipeName"/> and returns its handle once stored. Throws
    /// <see cref="RecipeException"/> for an unknown or disabled recipe, <see cref="ArgumentException"/> for bad
    /// options and <see cref="TaskRejectedException"/> when the queue is full; nothing is stored then.
    /// </summary>
    Task<BackgroundTaskHandle> RunBackgroundAsync(string recipeName, RecipeRunOptions? options = null, CancellationToken cancellationToken = default);
}
