namespace Praison.Actors;

/// <summary>
/// The built-in <c>agents</c> recipe: runs the PraisonAI agents file whose text is the input's <c>agents_yaml</c>
/// (the jobs API's <c>agent_file</c> / <c>agent_yaml</c> bodies). The text travels in the task's stored input, so a
/// run interrupted by a restart is run again (<c>on_restart: rerun</c>: at-least-once, so the model is asked again) on
/// the same agents, whatever happened to the file since.
/// </summary>
public sealed class AgentsYamlRecipe : IRecipe
{
    /// <summary>The recipe's name.</summary>
    public const string Name = "agents";

    /// <summary>The input property that holds the agents file's text.</summary>
    public const string YamlInput = "agents_yaml";

    /// <summary>The input property that names where the text came from (for error messages), e.g. the file's path.</summary>
    public const string SourceInput = "agents_source";

    /// <summary>The recipe's TEMPLATE.yaml.</summary>
    public const string TemplateText = """
        name: agents
        description: "Runs the PraisonAI agents file given as input.agents_yaml (the jobs API's agent_file / agent_yaml) on the configured model endpoint."
        version: "1.0"
        runtime:
          timeout_sec: 3600
          background:
            on_restart: rerun
        """;

    private readonly Func<AgentEndpoint> _endpoint;

    /// <summary>The recipe on the endpoint <paramref name="endpoint"/> gives (asked at each run).</summary>
    public AgentsYamlRecipe(Func<AgentEndpoint> endpoint)
    {
        _endpoint = endpoint ?? throw new ArgumentNullException(nameof(endpoint));
        Template = RecipeTemplate.Parse(TemplateText, "built-in agents/TEMPLATE.yaml");
    }

    /// <inheritdoc />
    public RecipeTemplate Template { get; }

    /// <summary>The endpoint the next run will use.</summary>
    public AgentEndpoint Endpoint => _endpoint();

    /// <summary>Parses the input's agents file and runs it as an <see cref="AgentRecipe"/> would.</summary>
    /// <exception cref="RecipeException">The input has no <c>agents_yaml</c>, or it does not parse (file, line, key).</exception>
    public Task<object?> RunAsync(RecipeContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var yaml = context.GetInputString(YamlInput)
            ?? throw new RecipeException($"The '{Name}' recipe needs the agents file's text in input '{YamlInput}'.", Name);
        var agents = AgentsFile.Parse(yaml, context.GetInputString(SourceInput) ?? YamlInput);
        return new AgentRecipe(Template, agents, _endpoint).RunAsync(context);
    }
}
