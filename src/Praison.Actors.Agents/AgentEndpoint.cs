using System.ClientModel;
using System.ClientModel.Primitives;
using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.AI;
using OpenAI;

namespace Praison.Actors;

/// <summary>
/// Where models are reached, as PraisonAI reads it: <c>OPENAI_BASE_URL</c>, <c>OPENAI_API_KEY</c>,
/// <c>OPENAI_MODEL_NAME</c>, plus prices per model (<c>PRAISON_MODEL_PRICES</c>, e.g.
/// <c>gpt-4o-mini=0.15/0.60;llama3=0/0</c>: USD per million input/output tokens).
/// </summary>
public sealed class AgentEndpointOptions
{
    /// <summary>The model used when a run names none (PraisonAI's default).</summary>
    public const string DefaultModel = "gpt-4o-mini";

    /// <summary>OpenAI's own endpoint, used when only a key is given.</summary>
    public const string OpenAIBaseUrl = "https://api.openai.com/v1";

    /// <summary>An OpenAI-compatible base URL (e.g. <c>http://localhost:11434/v1</c> for Ollama); null with a key means OpenAI's.</summary>
    public string? BaseUrl { get; set; }

    /// <summary>The API key; required for OpenAI's endpoint, optional for others (local servers take any).</summary>
    public string? ApiKey { get; set; }

    /// <summary>The default model; null takes <see cref="DefaultModel"/>.</summary>
    public string? Model { get; set; }

    /// <summary>Prices by model name, for the cost figure and budgets.</summary>
    public IDictionary<string, ModelPrice> Prices { get; set; } = new Dictionary<string, ModelPrice>(StringComparer.OrdinalIgnoreCase);

    /// <summary>The longest one request may wait on the network (default 10 min; the task's own timeout usually ends it first).</summary>
    public TimeSpan NetworkTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Reads <c>OPENAI_BASE_URL</c> (or <c>OPENAI_API_BASE</c>), <c>OPENAI_API_KEY</c>, <c>OPENAI_MODEL_NAME</c> and
    /// <c>PRAISON_MODEL_PRICES</c> through <paramref name="read"/> (default: the process environment).
    /// </summary>
    /// <exception cref="AgentConfigurationException">A price entry that does not read as <c>model=input/output</c>.</exception>
    public static AgentEndpointOptions FromEnvironment(Func<string, string?>? read = null)
    {
        read ??= Environment.GetEnvironmentVariable;
        var options = new AgentEndpointOptions
        {
            BaseUrl = Blank(read("OPENAI_BASE_URL")) ?? Blank(read("OPENAI_API_BASE")),
            ApiKey = Blank(read("OPENAI_API_KEY")),
            Model = Blank(read("OPENAI_MODEL_NAME")),
        };
        foreach (var (model, price) in ParsePrices(read("PRAISON_MODEL_PRICES"))) options.Prices[model] = price;
        return options;
    }

    /// <summary>Parses <c>model=input/output;…</c> (USD per million tokens).</summary>
    /// <exception cref="AgentConfigurationException">An entry that does not read so.</exception>
    public static IReadOnlyDictionary<string, ModelPrice> ParsePrices(string? text)
    {
        var prices = new Dictionary<string, ModelPrice>(StringComparer.OrdinalIgnoreCase);
        if (string.IsNullOrWhiteSpace(text)) return prices;
        foreach (var entry in text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = entry.LastIndexOf('=');
            var parts = eq > 0 ? entry[(eq + 1)..].Split('/') : [];
            if (parts.Length != 2 ||
                !decimal.TryParse(parts[0], NumberStyles.Number, CultureInfo.InvariantCulture, out var input) ||
                !decimal.TryParse(parts[1], NumberStyles.Number, CultureInfo.InvariantCulture, out var output) ||
                input < 0 || output < 0)
                throw new AgentConfigurationException(
                    $"PRAISON_MODEL_PRICES: '{entry}' is not 'model=input/output' (USD per million tokens, e.g. gpt-4o-mini=0.15/0.60).");
            prices[entry[..eq].Trim()] = new ModelPrice(input, output);
        }
        return prices;
    }

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}

/// <summary>
/// The model endpoint agent runs use: an <see cref="IChatClient"/> you give (from DI, it wins) or an OpenAI-compatible
/// endpoint built from <see cref="AgentEndpointOptions"/> through <c>Microsoft.Extensions.AI.OpenAI</c> (Ollama, vLLM,
/// LM Studio, OpenAI, Azure OpenAI's v1 endpoint). Chat clients are made once per model and reused.
/// </summary>
public sealed class AgentEndpoint
{
    private readonly IChatClient? _client;
    private readonly ConcurrentDictionary<string, IChatClient> _clients = new(StringComparer.Ordinal);

