using System.Globalization;
using Microsoft.Extensions.Time.Testing;
using Praison.Actors.IntegrationTests.Support;
using Praison.Actors.Messages;
using Praison.Actors.Scheduling;
using Xunit;

namespace Praison.Actors.IntegrationTests.Scheduling;

/// <summary>
/// A schedule's stats on a real store: the fired and skipped counters its record keeps (written with the look that
/// decides them) and its runs by status from the task table. Time is a <see cref="FakeTimeProvider"/>; the looks are
/// made by the test (the host's own scheduler does not fire: <c>RecoverStoredTasks = false</c>).
/// </summary>
public abstract class ScheduleStatsSuite
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);
    private static readonly DateTimeOffset T0 = new(2026, 5, 1, 0, 0, 0, TimeSpan.Zero);

    protected abstract Task<TestStore> CreateStoreAsync();

    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private Task<PraisonRuntime> StartAsync(TestStore store, RecipeRegistry? recipes = null, bool fires = false) =>
        PraisonRuntime.StartAsync(new PraisonRuntimeOptions
        {
            Store = store.Store,
            Runner = new BackgroundRunnerOptions
            {
                RecoverStoredTasks = fires,
                Recipes = recipes ?? new RecipeRegistry()
                    .Register("name: job\n", async ctx =>
                    {
                        await _gate.Task.WaitAsync(ctx.CancellationToken);
                        return "ok";
                    })
                    .Register("name: fail\n", _ => throw new InvalidOperationException("broken on purpose")),
            },
        });

    /// <summary>Waits until task <paramref name="id"/> has finished, however it ended, and returns its status.</summary>
    private static async Task<TaskStatusInfo> FinishedAsync(BackgroundRunner runner, string id)
    {
        try
        {
            await runner.GetHandle(id).WaitAsync(Long);
        }
        catch (BackgroundTaskException)
        {
            // Failed or cancelled: the status says which.
        }
        return await runner.GetHandle(id).StatusAsync();
    }

    protected async Task Stats_count_fired_skipped_and_runs_by_status()
    {
        await using var store = await CreateStoreAsync();
        await using var runtime = await StartAsync(store);
        var time = new FakeTimeProvider(T0);
        var service = new ScheduleService(runtime.Runner, ScheduleStore.For(store.Store, runtime.System), time, fires: true);
        var handle = await service.ScheduleAsync("ov", "job", "*/1m", new ScheduleOptions { Overlap = ScheduleOverlap.Skip, CatchUp = ScheduleCatchUp.Once });
        var record = await service.GetAsync("ov", default);

        async Task<int> LookAtAsync(TimeSpan advance)
        {
            time.Advance(advance);
            var (stored, fired) = await service.LookAsync(record, time.GetUtcNow(), default);
            record = stored!;
            return fired;
        }

        // Slot 1 fires and its run waits on the gate; slot 2 falls due while it is unfinished: overlap skip drops it.
        Assert.Equal(1, await LookAtAsync(TimeSpan.FromMinutes(1)));
        Assert.Equal(0, await LookAtAsync(TimeSpan.FromMinutes(1)));
        var stats = await handle.StatsAsync();
        Assert.Equal((1L, 1L, 1L), (stats.Fired, stats.Skipped, stats.Pending + stats.Running));
        Assert.Equal((0L, 0L, 0L), (stats.Succeeded, stats.Failed, stats.Cancelled));
        Assert.Equal(T0.AddMinutes(1), stats.LastFiredAt);
        Assert.Equal(T0.AddMinutes(3), stats.NextFireAt);
        Assert.Null(stats.LastSucceededAt);

        _gate.SetResult();
        await FinishedAsync(runtime.Runner, SchedulePlanner.TaskIdFor("ov", T0.AddMinutes(1)));

        // Down ten minutes: slots 3..12 are due; catch-up once runs one (12) and drops nine.
        Assert.Equal(1, await LookAtAsync(TimeSpan.FromMinutes(10)));
        await FinishedAsync(runtime.Runner, SchedulePlanner.TaskIdFor("ov", T0.AddMinutes(12)));
        stats = await handle.StatsAsync();
        Assert.Equal((2L, 10L, 2L, 0L, 0L), (stats.Fired, stats.Skipped, stats.Succeeded, stats.Pending + stats.Running, stats.Failed));
        Assert.NotNull(stats.LastSucceededAt);
        Assert.Equal(T0.AddMinutes(12), stats.LastFiredAt);

        // A run-now counts as fired, a failed run as failed.
        await handle.TriggerAsync();
        Assert.Equal(3, (await handle.StatsAsync()).Fired);
        var failing = await service.ScheduleAsync("bad", "fail", "*/1m");
        var bad = await service.GetAsync("bad", default);
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, (await service.LookAsync(bad, time.GetUtcNow(), default)).Fired);
        var failed = await FinishedAsync(runtime.Runner, SchedulePlanner.TaskIdFor("bad", T0.AddMinutes(13)));
        Assert.Equal(BackgroundTaskStatus.Failed, failed.Status);
        var badStats = await failing.StatsAsync();
        Assert.Equal((1L, 0L, 1L, 0L), (badStats.Fired, badStats.Skipped, badStats.Failed, badStats.Succeeded));
        Assert.Equal(failed.FinishedAt, badStats.LastFailedAt);
        Assert.Null(badStats.LastSucceededAt);

        // The counters are stored: another service (another process) reads them from the record.
        var reread = new ScheduleService(runtime.Runner, ScheduleStore.For(store.Store, runtime.System), time, fires: false);
        Assert.Equal((3L, 10L), ((await reread.StatsAsync("ov", default)).Fired, (await reread.StatsAsync("ov", default)).Skipped));
        await Assert.ThrowsAsync<ScheduleNotFoundException>(() => reread.StatsAsync("none", default));
    }

    protected async Task A_scheduled_run_carries_runtime_schedule_max_cost_usd_in_its_config()
    {
        await using var store = await CreateStoreAsync();
        RecipeRegistry Recipes(string cost) => new RecipeRegistry().Register($"""
            name: budget
            runtime:
              schedule:
                enabled: true
                interval: daily
                run_immediately: true
                max_cost_usd: {cost}
            """, ctx => Task.FromResult<object?>(ctx.Config.TryGetValue("max_cost_usd", out var c) ? c.GetDecimal() : null));

        await using (var first = await StartAsync(store, Recipes("0.25"), fires: true))
        {
            var schedule = first.Runner.Scheduler.GetHandle("recipe.budget");
            Assert.Equal("""{"max_cost_usd":0.25}""", (await schedule.InfoAsync()).ConfigJson);
            // run_immediately's run: the recipe body reads the budget from its config.
            var run = Assert.Single(await schedule.RunsAsync());
            Assert.Equal(0.25m, Convert.ToDecimal(await first.Runner.GetHandle(run.TaskId).WaitAsync(Long), CultureInfo.InvariantCulture));
        }
        // A changed budget updates the stored schedule; its next run carries the new one.
        await using var second = await StartAsync(store, Recipes("1.5"), fires: true);
        var updated = second.Runner.Scheduler.GetHandle("recipe.budget");
        Assert.Equal("""{"max_cost_usd":1.5}""", (await updated.InfoAsync()).ConfigJson);
        var next = await updated.TriggerAsync();
        Assert.Equal(1.5m, Convert.ToDecimal(await second.Runner.GetHandle(next).WaitAsync(Long), CultureInfo.InvariantCulture));
    }
}

public sealed class SqliteScheduleStatsTests : ScheduleStatsSuite
{
    protected override Task<TestStore> CreateStoreAsync() => Task.FromResult<TestStore>(new SqliteTestStore());

    [Fact] public Task Stats_count_fired_skipped_and_runs() => Stats_count_fired_skipped_and_runs_by_status();
    [Fact] public Task Scheduled_run_carries_max_cost_usd() => A_scheduled_run_carries_runtime_schedule_max_cost_usd_in_its_config();
}

public sealed class PostgresScheduleStatsTests : ScheduleStatsSuite
{
    protected override async Task<TestStore> CreateStoreAsync() => await PostgresTestStore.CreateAsync();

    [PostgresFact] public Task Stats_count_fired_skipped_and_runs() => Stats_count_fired_skipped_and_runs_by_status();
    [PostgresFact] public Task Scheduled_run_carries_max_cost_usd() => A_scheduled_run_carries_runtime_schedule_max_cost_usd_in_its_config();
}
