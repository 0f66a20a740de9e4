namespace Praison.Actors;

/// <summary>Tokens a model run used: as the endpoint reported them, or counted from the stream when it reported none.</summary>
/// <param name="InputTokens">Prompt tokens.</param>
/// <param name="OutputTokens">Completion tokens.</param>
/// <param name="Reported">True when the endpoint reported the figures; false when they are estimates (one token per streamed text chunk, four characters a prompt token).</param>
public sealed record AgentUsage(long InputTokens, long OutputTokens, bool Reported = true)
{
    /// <summary>Input plus output tokens.</summary>
    public long TotalTokens => InputTokens + OutputTokens;

    /// <summary>No tokens.</summary>
    public static AgentUsage Zero { get; } = new(0, 0);

    /// <summary>The sum of two runs' usage (reported only when both were).</summary>
    public AgentUsage Add(AgentUsage other) =>
        new(InputTokens + other.InputTokens, OutputTokens + other.OutputTokens, Reported && other.Reported);
}

/// <summary>One message of a model run, as text.</summary>
/// <param name="Role">system, user or assistant.</param>
/// <param name="Text">The message's text.</param>
public sealed record AgentMessage(string Role, string Text);

/// <summary>The result of one agent run in the background (<see cref="AgentTaskExtensions"/>).</summary>
/// <param name="Text">The final answer's text.</param>
/// <param name="Messages">The conversation: the messages sent and the answer.</param>
/// <param name="Usage">Tokens in and out.</param>
/// <param name="CostUsd">What the run cost in USD, when a price for the model is known; otherwise null.</param>
/// <param name="Model">The model that answered, as the endpoint named it (or as configured).</param>
/// <param name="FinishReason">Why the model stopped (<c>stop</c>, <c>length</c>, …), when it said.</param>
/// <param name="Duration">From the request to the last streamed update.</param>
public sealed record AgentRunResult(
    string Text,
    IReadOnlyList<AgentMessage> Messages,
    AgentUsage Usage,
    decimal? CostUsd,
    string? Model,
    string? FinishReason,
    TimeSpan Duration);

/// <summary>A model's price, used for <see cref="AgentRunResult.CostUsd"/> and the <see cref="AgentTaskOptions.MaxCostUsd"/> budget.</summary>
/// <param name="InputUsdPerMillionTokens">USD per million prompt tokens.</param>
/// <param name="OutputUsdPerMillionTokens">USD per million completion tokens.</param>
public sealed record ModelPrice(decimal InputUsdPerMillionTokens, decimal OutputUsdPerMillionTokens)
{
    /// <summary>The cost of <paramref name="usage"/> at this price.</summary>
    public decimal CostOf(AgentUsage usage) =>
        (usage.InputTokens * InputUsdPerMillionTokens + usage.OutputTokens * OutputUsdPerMillionTokens) / 1_000_000m;
}
