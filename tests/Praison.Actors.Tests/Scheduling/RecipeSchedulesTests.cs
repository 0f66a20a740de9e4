using Praison.Actors.Scheduling;
using Xunit;

namespace Praison.Actors.Tests.Scheduling;

/// <summary>The pure plan from TEMPLATE.yaml <c>runtime.schedule</c> and the stored schedule: create, update, pause or nothing.</summary>
public class RecipeSchedulesTests
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 1, 0, 0, 0, TimeSpan.Zero);

    private static RecipeScheduleSettings Enabled(string interval = "*/1m", int? maxRetries = null, int? timeoutSec = null, bool? runImmediately = null) =>
        new()
        {
            Enabled = true, Interval = interval, MaxRetries = maxRetries, RunImmediately = runImmediately,
            Timeout = timeoutSec is { } t ? TimeSpan.FromSeconds(t) : null,
        };

    private static ScheduleInfo Stored(string expression = "*/1m", bool paused = false, TimeSpan? timeout = null, int? maxAttempts = null) =>
        new("recipe.r", "r", expression, "UTC", ScheduleCatchUp.Once, TimeSpan.FromDays(1), ScheduleOverlap.Skip, TimeSpan.Zero, paused,
            T0.AddMinutes(1), T0, null, null, null, null) { Timeout = timeout, MaxAttempts = maxAttempts };

    [Fact]
    public void The_schedule_is_named_after_the_recipe() => Assert.Equal("recipe.news", RecipeSchedules.NameFor("news"));

    [Fact]
    public void Enabled_and_not_stored_creates_it_with_the_interval_timeout_and_retries()
    {
        var plan = RecipeSchedules.Plan(Enabled("*/30s", maxRetries: 2, timeoutSec: 90), stored: null);

        Assert.Equal(RecipeScheduleAction.Create, plan.Action);
        Assert.Equal("*/30s", plan.Expression);
        Assert.Equal(TimeSpan.FromSeconds(90), plan.Options!.Timeout);
        Assert.Equal(3, plan.Options.Retry!.MaxAttempts); // max_retries 2 = 3 attempts
        Assert.False(plan.TriggerNow);
    }

    [Fact]
    public void Run_immediately_triggers_only_when_the_schedule_is_created()
    {
        Assert.True(RecipeSchedules.Plan(Enabled(runImmediately: true), stored: null).TriggerNow);
        var again = RecipeSchedules.Plan(Enabled(runImmediately: true), Stored());
        Assert.Equal(RecipeScheduleAction.Nothing, again.Action);
        Assert.False(again.TriggerNow);
    }

    [Fact]
    public void An_unchanged_template_does_nothing_and_keeps_a_user_pause()
    {
        var plan = RecipeSchedules.Plan(Enabled(maxRetries: 1, timeoutSec: 60), Stored(paused: true, timeout: TimeSpan.FromSeconds(60), maxAttempts: 2));
        Assert.Equal(RecipeScheduleAction.Nothing, plan.Action);
    }

    [Fact]
    public void A_changed_interval_timeout_or_retries_updates_only_what_changed_and_never_the_paused_flag()
    {
        var interval = RecipeSchedules.Plan(Enabled("*/5m"), Stored(paused: true));
        Assert.Equal(RecipeScheduleAction.Update, interval.Action);
        Assert.Equal("*/5m", interval.Changes!.Expression);
        Assert.Null(interval.Changes.Timeout);
        Assert.Null(interval.Changes.Retry);
        Assert.Null(interval.Changes.Enabled);

        var timeout = RecipeSchedules.Plan(Enabled(timeoutSec: 120), Stored(timeout: TimeSpan.FromSeconds(60)));
        Assert.Equal(RecipeScheduleAction.Update, timeout.Action);
        Assert.Null(timeout.Changes!.Expression);
        Assert.Equal(TimeSpan.FromSeconds(120), timeout.Changes.Timeout);

        var retries = RecipeSchedules.Plan(Enabled(maxRetries: 4), Stored(maxAttempts: 2));
        Assert.Equal(RecipeScheduleAction.Update, retries.Action);
        Assert.Equal(5, retries.Changes!.Retry!.MaxAttempts);
    }

    [Fact]
    public void Disabled_or_removed_pauses_a_running_schedule_and_leaves_a_paused_one()
    {
        Assert.Equal(RecipeScheduleAction.Pause, RecipeSchedules.Plan(Enabled() with { Enabled = false }, Stored()).Action);
        Assert.Equal(RecipeScheduleAction.Pause, RecipeSchedules.Plan(new RecipeScheduleSettings(), Stored()).Action);
        Assert.Equal(RecipeScheduleAction.Nothing, RecipeSchedules.Plan(new RecipeScheduleSettings(), Stored(paused: true)).Action);
        Assert.Equal(RecipeScheduleAction.Nothing, RecipeSchedules.Plan(new RecipeScheduleSettings(), stored: null).Action);
    }

    [Fact]
    public void Enabled_without_an_interval_is_an_error_naming_the_key()
    {
        var ex = Assert.Throws<ScheduleException>(() => RecipeSchedules.Plan(new RecipeScheduleSettings { Enabled = true }, stored: null));
        Assert.Contains("runtime.schedule.interval", ex.Message);
    }

    [Fact]
    public void Max_cost_usd_becomes_the_runs_config_and_a_change_updates_it_keeping_the_other_keys()
    {
        var settings = Enabled() with { MaxCostUsd = 0.25m };
        var create = RecipeSchedules.Plan(settings, stored: null);
        Assert.Equal(0.25m, create.Options!.Config![RecipeSchedules.MaxCostKey]);

        Assert.Equal(RecipeScheduleAction.Nothing, RecipeSchedules.Plan(settings, Stored() with { ConfigJson = """{"max_cost_usd":0.25}""" }).Action);
        var update = RecipeSchedules.Plan(settings with { MaxCostUsd = 1.5m }, Stored() with { ConfigJson = """{"max_cost_usd":0.25,"tone":"dry"}""" });
        Assert.Equal(RecipeScheduleAction.Update, update.Action);
        Assert.Equal(1.5m, update.Changes!.Config![RecipeSchedules.MaxCostKey]);
        Assert.Equal("dry", Assert.IsType<System.Text.Json.JsonElement>(update.Changes.Config["tone"]).GetString());
        Assert.Null(update.Changes.Expression);
        // Left out of the template: whatever is stored stays.
        Assert.Equal(RecipeScheduleAction.Nothing, RecipeSchedules.Plan(Enabled(), Stored() with { ConfigJson = """{"max_cost_usd":0.25}""" }).Action);
    }

    [Fact]
    public async Task A_max_cost_usd_that_is_not_positive_is_an_error_naming_the_file_and_the_key()
    {
        var ex = Assert.Throws<ScheduleException>(() => RecipeSchedules.Plan(Enabled() with { MaxCostUsd = 0m }, stored: null));
        Assert.Contains("max_cost_usd must be a positive number", ex.Message);

        var template = RecipeTemplate.Parse("name: r\nruntime:\n  schedule:\n    enabled: true\n    interval: hourly\n    max_cost_usd: 0\n",
            "/recipes/r/TEMPLATE.yaml");
        var named = await Assert.ThrowsAsync<ScheduleException>(() => RecipeSchedules.ApplyAsync(new EmptyScheduler(), [template]));
        Assert.StartsWith("/recipes/r/TEMPLATE.yaml: runtime.schedule: max_cost_usd", named.Message);
    }

    [Fact]
    public async Task A_create_that_loses_to_another_host_re_reads_and_plans_again_instead_of_failing()
    {
        var template = RecipeTemplate.Parse("name: r\nruntime:\n  schedule:\n    enabled: true\n    interval: '*/1m'\n    run_immediately: true\n");
        // The other host stored the same schedule between this host's read and its insert.
        var racing = new RacingScheduler(Stored("*/1m"));
        var done = await RecipeSchedules.ApplyAsync(racing, [template]);
        Assert.Equal(1, racing.Creates);
        Assert.Empty(done); // nothing created, nothing run at once: the winner did both
        Assert.Equal(2, racing.Lists); // the plan's read, then the re-read after losing
    }

    /// <summary>Empty at the first read; every create loses to a schedule another host stored meanwhile.</summary>
    private sealed class RacingScheduler(ScheduleInfo winner) : IScheduler
    {
        public int Creates { get; private set; }
        public int Lists { get; private set; }

        public Task<ScheduleHandle> ScheduleAsync(string name, string recipe, string expression, ScheduleOptions? options = null,
            CancellationToken cancellationToken = default)
        {
            Creates++;
            throw new ScheduleException($"A schedule named '{name}' already exists (remove it first, or pick another name).");
        }

        public Task<IReadOnlyList<ScheduleInfo>> ListAsync(CancellationToken cancellationToken = default) =>
            Task.FromResult<IReadOnlyList<ScheduleInfo>>(Lists++ == 0 ? [] : [winner]);

        public ScheduleHandle GetHandle(string name) => throw new InvalidOperationException("the winner's schedule matches: nothing to change");
    }

    /// <summary>A scheduler with nothing stored; any change would fail the test.</summary>
    private sealed class EmptyScheduler : IScheduler
    {
        public Task<ScheduleHandle> ScheduleAsync(string name, string recipe, string expression, ScheduleOptions? options = null,
            CancellationToken cancellationToken = default) => throw new InvalidOperationException("nothing may be created");

        public Task<IReadOnlyList<ScheduleInfo>> ListAsync(CancellationToken cancellationToken = default) =>
            Task.FromResult<IReadOnlyList<ScheduleInfo>>([]);

        public ScheduleHandle GetHandle(string name) => throw new InvalidOperationException("nothing may be changed");
    }
}
