namespace Praison.Actors.Server;

/// <summary>Settings of the jobs API.</summary>
public sealed class PraisonJobsOptions
{
    /// <summary>1 MiB (the runner's default <see cref="BackgroundRunnerOptions.MaxPayloadBytes"/> for the input) plus 64 KiB for the rest of the body.</summary>
    public const long DefaultMaxRequestBodyBytes = 1024 * 1024 + 64 * 1024;

    /// <summary>The environment variable the API key is read from when <see cref="ApiKey"/> is not set.</summary>
    public const string ApiKeyVariable = "PRAISON_JOBS_API_KEY";

    /// <summary>PraisonAI's name for the same variable, read when <see cref="ApiKeyVariable"/> is not set.</summary>
    public const string PraisonAiApiKeyVariable = "PRAISONAI_JOBS_API_KEY";

    /// <summary>
    /// How long a run's event stream may stay quiet before it sends a <c>heartbeat</c> event (praisonai: 5 s), so
    /// clients and proxies see the stream is alive.
    /// </summary>
    public TimeSpan StreamHeartbeat { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The largest request body <c>POST /api/v1/runs</c> reads, in bytes; a bigger one is answered 413 naming this
    /// limit, without reading it past the limit. The input and config inside are each held to the runner's
    /// <see cref="BackgroundRunnerOptions.MaxPayloadBytes"/> as well.
    /// </summary>
    public long MaxRequestBodyBytes { get; init; } = DefaultMaxRequestBodyBytes;

    /// <summary>
    /// The recipe a job without <c>recipe_name</c> runs (PraisonAI's prompt-only job), with the prompt as its input;
    /// null: such a job is a 422 that says how to configure one. <c>serve</c> names its built-in agent recipe
    /// <c>ask</c> here.
    /// </summary>
    public string? DefaultRecipe { get; init; }

    /// <summary>
    /// Checked before a job's recipe run is stored; an exception it throws refuses the job with a 422 carrying its
    /// message (<c>serve</c>: an agents recipe without a usable model endpoint), and nothing is stored.
    /// </summary>
    public Action<IRecipe>? CheckRecipe { get; init; }

    /// <summary>
    /// The folder a job's <c>agent_file</c> must lie in (resolved with <c>..</c> and symlinks followed; a path that
    /// leaves it is a 422). Null: <c>agent_file</c> jobs are refused with a 422 saying how to configure it
    /// (<c>serve --agents-root DIR</c> or <c>PRAISON_AGENTS_ROOT</c>). <c>agent_yaml</c> (the text itself) needs no root.
    /// Both run the host's built-in <c>agents</c> recipe (<see cref="AgentsYamlRecipe"/>), with the file's text stored
    /// in the task's input.
    /// </summary>
    public string? AgentsRoot { get; init; }

    /// <summary>
    /// The API key every route but <c>/health</c> requires (<c>Authorization: Bearer KEY</c> or <c>X-API-Key: KEY</c>).
    /// Null: read <c>PRAISON_JOBS_API_KEY</c>, then <c>PRAISONAI_JOBS_API_KEY</c>; none of them set: no key is required.
    /// </summary>
    public string? ApiKey { get; init; }

    /// <summary>Browser origins (e.g. <c>https://app.example.com</c>) allowed to call the API cross-site; empty: CORS is off.</summary>
    public IReadOnlyList<string> CorsOrigins { get; init; } = [];

    /// <summary>
    /// Host names (with or without a port) a request's <c>Host</c> header must name, against DNS rebinding; empty: any
    /// host. <c>serve</c> fills it with the bound address when it listens off loopback.
    /// </summary>
    public IReadOnlyList<string> AllowedHosts { get; init; } = [];

    /// <summary>The key in force: <see cref="ApiKey"/>, else the environment's (read through <paramref name="environment"/>).</summary>
    public string? EffectiveApiKey(Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        foreach (var candidate in new[] { ApiKey, environment(ApiKeyVariable), environment(PraisonAiApiKeyVariable) })
            if (!string.IsNullOrEmpty(candidate)) return candidate;
        return null;
    }

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        if (StreamHeartbeat <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(StreamHeartbeat), StreamHeartbeat, "StreamHeartbeat must be positive.");
        if (MaxRequestBodyBytes <= 0)
            throw new ArgumentOutOfRangeException(nameof(MaxRequestBodyBytes), MaxRequestBodyBytes, "MaxRequestBodyBytes must be positive.");
        if (ApiKey is { Length: 0 })
            throw new ArgumentException("ApiKey must not be empty (null means: read PRAISON_JOBS_API_KEY).", nameof(ApiKey));
        if (AgentsRoot is not null && !Directory.Exists(AgentsRoot))
            throw new ArgumentException($"AgentsRoot '{AgentsRoot}' is not an existing folder.", nameof(AgentsRoot));
        foreach (var origin in CorsOrigins)
            if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.PathAndQuery != "/")
                throw new ArgumentException($"CorsOrigins holds '{origin}', which is not an origin such as https://app.example.com.", nameof(CorsOrigins));
    }
}
