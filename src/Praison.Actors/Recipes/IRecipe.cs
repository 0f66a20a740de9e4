namespace Praison.Actors;

/// <summary>A named unit of work declared by a TEMPLATE.yaml. Register it in a <see cref="RecipeRegistry"/>.</summary>
public interface IRecipe
{
    /// <summary>The recipe's parsed TEMPLATE.yaml: name, defaults and background settings.</summary>
    RecipeTemplate Template { get; }

    /// <summary>Runs once per task. Observe <see cref="TaskContext.CancellationToken"/>; return a JSON-serializable result.</summary>
    Task<object?> RunAsync(RecipeContext context);
}

/// <summary>A recipe from a template and a delegate.</summary>
public sealed class DelegateRecipe(RecipeTemplate template, Func<RecipeContext, Task<object?>> run) : IRecipe
{
    /// <summary>The template the delegate was registered with.</summary>
    public RecipeTemplate Template { get; } = template;

    /// <summary>Runs the delegate with <paramref name="context"/>.</summary>
    public Task<object?> RunAsync(RecipeContext context) => run(context);
}
