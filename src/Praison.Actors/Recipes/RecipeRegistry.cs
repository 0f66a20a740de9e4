using System.Collections.Concurrent;

namespace Praison.Actors;

/// <summary>The recipes a runner knows, by name. Thread-safe; register before or while the runner runs.</summary>
public sealed class RecipeRegistry
{
    private readonly ConcurrentDictionary<string, IRecipe> _recipes = new(StringComparer.Ordinal);

    /// <summary>Adds <paramref name="recipe"/>; a second recipe with the same name is an <see cref="ArgumentException"/>.</summary>
    public RecipeRegistry Register(IRecipe recipe)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        if (!_recipes.TryAdd(recipe.Template.Name, recipe))
            throw new ArgumentException($"A recipe named '{recipe.Template.Name}' is already registered.", nameof(recipe));
        return this;
    }

    /// <summary>Registers a delegate as a recipe, with its TEMPLATE.yaml text.</summary>
    public RecipeRegistry Register(string templateYaml, Func<RecipeContext, Task<object?>> run, string source = "TEMPLATE.yaml") =>
        Register(new DelegateRecipe(RecipeTemplate.Parse(templateYaml, source), run));

    /// <summary>Finds the recipe named <paramref name="name"/> without throwing.</summary>
    public bool TryGet(string name, out IRecipe recipe) => _recipes.TryGetValue(name, out recipe!);

    /// <summary>The recipe named <paramref name="name"/>, or a <see cref="RecipeException"/> listing the known names.</summary>
    public IRecipe Get(string name)
    {
        if (string.IsNullOrWhiteSpace(name))
            throw new RecipeException("A recipe name is required (it was empty).");
        if (_recipes.TryGetValue(name, out var r)) return r;
        var known = _recipes.Keys.Order(StringComparer.Ordinal).ToList();
        throw new RecipeException(
            $"Unknown recipe '{name}'. " + (known.Count == 0 ? "No recipes are registered." : $"Known recipes: {string.Join(", ", known)}."),
            name);
    }

    /// <summary>The registered recipes' templates, by name.</summary>
    public IReadOnlyList<RecipeTemplate> List() =>
        _recipes.Values.Select(r => r.Template).OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
}
