using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;

namespace Praison.Actors;

/// <summary>The result of an agents recipe: every task's run in order, the last one's text, and the totals.</summary>
/// <param name="Recipe">The recipe's name.</param>
/// <param name="Text">The last task's answer (the recipe's output).</param>
/// <param name="Tasks">Each task's run, in order.</param>
/// <param name="Usage">Tokens over all tasks.</param>
/// <param name="CostUsd">Cost over all tasks, when every model's price is known; otherwise null.</param>
/// <param name="Duration">From the first request to the last answer.</param>
public sealed record AgentRecipeResult(string Recipe, string Text, IReadOnlyList<AgentTaskRun> Tasks, AgentUsage Usage, decimal? CostUsd, TimeSpan Duration);

/// <summary>One task's run within an agents recipe.</summary>
/// <param name="Agent">The agent's key.</param>
/// <param name="Task">The task's key.</param>
/// <param name="Result">The model run.</param>
public sealed record AgentTaskRun(string Agent, string Task, AgentRunResult Result);

/// <summary>
/// A recipe that runs an agents file's tasks one after another on a model endpoint, each task's answer handed to the
/// next as context, with progress per task and per batch of streamed tokens. <c>{topic}</c> and <c>{{input.X}}</c>
/// are filled in from the file's topic (or input <c>topic</c>) and the run's input. Config <c>max_cost_usd</c> (or the
/// file's <c>max_cost_usd:</c>) is a budget for the whole run.
/// </summary>
public sealed partial class AgentRecipe : IRecipe
{
    private readonly Func<AgentEndpoint> _endpoint;

    /// <summary>A recipe from its <paramref name="template"/> and <paramref name="agents"/>, run on the endpoint <paramref name="endpoint"/> gives (asked at each run).</summary>
    public AgentRecipe(RecipeTemplate template, AgentsFile agents, Func<AgentEndpoint> endpoint)
    {
        ArgumentNullException.ThrowIfNull(template);
        // The agents keys of a TEMPLATE.yaml that declares its agents inline are read here, not unknown.
        Template = template with { Warnings = [.. template.Warnings.Where(w => !AgentsFileKeys.Contains(w.Key))] };
        Agents = agents ?? throw new ArgumentNullException(nameof(agents));
        _endpoint = endpoint ?? throw new ArgumentNullException(nameof(endpoint));
    }

    private static readonly HashSet<string> AgentsFileKeys = new(StringComparer.Ordinal) { "framework", "topic", "roles", "agents", "max_cost_usd" };

    /// <inheritdoc />
    public RecipeTemplate Template { get; }

    /// <summary>The agents and their tasks.</summary>
    public AgentsFile Agents { get; }

    /// <summary>The endpoint the next run will use.</summary>
    /// <exception cref="AgentConfigurationException">The configuration cannot give one.</exception>
    public AgentEndpoint Endpoint => _endpoint();

    /// <summary>The least time between two progress reports while a model streams (default 250 ms).</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Retries of a refused request (429 or 5xx before any output), honouring Retry-After (default 3).</summary>
    public int MaxRetries { get; init; } = 3;

    /// <summary>Runs the tasks in order; returns an <see cref="AgentRecipeResult"/>.</summary>
    public async Task<object?> RunAsync(RecipeContext context)
    {
        var endpoint = _endpoint();
        endpoint.EnsureUsable();
        var steps = Agents.Steps.ToList();
        var topic = context.GetInputString("topic") ?? Agents.Topic ?? "";
        // Every placeholder is filled before the first request, so a missing input fails before anything is spent.
        var prompts = steps.Select(s => (System: Fill(SystemPrompt(s.Agent), topic, context), User: Fill(UserPrompt(s.Task), topic, context))).ToList();
        var maxCost = context.Config.TryGetValue("max_cost_usd", out var c) && c.ValueKind == JsonValueKind.Number ? c.GetDecimal() : Agents.MaxCostUsd;
        var budget = new AgentBudget(maxCost);
        var started = DateTimeOffset.UtcNow;
        var runs = new List<AgentTaskRun>();
        string? previous = null;
        for (var i = 0; i < steps.Count; i++)
        {
            var (agent, task) = steps[i];
            var model = agent.Llm ?? endpoint.Model;
            var price = endpoint.PriceOf(model);
            if (maxCost is not null && price is null)
                throw new ArgumentException($"The recipe has a budget (max_cost_usd {maxCost}) but no price is configured for model '{model}' (PRAISON_MODEL_PRICES).");
            var client = endpoint.GetChatClient(model);
            var user = previous is null ? prompts[i].User : $"{prompts[i].User}\n\nContext from the previous task:\n{previous}";
            var messages = new List<ChatMessage> { new(ChatRole.System, prompts[i].System), new(ChatRole.User, user) };
            var options = new ChatOptions { ModelId = model };
            context.ReportProgress((double)i / steps.Count, $"task {i + 1}/{steps.Count} {agent.Key}.{task.Key}: started");
            // One step span per agents-file task; its model requests are its children.
            using var step = PraisonTelemetry.StartStep($"{agent.Key}.{task.Key}", i + 1, steps.Count);
            AgentRunResult result;
            try
            {
                result = await AgentStreaming.RunAsync(
                    ct => AgentTaskExtensions.FromChatClient(client, messages, options, ct), messages,
                    new AgentCallSettings(context, endpoint.Address, price, budget, ProgressInterval, MaxRetries, model,
                        Label: $"task {i + 1}/{steps.Count} {agent.Key}.{task.Key}: ",
                        FractionStart: (double)i / steps.Count, FractionEnd: (double)(i + 1) / steps.Count)).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                PraisonTelemetry.MarkFailed(step, ex);
                throw;
            }
            runs.Add(new AgentTaskRun(agent.Key, task.Key, result));
            previous = result.Text;
        }
        var usage = runs.Aggregate(AgentUsage.Zero, (sum, r) => sum.Add(r.Result.Usage));
        var cost = runs.All(r => r.Result.CostUsd is not null) ? runs.Sum(r => r.Result.CostUsd!.Value) : (decimal?)null;
        return new AgentRecipeResult(Template.Name, previous ?? "", runs, usage, cost, DateTimeOffset.UtcNow - started);
    }

    private static string SystemPrompt(AgentDefinition agent)
    {
        var s = new StringBuilder($"You are {agent.Role}.");
        if (agent.Backstory is { } b) s.Append(' ').Append(b.Trim());
        if (agent.Goal is { } g) s.Append("\nYour goal: ").Append(g.Trim());
        if (agent.Instructions is { } i) s.Append('\n').Append(i.Trim());
        return s.ToString();
    }

    private static string UserPrompt(AgentTaskDefinition task) =>
        task.ExpectedOutput is { } expected ? $"{task.Description.Trim()}\n\nExpected output: {expected.Trim()}" : task.Description.Trim();

    /// <summary>Fills <c>{topic}</c> and <c>{{input.X}}</c>; a missing input property is an error naming it.</summary>
    internal static string Fill(string text, string topic, RecipeContext context) =>
        InputPlaceholder().Replace(text, m => context.GetInputString(m.Groups[1].Value)
            ?? throw new RecipeException($"The recipe needs input '{m.Groups[1].Value}' ({m.Value}), and the run's input has none.", context.Name))
        .Replace("{topic}", topic, StringComparison.Ordinal);

    [GeneratedRegex(@"\{\{\s*input\.([A-Za-z0-9_\-]+)\s*\}\}")]
    private static partial Regex InputPlaceholder();
}
