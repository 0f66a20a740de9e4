using Praison.Actors.IntegrationTests.Support;
using Praison.Actors.Scheduling;
using Xunit;

namespace Praison.Actors.IntegrationTests.Scheduling;

/// <summary>
/// Schedules in <c>praison_schedules</c> on a real SQLite file and a real PostgreSQL server: they survive a restart and
/// fire there, changes are optimistic (a stale version loses), and a slot submitted before and after a restart (the
/// host died between submitting it and recording it) is still one task.
/// </summary>
public abstract class DurableScheduleSuite
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    protected abstract Task<TestStore> CreateStoreAsync();

    private static Task<PraisonRuntime> StartAsync(TestStore store) => PraisonRuntime.StartAsync(new PraisonRuntimeOptions
    {
        Store = store.Store,
        Runner = new BackgroundRunnerOptions
        {
            Recipes = new RecipeRegistry().Register("name: job\n", _ => Task.FromResult<object?>("ok")),
        },
    });

    private static Task<PraisonRuntime> StartWithScheduledRecipeAsync(TestStore store, bool enabled) => PraisonRuntime.StartAsync(new PraisonRuntimeOptions
    {
        Store = store.Store,
        Runner = new BackgroundRunnerOptions
        {
            Recipes = new RecipeRegistry().Register($"""
                name: ticker
                runtime:
                  schedule:
                    enabled: {(enabled ? "true" : "false")}
                    interval: daily
                    max_retries: 2
                """, _ => Task.FromResult<object?>("ok")),
        },
    });

    protected async Task A_library_host_applies_runtime_schedule_when_it_starts()
    {
        await using var store = await CreateStoreAsync();
        await using (var first = await StartWithScheduledRecipeAsync(store, enabled: true))
        {
            var created = Assert.Single(await first.Runner.Scheduler.ListAsync());
            Assert.Equal(("recipe.ticker", "ticker", "daily", 3, false), (created.Name, created.Recipe, created.Expression, created.MaxAttempts, created.Paused));
        }
        await using (var again = await StartWithScheduledRecipeAsync(store, enabled: true))
            Assert.Single(await again.Runner.Scheduler.ListAsync()); // one schedule, not a second
        await using var off = await StartWithScheduledRecipeAsync(store, enabled: false);
        Assert.True(Assert.Single(await off.Runner.Scheduler.ListAsync()).Paused);
    }

    protected async Task A_schedule_survives_a_restart_and_fires_there()
    {
        await using var store = await CreateStoreAsync();
        await using (var first = await StartAsync(store))
        {
            await first.Runner.ScheduleAsync("tick", "job", "*/1s", new ScheduleOptions
            {
                Input = new { n = 7 }, TimeZone = "Europe/Berlin", Overlap = ScheduleOverlap.Allow, CatchUp = ScheduleCatchUp.Skip,
            });
            await first.Runner.ScheduleAsync("paused", "job", "*/1s", new ScheduleOptions { Paused = true });
        }
        await using var second = await StartAsync(store);
        var listed = await second.Runner.Scheduler.ListAsync();
        Assert.Equal(["paused", "tick"], listed.Select(s => s.Name));
        var tick = listed[1];
        Assert.Equal(("Europe/Berlin", ScheduleOverlap.Allow, ScheduleCatchUp.Skip, """{"n":7}"""),
            (tick.TimeZone, tick.Overlap, tick.CatchUp, tick.InputJson));

        var handle = second.Runner.Scheduler.GetHandle("tick");
        await StoreSql.UntilAsync(async () => (await handle.RunsAsync()).Any(r => r.Status == BackgroundTaskStatus.Completed), "a slot ran after the restart");
        Assert.Empty(await second.Runner.Scheduler.GetHandle("paused").RunsAsync());
        var run = (await handle.RunsAsync())[0];
        Assert.Equal(SchedulePlanner.TaskIdFor("tick", run.SlotAt), run.TaskId);
    }

    protected async Task A_stale_version_loses_and_a_duplicate_name_is_refused()
    {
        await using var store = await CreateStoreAsync();
        await using var runtime = await StartAsync(store);
        await runtime.Runner.ScheduleAsync("s", "job", "daily", new ScheduleOptions { Paused = true });
        var schedules = ScheduleStore.For(store.Store, runtime.System);
        var read = (await schedules.GetAsync("s", default))!;
        Assert.Equal(1, read.Version);

        var won = await schedules.ReplaceAsync(read with { Recipe = "job", Paused = false }, default);
        Assert.Equal(2, won!.Version);
        Assert.Null(await schedules.ReplaceAsync(read with { Paused = true }, default)); // still at version 1: loses
        Assert.False((await schedules.GetAsync("s", default))!.Paused);

        var ex = await Assert.ThrowsAsync<ScheduleException>(() => runtime.Runner.ScheduleAsync("s", "job", "hourly"));
        Assert.Contains("already exists", ex.Message);
        Assert.Equal("daily", (await runtime.Runner.Scheduler.GetHandle("s").InfoAsync()).Expression);
        Assert.True(await runtime.Runner.Scheduler.GetHandle("s").DeleteAsync());
        Assert.Empty(await runtime.Runner.Scheduler.ListAsync());
    }

    protected async Task A_slot_submitted_before_a_restart_is_not_submitted_again_after_it()
    {
        await using var store = await CreateStoreAsync();
        Messages.ScheduleRecord stale;
        DateTimeOffset slot;
        await using (var first = await StartAsync(store))
        {
            // Paused, so the host's own scheduler stays out of it; the test makes the looks itself.
            await first.Runner.ScheduleAsync("once", "job", "hourly", new ScheduleOptions { Paused = true });
            var schedules = ScheduleStore.For(store.Store, first.System);
            stale = (await schedules.GetAsync("once", default))! with { Paused = false };
            slot = stale.NextFireAt!.Value;
            var service = new ScheduleService(first.Runner, schedules, TimeProvider.System, fires: true);
            // The host submits the slot and dies before recording it: the record still points at the slot.
            var looked = await service.LookAsync(stale with { Version = 0 }, slot, default);
            Assert.Equal(1, looked.Fired);
        }
        await using var second = await StartAsync(store);
        var again = new ScheduleService(second.Runner, ScheduleStore.For(store.Store, second.System), TimeProvider.System, fires: true);
        var relooked = await again.LookAsync(stale, slot, default);
        Assert.Equal(1, relooked.Fired);
        var tasks = await second.Runner.ListAsync();
        Assert.Equal(SchedulePlanner.TaskIdFor("once", slot), Assert.Single(tasks).TaskId);
    }

    protected async Task Fired_tasks_carry_the_schedule_name_in_the_table_across_a_restart()
    {
        await using var store = await CreateStoreAsync();
        DateTimeOffset slot;
        string direct;
        await using (var first = await StartAsync(store))
        {
            await first.Runner.ScheduleAsync("named", "job", "hourly", new ScheduleOptions { Paused = true });
            await first.Runner.ScheduleAsync("other", "job", "hourly", new ScheduleOptions { Paused = true });
            var schedules = ScheduleStore.For(store.Store, first.System);
            var service = new ScheduleService(first.Runner, schedules, TimeProvider.System, fires: true);
            var record = (await schedules.GetAsync("named", default))! with { Paused = false };
            slot = record.NextFireAt!.Value;
            Assert.Equal(1, (await service.LookAsync(record, slot, default)).Fired);
            direct = (await first.Runner.RunBackgroundAsync("job")).TaskId;
            await first.Runner.GetHandle(direct).WaitAsync(Long);
        }
        await using var second = await StartAsync(store);
        var id = SchedulePlanner.TaskIdFor("named", slot);
        Assert.Equal("named", (await store.Store.GetTaskAsync(id))!.ScheduleName);
        Assert.Null((await store.Store.GetTaskAsync(direct))!.ScheduleName);
        var page = await store.Store.QueryTasksAsync(new TaskQuery { ScheduleName = "named" }, 0, 10);
        Assert.Equal([id], page.Tasks.Select(t => t.TaskId));
        Assert.Equal(1, page.Total);
        Assert.Empty((await second.Runner.ListAsync(new TaskQuery { ScheduleName = "other" })));
        Assert.Equal([id], (await second.Runner.Scheduler.GetHandle("named").RunsAsync()).Select(r => r.TaskId));
    }
}

