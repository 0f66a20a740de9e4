using System.Runtime.CompilerServices;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;

namespace Praison.Actors;

/// <summary>
/// Agents as background tasks: <c>runner.SubmitAgentAsync(agent, prompt, options)</c> for an <see cref="IChatClient"/>,
/// a Microsoft Agent Framework <see cref="AIAgent"/> or a configured <see cref="AgentEndpoint"/>. The run streams:
/// updates become throttled progress (tokens so far and the end of the text); cancel and the task's timeout abort the
/// model request; <see cref="AgentTaskOptions.MaxCostUsd"/> stops it with <see cref="TaskErrorKind.BudgetExceeded"/>.
/// </summary>
public static class AgentTaskExtensions
{
    /// <summary>Runs <paramref name="prompt"/> through <paramref name="agent"/> (a chat client) in the background.</summary>
    /// <param name="runner">The runner that stores and runs the task.</param>
    /// <param name="agent">The chat client; its <see cref="ChatClientMetadata"/> names the endpoint in errors.</param>
    /// <param name="prompt">The user message.</param>
    /// <param name="options">Task and model options; null takes the defaults.</param>
    /// <param name="cancellationToken">Stops waiting for the submission's answer.</param>
    /// <exception cref="ArgumentException">A blank prompt, bad options, or a budget without a price; nothing is stored.</exception>
    public static Task<ActorHandle<AgentRunResult>> SubmitAgentAsync(this IBackgroundRunner runner, IChatClient agent, string prompt,
        AgentTaskOptions? options = null, CancellationToken cancellationToken = default) =>
        SubmitAgentAsync(runner, new AgentEndpoint(agent), prompt, options, cancellationToken);

    /// <summary>Runs <paramref name="prompt"/> on the configured <paramref name="endpoint"/> in the background.</summary>
    /// <param name="runner">The runner that stores and runs the task.</param>
    /// <param name="endpoint">The endpoint (e.g. <see cref="AgentEndpoint.FromEnvironment"/>); its price for the model gives the cost.</param>
    /// <param name="prompt">The user message.</param>
    /// <param name="options">Task and model options (<see cref="ChatOptions.ModelId"/> picks the model); null takes the defaults.</param>
    /// <param name="cancellationToken">Stops waiting for the submission's answer.</param>
    /// <exception cref="AgentConfigurationException">No usable endpoint is configured; nothing is stored.</exception>
    /// <exception cref="ArgumentException">A blank prompt, bad options, or a budget without a price; nothing is stored.</exception>
    public static Task<ActorHandle<AgentRunResult>> SubmitAgentAsync(this IBackgroundRunner runner, AgentEndpoint endpoint, string prompt,
        AgentTaskOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(endpoint);
        RequirePrompt(prompt);
        options ??= new AgentTaskOptions();
        var model = options.ChatOptions?.ModelId ?? endpoint.Model;
        var price = options.Price ?? endpoint.PriceOf(model);
        options.Validate(price);
        var client = endpoint.GetChatClient(model); // a missing endpoint fails here, before anything is stored
        var messages = new List<ChatMessage>();
        if (!string.IsNullOrWhiteSpace(options.Instructions)) messages.Add(new ChatMessage(ChatRole.System, options.Instructions));
        messages.Add(new ChatMessage(ChatRole.User, prompt));
        var chatOptions = options.ChatOptions?.Clone() ?? new ChatOptions();
        chatOptions.ModelId ??= model;
        return runner.SubmitAsync(ctx => AgentStreaming.RunAsync(
                ct => FromChatClient(client, messages, chatOptions, ct), messages,
                Settings(ctx, endpoint.Address, price, options, model, chatOptions.MaxOutputTokens)),
            options.ToTaskOptions(), cancellationToken);
    }

    /// <summary>Runs <paramref name="prompt"/> through a Microsoft Agent Framework <paramref name="agent"/> in the background (a new session per run).</summary>
    /// <param name="runner">The runner that stores and runs the task.</param>
    /// <param name="agent">The agent; its instructions and tools are its own.</param>
    /// <param name="prompt">The user message.</param>
    /// <param name="options">Task options, price and budget (<see cref="AgentTaskOptions.Instructions"/> and <see cref="AgentTaskOptions.ChatOptions"/> are not used); null takes the defaults.</param>
    /// <param name="cancellationToken">Stops waiting for the submission's answer.</param>
    /// <exception cref="ArgumentException">A blank prompt, bad options, or a budget without a price; nothing is stored.</exception>
    public static Task<ActorHandle<AgentRunResult>> SubmitAgentAsync(this IBackgroundRunner runner, AIAgent agent, string prompt,
        AgentTaskOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(agent);
        RequirePrompt(prompt);
        options ??= new AgentTaskOptions();
        options.Validate(options.Price);
        var endpoint = agent.GetService<ChatClientMetadata>()?.ProviderUri?.ToString() ?? agent.Name ?? agent.GetType().Name;
        var model = agent.GetService<ChatClientMetadata>()?.DefaultModelId;
        var sent = new List<ChatMessage> { new(ChatRole.User, prompt) };
        return runner.SubmitAsync(ctx => AgentStreaming.RunAsync(
                ct => FromAgent(agent, prompt, ct), sent, Settings(ctx, endpoint, options.Price, options, model, null)),
            options.ToTaskOptions(defaultName: agent.Name), cancellationToken);
    }

    private static AgentCallSettings Settings(TaskContext ctx, string endpoint, ModelPrice? price, AgentTaskOptions options,
        string? model, int? maxOutputTokens) =>
        new(ctx, endpoint, price, new AgentBudget(options.MaxCostUsd), options.ProgressInterval, options.MaxRetries, model,
            FractionEnd: 1, MaxOutputTokens: maxOutputTokens);

    private static void RequirePrompt(string prompt)
    {
        if (string.IsNullOrWhiteSpace(prompt)) throw new ArgumentException("The prompt is empty.", nameof(prompt));
    }

    internal static async IAsyncEnumerable<StreamPiece> FromChatClient(IChatClient client, IReadOnlyList<ChatMessage> messages,
        ChatOptions? options, [EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var u in client.GetStreamingResponseAsync(messages, options, ct).ConfigureAwait(false))
            yield return new StreamPiece(u.Text, u.Contents, u.FinishReason, u.ModelId);
    }

    private static async IAsyncEnumerable<StreamPiece> FromAgent(AIAgent agent, string prompt, [EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var u in agent.RunStreamingAsync(prompt, cancellationToken: ct).ConfigureAwait(false))
            yield return new StreamPiece(u.Text, u.Contents, u.FinishReason, (u.RawRepresentation as ChatResponseUpdate)?.ModelId);
    }
}
