using System.Text.Json;
using Akka.Event;

namespace Praison.Actors.Scheduling;

/// <summary>What a host does with one recipe's <c>runtime.schedule</c> when it loads the recipe.</summary>
internal enum RecipeScheduleAction
{
    /// <summary>The stored schedule already matches (or there is none and none is wanted).</summary>
    Nothing,
    /// <summary>No schedule is stored: create it (and trigger one run at once when <c>run_immediately</c>).</summary>
    Create,
    /// <summary>The template's expression, timeout, retries or budget changed: update the stored schedule (its paused flag stays).</summary>
    Update,
    /// <summary>The template no longer enables the schedule: pause the stored one.</summary>
    Pause,
}

/// <summary>One recipe's plan: the action and what it needs.</summary>
/// <param name="Action">What to do.</param>
/// <param name="Expression">The schedule expression (Create).</param>
/// <param name="Options">The new schedule's options (Create).</param>
/// <param name="Changes">The changes to apply (Update).</param>
/// <param name="TriggerNow">Run once at once after creating (<c>run_immediately: true</c>).</param>
internal sealed record RecipeSchedulePlan(RecipeScheduleAction Action, string? Expression = null, ScheduleOptions? Options = null,
    ScheduleUpdate? Changes = null, bool TriggerNow = false)
{
    public static readonly RecipeSchedulePlan Nothing = new(RecipeScheduleAction.Nothing);
}

/// <summary>
/// The schedules a recipe asks for in TEMPLATE.yaml <c>runtime.schedule</c> (PraisonAI's scheduled recipes). A host
/// that loads a recipe with <c>enabled: true</c> keeps one schedule named <see cref="NameFor"/>: created once (a first
/// run at once when <c>run_immediately</c>), updated when <c>interval</c>, <c>timeout_sec</c>, <c>max_retries</c> or
/// <c>max_cost_usd</c> change, paused when <c>enabled</c> turns false or the section goes. A pause by a user is never
/// undone here. <c>max_cost_usd</c> is stored as the schedule's config key <c>max_cost_usd</c>, the budget an agent
/// recipe reads from each run's config.
/// </summary>
internal static class RecipeSchedules
{
    /// <summary>The prefix of the schedules recipes own: <c>recipe.NAME</c>.</summary>
    public const string Prefix = "recipe.";

    /// <summary>The schedule owned by recipe <paramref name="recipe"/>.</summary>
    public static string NameFor(string recipe) => Prefix + recipe;

    /// <summary>The config key of a run's budget in US dollars (read by agent recipes).</summary>
    public const string MaxCostKey = "max_cost_usd";

    /// <summary>The attempts <c>max_retries</c> allows: the first run plus the retries.</summary>
    private static int? Attempts(RecipeScheduleSettings settings) => settings.MaxRetries is { } r ? r + 1 : null;