public sealed class SqliteScheduleTests : DurableScheduleSuite
{
    protected override Task<TestStore> CreateStoreAsync() => Task.FromResult<TestStore>(new SqliteTestStore());

    [Fact] public Task Survives_a_restart_and_fires() => A_schedule_survives_a_restart_and_fires_there();
    [Fact] public Task Library_host_applies_runtime_schedule() => A_library_host_applies_runtime_schedule_when_it_starts();
    [Fact] public Task Stale_version_loses() => A_stale_version_loses_and_a_duplicate_name_is_refused();
    [Fact] public Task Slot_before_and_after_a_restart_is_one_task() => A_slot_submitted_before_a_restart_is_not_submitted_again_after_it();
    [Fact] public Task Tasks_carry_the_schedule_name() => Fired_tasks_carry_the_schedule_name_in_the_table_across_a_restart();
}

public sealed class PostgresScheduleTests : DurableScheduleSuite
{
    protected override async Task<TestStore> CreateStoreAsync() => await PostgresTestStore.CreateAsync();

    [PostgresFact] public Task Survives_a_restart_and_fires() => A_schedule_survives_a_restart_and_fires_there();
    [PostgresFact] public Task Library_host_applies_runtime_schedule() => A_library_host_applies_runtime_schedule_when_it_starts();
    [PostgresFact] public Task Stale_version_loses() => A_stale_version_loses_and_a_duplicate_name_is_refused();
    [PostgresFact] public Task Slot_before_and_after_a_restart_is_one_task() => A_slot_submitted_before_a_restart_is_not_submitted_again_after_it();
    [PostgresFact] public Task Tasks_carry_the_schedule_name() => Fired_tasks_carry_the_schedule_name_in_the_table_across_a_restart();
}