    /// <summary>An endpoint from options (see <see cref="AgentEndpointOptions.FromEnvironment"/>).</summary>
    public AgentEndpoint(AgentEndpointOptions options)
    {
        Options = options ?? throw new ArgumentNullException(nameof(options));
        Model = options.Model ?? AgentEndpointOptions.DefaultModel;
        BaseUrl = options.BaseUrl ?? (options.ApiKey is null ? null : AgentEndpointOptions.OpenAIBaseUrl);
        Address = BaseUrl ?? "(no model endpoint configured)";
    }

    /// <summary>An endpoint that is <paramref name="client"/>; <paramref name="options"/> supply the model name and prices.</summary>
    public AgentEndpoint(IChatClient client, AgentEndpointOptions? options = null)
    {
        _client = client ?? throw new ArgumentNullException(nameof(client));
        Options = options ?? new AgentEndpointOptions();
        var meta = client.GetService<ChatClientMetadata>();
        Model = Options.Model ?? meta?.DefaultModelId ?? AgentEndpointOptions.DefaultModel;
        BaseUrl = meta?.ProviderUri?.ToString();
        Address = BaseUrl ?? meta?.ProviderName ?? client.GetType().Name;
    }

    /// <summary>The endpoint configured by the process environment (<c>OPENAI_*</c>).</summary>
    public static AgentEndpoint FromEnvironment() => new(AgentEndpointOptions.FromEnvironment());

    /// <summary>
    /// The host's endpoint: an <see cref="IChatClient"/> registered in <paramref name="services"/> wins; then
    /// registered <see cref="AgentEndpointOptions"/>; then the environment.
    /// </summary>
    public static AgentEndpoint Resolve(IServiceProvider? services)
    {
        var options = services?.GetService(typeof(AgentEndpointOptions)) as AgentEndpointOptions;
        if (services?.GetService(typeof(IChatClient)) is IChatClient client) return new AgentEndpoint(client, options);
        return new AgentEndpoint(options ?? AgentEndpointOptions.FromEnvironment());
    }

    /// <summary>The options this endpoint was made from.</summary>
    public AgentEndpointOptions Options { get; }

    /// <summary>The model used when a run names none.</summary>
    public string Model { get; }

    /// <summary>The base URL, when known.</summary>
    public string? BaseUrl { get; }

    /// <summary>How errors name this endpoint: its URL, or the client's provider name.</summary>
    public string Address { get; }

    /// <summary>Throws a clear <see cref="AgentConfigurationException"/> when no model can be reached with this configuration.</summary>
    public void EnsureUsable()
    {
        if (_client is not null) return;
        if (BaseUrl is null)
            throw new AgentConfigurationException(
                "No model endpoint is configured: set OPENAI_BASE_URL to an OpenAI-compatible server (e.g. http://localhost:11434/v1 for Ollama) " +
                "and/or OPENAI_API_KEY (OpenAI's endpoint is used when only a key is set); on the CLI, --base-url URL and --api-key-env NAME do the same.");
        if (!Uri.TryCreate(BaseUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new AgentConfigurationException($"OPENAI_BASE_URL '{BaseUrl}' is not an http(s) URL.");
        if (Options.ApiKey is null && uri.Host.Equals("api.openai.com", StringComparison.OrdinalIgnoreCase))
            throw new AgentConfigurationException("OPENAI_API_KEY is not set; OpenAI's endpoint (api.openai.com) needs it (on the CLI: export it, or name another variable with --api-key-env NAME).");
    }

    /// <summary>The chat client for <paramref name="model"/> (null: <see cref="Model"/>).</summary>
    /// <exception cref="AgentConfigurationException">The endpoint is not usable (see <see cref="EnsureUsable"/>).</exception>
    public IChatClient GetChatClient(string? model = null)
    {
        EnsureUsable();
        if (_client is not null) return _client;
        return _clients.GetOrAdd(model ?? Model, m =>
        {
            var options = new OpenAIClientOptions
            {
                Endpoint = new Uri(BaseUrl!),
                // Our own loop retries (only before any output, honouring Retry-After); the SDK's would retry under it.
                RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
                NetworkTimeout = Options.NetworkTimeout,
            };
            // Local servers take any key; the SDK refuses an empty one.
            return new OpenAIClient(new ApiKeyCredential(Options.ApiKey ?? "unused"), options).GetChatClient(m).AsIChatClient();
        });
    }

    /// <summary>The configured price of <paramref name="model"/> (null: <see cref="Model"/>), or null.</summary>
    public ModelPrice? PriceOf(string? model = null) =>
        Options.Prices.TryGetValue(model ?? Model, out var price) ? price : null;
}
