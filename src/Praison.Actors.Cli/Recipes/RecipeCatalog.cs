namespace Praison.Actors.Cli.Recipes;

/// <summary>
/// The recipes the CLI knows: the built-ins plus every folder under the recipes directory that holds a
/// TEMPLATE.yaml. A folder whose template is broken does not stop the others from loading; asking for it by
/// name reports its error (file, line, key).
/// </summary>
public sealed class RecipeCatalog
{
    /// <summary>The file that makes a folder a recipe.</summary>
    public const string TemplateFile = "TEMPLATE.yaml";

    private RecipeCatalog(RecipeRegistry registry, IReadOnlyDictionary<string, RecipeException> broken, string recipesDir)
    {
        Registry = registry;
        Broken = broken;
        RecipesDirectory = recipesDir;
    }

    /// <summary>The recipes that loaded.</summary>
    public RecipeRegistry Registry { get; }

    /// <summary>Folder name → why its recipe could not be loaded.</summary>
    public IReadOnlyDictionary<string, RecipeException> Broken { get; }

    /// <summary>The folder the recipes were read from.</summary>
    public string RecipesDirectory { get; }

    /// <summary>
    /// The built-ins and the folders under <paramref name="recipesDir"/>. <paramref name="host"/> (default: the
    /// current directory, nothing recorded) is the root the built-ins read under and where steps are recorded.
    /// Agent recipes run on <paramref name="agentEndpoint"/> (default: the environment's <c>OPENAI_*</c>, read at each run).
    /// </summary>
    public static RecipeCatalog Load(string recipesDir, RecipeHost? host = null, Func<AgentEndpoint>? agentEndpoint = null)
    {
        host ??= RecipeHost.ForCurrentDirectory();
        var registry = new RecipeRegistry();
        foreach (var recipe in BuiltInRecipes.All(host.Root)) registry.Register(recipe);
        registry.AddAgentRecipes(agentEndpoint); // `ask` and `agents`, on the flags' endpoint or the environment's (OPENAI_*)

        var broken = new Dictionary<string, RecipeException>(StringComparer.Ordinal);
        var full = Path.GetFullPath(recipesDir);
        if (Directory.Exists(full))
        {
            foreach (var folder in Directory.EnumerateDirectories(full).Order(StringComparer.Ordinal))
            {
                var file = Path.Combine(folder, TemplateFile);
                if (!File.Exists(file)) continue;
                try
                {
                    registry.Register(LoadFolder(folder, file, registry, host.DataDir, agentEndpoint));
                }
                catch (RecipeException ex)
                {
                    broken[Path.GetFileName(folder)] = ex;
                }
            }
        }
        return new RecipeCatalog(registry, broken, full);
    }

    private static IRecipe LoadFolder(string folder, string file, RecipeRegistry registry, string? dataDir, Func<AgentEndpoint>? agentEndpoint)
    {
        var template = RecipeTemplate.Load(file);
        if (registry.TryGet(template.Name, out var existing))
            throw new RecipeException(
                $"{file}: recipe name '{template.Name}' is already taken by {existing.Template.SourcePath ?? "another recipe"}; rename one of them.",
                template.Name);
        // A PraisonAI agents recipe: roles: in the template, or an agents.yaml beside it.
        if (AgentRecipes.TryLoadFolder(folder, template, agentEndpoint) is { } agents) return agents;
        var steps = StepDefinition.Parse(template)
            ?? throw new RecipeTemplateException(file, 1, 1, "steps",
                "a folder recipe needs 'steps:' (commands to run); code recipes are registered in code");
        return new StepRecipe(template, folder, steps, dataDir);
    }

    /// <summary>The recipe called <paramref name="name"/>; a broken folder of that name reports its own error.</summary>
    public IRecipe Get(string name)
    {
        if (Registry.TryGet(name, out var recipe)) return recipe;
        if (Broken.TryGetValue(name, out var error)) throw error;
        var brokenByName = Broken.Values.FirstOrDefault(e => e.RecipeName == name);
        if (brokenByName is not null) throw brokenByName;
        try
        {
            return Registry.Get(name); // throws the registry's "unknown recipe, known ones are ..." message
        }
        catch (RecipeException ex) when (Broken.Count > 0)
        {
            throw new RecipeException(
                $"{ex.Message} Some recipe folders in {RecipesDirectory} could not be loaded: {string.Join(", ", Broken.Keys)} (see `praison-actors recipes list`).",
                name);
        }
    }
}