    /// <summary>
    /// Pure: what to do for a recipe whose template says <paramref name="settings"/> when <paramref name="stored"/> is
    /// the schedule of that name (null: none). <c>enabled: true</c> without an <c>interval</c> is a <see cref="ScheduleException"/>.
    /// </summary>
    public static RecipeSchedulePlan Plan(RecipeScheduleSettings settings, ScheduleInfo? stored)
    {
        // The template reader refuses a negative or non-numeric value; a budget of nothing would stop every run at once.
        if (settings.MaxCostUsd is { } cost && cost <= 0)
            throw new ScheduleException($"max_cost_usd must be a positive number of US dollars, got {cost.ToString(System.Globalization.CultureInfo.InvariantCulture)}.");
        if (settings.Enabled != true)
            return stored is { Paused: false } ? new RecipeSchedulePlan(RecipeScheduleAction.Pause) : RecipeSchedulePlan.Nothing;
        if (settings.Interval is not { } interval)
            throw new ScheduleException("runtime.schedule.interval: required when runtime.schedule.enabled is true.");
        var attempts = Attempts(settings);
        if (stored is null)
        {
            return new RecipeSchedulePlan(RecipeScheduleAction.Create, interval,
                new ScheduleOptions
                {
                    Timeout = settings.Timeout,
                    Retry = attempts is { } a ? new RetryPolicy { MaxAttempts = a } : null,
                    Config = settings.MaxCostUsd is { } budget ? new Dictionary<string, object?> { [MaxCostKey] = budget } : null,
                },
                TriggerNow: settings.RunImmediately == true);
        }
        // Only what the template says is compared: a key left out keeps whatever is stored.
        var expressionChanged = !string.Equals(stored.Expression, interval, StringComparison.Ordinal);
        var timeoutChanged = settings.Timeout is { } t && stored.Timeout != t;
        var retryChanged = attempts is { } n && stored.MaxAttempts != n;
        var storedConfig = ConfigOf(stored);
        var costChanged = settings.MaxCostUsd is { } c && StoredCost(storedConfig) != c;
        if (!expressionChanged && !timeoutChanged && !retryChanged && !costChanged) return RecipeSchedulePlan.Nothing;
        return new RecipeSchedulePlan(RecipeScheduleAction.Update, Changes: new ScheduleUpdate
        {
            Expression = expressionChanged ? interval : null,
            Timeout = timeoutChanged ? settings.Timeout : null,
            Retry = retryChanged ? new RetryPolicy { MaxAttempts = attempts!.Value } : null,
            // The stored config's other keys stay; only the budget changes.
            Config = costChanged ? new Dictionary<string, object?>(storedConfig) { [MaxCostKey] = settings.MaxCostUsd } : null,
        });
    }

