namespace Praison.Actors;

/// <summary>A named unit of work declared by a TEMPLATE.yaml. Register it in a <see cref="RecipeRegistry"/>.</summary>
public interface IRecipe
{
    RecipeTemplate Template { get; }

    /// <summary>Runs once per task. Observe <see cref="TaskContext.CancellationToken"/>; return a JSON-serializable result.</summary>
    Task<object?> RunAsync(RecipeContext context);
}

/// <summary>A recipe from a template and a delegate.</summary>
public sealed class DelegateRecipe(RecipeTemplate template, Func<RecipeContext, Task<object?>> run) : IRecipe
{
    public RecipeTemplate Template { get; } = template;

    public Task<object?> RunAsync(RecipeContext context) => run(context);
}
