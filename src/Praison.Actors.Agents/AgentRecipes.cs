namespace Praison.Actors;

/// <summary>
/// Agent recipes: the built-in <c>ask</c> (one agent answering <c>{{input.prompt}}</c>), agents files in recipe
/// folders, and the check a host makes before submitting one (a missing endpoint is a clear error at submit).
/// </summary>
public static class AgentRecipes
{
    /// <summary>The recipe a prompt-only job runs: the built-in <c>ask</c>.</summary>
    public const string DefaultName = "ask";

    /// <summary>The agents file a recipe folder may hold beside its TEMPLATE.yaml.</summary>
    public const string AgentsFileName = "agents.yaml";

    /// <summary>The built-in <c>ask</c> recipe's TEMPLATE.yaml (it declares its one agent inline).</summary>
    public const string AskTemplate = """
        name: ask
        description: "One agent answering {{input.prompt}} on the configured model endpoint (OPENAI_BASE_URL, OPENAI_API_KEY, OPENAI_MODEL_NAME)."
        version: "1.0"
        runtime:
          timeout_sec: 300
        framework: praisonai
        roles:
          assistant:
            role: Assistant
            goal: Answer the user's request accurately and concisely
            backstory: You are a helpful, precise assistant.
            tasks:
              answer:
                description: "{{input.prompt}}"
        """;

    /// <summary>The built-in <c>ask</c> recipe on the endpoint <paramref name="endpoint"/> gives.</summary>
    public static AgentRecipe Ask(Func<AgentEndpoint> endpoint)
    {
        var template = RecipeTemplate.Parse(AskTemplate, "built-in ask/TEMPLATE.yaml");
        return new AgentRecipe(template, AgentsFile.Parse(template.Document!, template.SourcePath!), endpoint);
    }

    /// <summary>
    /// Registers <c>ask</c> and <c>agents</c> (<see cref="AgentsYamlRecipe"/>: an agents file given in the input) in
    /// <paramref name="registry"/>, on the endpoint <paramref name="endpoint"/> gives (default: the environment).
    /// </summary>
    public static RecipeRegistry AddAgentRecipes(this RecipeRegistry registry, Func<AgentEndpoint>? endpoint = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        endpoint ??= AgentEndpoint.FromEnvironment;
        return registry.Register(Ask(endpoint)).Register(new AgentsYamlRecipe(endpoint));
    }

    /// <summary>
    /// The agents recipe of a recipe folder, or null when the folder is not one: its TEMPLATE.yaml declares
    /// <c>roles:</c> (or <c>agents:</c>), or an <c>agents.yaml</c> sits beside it.
    /// </summary>
    /// <param name="folder">The recipe folder.</param>
    /// <param name="template">Its parsed TEMPLATE.yaml.</param>
    /// <param name="endpoint">Gives the endpoint at each run (default: the environment).</param>
    /// <exception cref="RecipeTemplateException">The agents declaration is malformed (names file, line and key).</exception>
    public static AgentRecipe? TryLoadFolder(string folder, RecipeTemplate template, Func<AgentEndpoint>? endpoint = null)
    {
        ArgumentNullException.ThrowIfNull(template);
        endpoint ??= AgentEndpoint.FromEnvironment;
        if (AgentsFile.Declares(template.Document))
            return new AgentRecipe(template, AgentsFile.Parse(template.Document!, template.SourcePath ?? "TEMPLATE.yaml"), endpoint);
        var file = Path.Combine(folder, AgentsFileName);
        if (!File.Exists(file)) return null;
        string text;
        try
        {
            text = File.ReadAllText(file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new RecipeTemplateException(file, 0, 0, "", $"cannot read the file: {ex.Message}");
        }
        return new AgentRecipe(template, AgentsFile.Parse(text, file), endpoint);
    }

    /// <summary>
    /// Throws <see cref="AgentConfigurationException"/> when <paramref name="recipe"/> is an agents recipe whose endpoint
    /// is not usable, so a host refuses the run at submit (exit 2 / 422) instead of failing it later. Other recipes pass.
    /// </summary>
    public static void EnsureRunnable(IRecipe recipe)
    {
        if (recipe is AgentRecipe agents) agents.Endpoint.EnsureUsable();
        else if (recipe is AgentsYamlRecipe yaml) yaml.Endpoint.EnsureUsable();
    }
}
