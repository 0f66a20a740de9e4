using Microsoft.Extensions.AI;

namespace Praison.Actors;

/// <summary>Options of one agent run in the background: the task's options plus the model run's.</summary>
public sealed class AgentTaskOptions
{
    /// <summary>The task's id; null generates one (as <see cref="TaskOptions.TaskId"/>).</summary>
    public string? TaskId { get; init; }

    /// <summary>A display name for listings. Defaults to "agent".</summary>
    public string? Name { get; init; }

    /// <summary>Groups tasks for listing.</summary>
    public string? SessionId { get; init; }

    /// <summary>How long the run may take once started; past it the model request is aborted and the task fails Timeout. Null: the runner's default.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>How long the finished task keeps its result; null: the runner's default.</summary>
    public TimeSpan? CleanupDelay { get; init; }

    /// <summary>A system message sent before the prompt (for an <see cref="IChatClient"/>; an AIAgent has its own instructions).</summary>
    public string? Instructions { get; init; }

    /// <summary>Chat options passed to the model (model id, temperature, max output tokens, …).</summary>
    public ChatOptions? ChatOptions { get; init; }

    /// <summary>
    /// Stops the run with <see cref="TaskErrorKind.BudgetExceeded"/> once its cost reaches this many USD. Needs a price
    /// (<see cref="Price"/>, or the endpoint's price for the model); without one the submission is refused.
    /// </summary>
    public decimal? MaxCostUsd { get; init; }

    /// <summary>The model's price; null takes the endpoint's configured price for the model, if any.</summary>
    public ModelPrice? Price { get; init; }

    /// <summary>The least time between two progress reports while the model streams (default 250 ms: at most 4 a second).</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How often a refused request (429 or 5xx before any output) is retried, with backoff honouring Retry-After (default 3).</summary>
    public int MaxRetries { get; init; } = 3;

    /// <summary>The task's options; the name defaults to <paramref name="defaultName"/> (an AIAgent's name), else "agent".</summary>
    internal TaskOptions ToTaskOptions(string? defaultName = null) => new()
    {
        TaskId = TaskId,
        Name = Name ?? (string.IsNullOrWhiteSpace(defaultName) ? "agent" : defaultName),
        SessionId = SessionId,
        Timeout = Timeout,
        CleanupDelay = CleanupDelay,
    };

    internal void Validate(ModelPrice? price)
    {
        if (ProgressInterval < TimeSpan.Zero)
            throw new ArgumentException($"ProgressInterval must not be negative (was {ProgressInterval}).", nameof(ProgressInterval));
        if (MaxRetries < 0)
            throw new ArgumentException($"MaxRetries must not be negative (was {MaxRetries}).", nameof(MaxRetries));
        if (MaxCostUsd is { } max)
        {
            if (max <= 0)
                throw new ArgumentException($"MaxCostUsd must be positive (was {max}).", nameof(MaxCostUsd));
            if (price is null)
                throw new ArgumentException(
                    "MaxCostUsd needs a price for the model: set AgentTaskOptions.Price or a price for the model in the endpoint's configuration.",
                    nameof(MaxCostUsd));
        }
    }
}