    /// <summary>The stored schedule's config, key by key (values as JSON); empty for none.</summary>
    private static Dictionary<string, object?> ConfigOf(ScheduleInfo stored)
    {
        if (stored.ConfigJson is null) return new Dictionary<string, object?>(StringComparer.Ordinal);
        using var doc = JsonDocument.Parse(stored.ConfigJson);
        return doc.RootElement.ValueKind == JsonValueKind.Object
            ? doc.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone(), StringComparer.Ordinal)
            : new Dictionary<string, object?>(StringComparer.Ordinal);
    }

    /// <summary>The budget in a stored config, or null when it has none (or not a number).</summary>
    private static decimal? StoredCost(Dictionary<string, object?> config) =>
        config.TryGetValue(MaxCostKey, out var v) && v is JsonElement { ValueKind: JsonValueKind.Number } e && e.TryGetDecimal(out var d) ? d : null;

    /// <summary>
    /// Brings the schedules of <paramref name="recipes"/> in line with their templates (see <see cref="Plan"/>). A
    /// recipe whose schedule cannot be stored is a <see cref="ScheduleException"/> naming its file and the key.
    /// Returns one line per change made, for the host to print.
    /// </summary>
    public static async Task<IReadOnlyList<string>> ApplyAsync(IScheduler scheduler, IEnumerable<RecipeTemplate> recipes,
        CancellationToken cancellationToken = default)
    {
        var stored = (await scheduler.ListAsync(cancellationToken).ConfigureAwait(false)).ToDictionary(s => s.Name, StringComparer.Ordinal);
        // Every plan first, so a bad template stops the host before any schedule changes.
        var plans = new List<(RecipeTemplate Template, string Name, RecipeSchedulePlan Plan)>();
        foreach (var template in recipes)
        {
            var name = NameFor(template.Name);
            stored.TryGetValue(name, out var info);
            try
            {
                if (info is not null && info.Recipe != template.Name)
                    throw new ScheduleException($"schedule '{name}' already exists and runs recipe '{info.Recipe}'; remove or rename it.");
                var plan = Plan(template.Schedule, info);
                if ((plan.Expression ?? plan.Changes?.Expression) is { } expression)
                    ScheduleExpression.Parse(expression, ScheduleExpression.ResolveZone(null), DateTimeOffset.UtcNow); // throws naming the problem
                plans.Add((template, name, plan));
            }
            catch (ScheduleException ex)
            {
                throw Named(template, ex);
            }
        }
        var done = new List<string>();
        foreach (var (template, name, first) in plans)
        {
            try
            {
                var plan = first;
                // A create that loses to another host (a cluster node starting on the same store) re-reads what that host
                // stored and plans again against it: never a failed start, never a second schedule.
                while (await CarryOutAsync(scheduler, template, name, plan, done, cancellationToken).ConfigureAwait(false) is { } refused)
                {
                    var info = (await scheduler.ListAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(s => s.Name == name);
                    if (info is null) throw refused; // not a lost race: the create itself was refused
                    if (info.Recipe != template.Name)
                        throw new ScheduleException($"schedule '{name}' already exists and runs recipe '{info.Recipe}'; remove or rename it.");
                    plan = Plan(template.Schedule, info); // never Create again: the schedule is there
                }
            }
            catch (ScheduleException ex) when (ex is not ScheduleNotFoundException)
            {
                throw Named(template, ex);
            }
        }
        return done;
    }

    /// <summary>Carries out one plan; returns null, or the refusal of its create (the name taken by another host meanwhile, or another problem).</summary>
    private static async Task<ScheduleException?> CarryOutAsync(IScheduler scheduler, RecipeTemplate template, string name, RecipeSchedulePlan plan,
        List<string> done, CancellationToken cancellationToken)
    {
        switch (plan.Action)
        {
            case RecipeScheduleAction.Create:
                ScheduleHandle handle;
                try
                {
                    handle = await scheduler.ScheduleAsync(name, template.Name, plan.Expression!, plan.Options, cancellationToken).ConfigureAwait(false);
                }
                catch (ScheduleException ex) when (!cancellationToken.IsCancellationRequested)
                {
                    return ex;
                }
                done.Add($"schedule '{name}' created ({plan.Expression}) from runtime.schedule");
                if (plan.TriggerNow)
                {
                    await handle.TriggerAsync(cancellationToken).ConfigureAwait(false);
                    done.Add($"schedule '{name}' ran once at once (run_immediately)");
                }
                return null;
            case RecipeScheduleAction.Update:
                await scheduler.GetHandle(name).UpdateAsync(plan.Changes!, cancellationToken).ConfigureAwait(false);
                done.Add($"schedule '{name}' updated from runtime.schedule");
                return null;
            case RecipeScheduleAction.Pause:
                await scheduler.GetHandle(name).PauseAsync(cancellationToken).ConfigureAwait(false);
                done.Add($"schedule '{name}' paused (runtime.schedule is not enabled)");
                return null;
            default:
                return null;
        }
    }

    /// <summary>
    /// The one path every host takes when it starts with its recipes (<see cref="PraisonRuntime.StartAsync"/>, the
    /// hosting builders <c>WithPraisonActors</c> and <c>WithPraisonCluster</c>, <c>PraisonCluster.StartAsync</c>,
    /// <c>serve</c> and <c>serve --cluster</c>): a host that fires schedules brings each loaded recipe's
    /// <c>runtime.schedule</c> in line (<see cref="ApplyAsync"/>), logging each change and returning the lines; a bad
    /// section is thrown as a <see cref="ScheduleException"/> naming the file and key, so the host does not start
    /// half-configured. A process that does not fire (the CLI next to a host) leaves recipe schedules alone. Several
    /// cluster nodes starting together on one store are safe: a create that loses re-reads and plans again.
    /// </summary>
    public static async Task<IReadOnlyList<string>> ApplyOnStartAsync(BackgroundRunner runner, CancellationToken cancellationToken)
    {
        if (runner.Options is not { ExecuteTasks: true, RecoverStoredTasks: true }) return [];
        var lines = await ApplyAsync(runner.Scheduler, runner.Recipes.List(), cancellationToken).ConfigureAwait(false);
        foreach (var line in lines) runner.System.Log.Info(line);
        return lines;
    }

    private static ScheduleException Named(RecipeTemplate template, ScheduleException ex) =>
        new($"{template.SourcePath ?? template.Name}: runtime.schedule: {ex.Message}");
}
