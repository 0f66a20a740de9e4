using System.CommandLine;

namespace Praison.Actors.Cli.Recipes;

/// <summary>
/// The model endpoint flags of the commands that run agent recipes in this process (<c>background run</c>,
/// <c>serve</c>): <c>--model</c> (PraisonAI's <c>--llm</c>), <c>--base-url</c> and <c>--api-key-env NAME</c>, each over
/// its <c>OPENAI_*</c> variable. The key itself is never a flag: command lines are visible to every user of the machine.
/// </summary>
public sealed class AgentEndpointFlags
{
    /// <summary>The model agents use when they name none.</summary>
    public Option<string?> Model { get; } = new("--model", "--llm")
    {
        Description = "Model agent recipes use when an agent names none (overrides $OPENAI_MODEL_NAME).",
        HelpName = "NAME",
    };

    /// <summary>The OpenAI-compatible base URL.</summary>
    public Option<string?> BaseUrl { get; } = new("--base-url")
    {
        Description = "OpenAI-compatible endpoint of agent recipes, e.g. http://localhost:11434/v1 (overrides $OPENAI_BASE_URL).",
        HelpName = "URL",
    };

    /// <summary>The environment variable that holds the key.</summary>
    public Option<string?> ApiKeyEnv { get; } = new("--api-key-env")
    {
        Description = "Environment variable holding the endpoint's API key (instead of $OPENAI_API_KEY), e.g. OPENROUTER_API_KEY.",
        HelpName = "NAME",
    };

    /// <summary>Adds the three flags to <paramref name="command"/>.</summary>
    public AgentEndpointFlags AddTo(Command command)
    {
        command.Options.Add(Model);
        command.Options.Add(BaseUrl);
        command.Options.Add(ApiKeyEnv);
        return this;
    }

    /// <summary>The flags given, as shown in messages (empty when none).</summary>
    public string Given(ParseResult parse) => string.Join(", ", new[] { Model, BaseUrl, ApiKeyEnv }
        .Where(o => parse.GetValue(o) is not null).Select(o => o.Name));

    /// <summary>
    /// The endpoint agent recipes run on: the environment (<c>OPENAI_*</c>) with the flags over it; null when no flag
    /// is given (the environment is then read at each run). Bad flags are bad input (exit 2).
    /// </summary>
    public Func<AgentEndpoint>? Endpoint(ParseResult parse, Func<string, string?>? environment = null)
    {
        if (Given(parse).Length == 0) return null;
        environment ??= Environment.GetEnvironmentVariable;
        AgentEndpointOptions options;
        try
        {
            options = AgentEndpointOptions.FromEnvironment(environment);
        }
        catch (AgentConfigurationException ex)
        {
            throw new CliException(ExitCodes.BadInput, ex.Message);
        }
        if (parse.GetValue(Model) is { } model)
            options.Model = string.IsNullOrWhiteSpace(model) ? throw new CliException(ExitCodes.BadInput, "--model is empty: give a model name, e.g. --model gpt-4o-mini.") : model.Trim();
        if (parse.GetValue(BaseUrl) is { } url)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                throw new CliException(ExitCodes.BadInput, $"--base-url must be an http(s) URL such as http://localhost:11434/v1, got '{url}'.");
            options.BaseUrl = url;
        }
        if (parse.GetValue(ApiKeyEnv) is { } name)
        {
            if (string.IsNullOrWhiteSpace(name) || name.Contains('='))
                throw new CliException(ExitCodes.BadInput, $"--api-key-env takes the NAME of an environment variable (e.g. OPENROUTER_API_KEY), got '{name}'.");
            options.ApiKey = environment(name) is { Length: > 0 } key ? key.Trim()
                : throw new CliException(ExitCodes.BadInput, $"--api-key-env {name}: the environment variable {name} is not set (or is empty); export it with the endpoint's API key.");
        }
        var endpoint = new AgentEndpoint(options); // one endpoint, so its chat clients are made once per model
        return () => endpoint;
    }
}
