using Praison.Actors.Scheduling;
using Xunit;
using Xunit.Abstractions;

namespace Praison.Actors.Tests.Scheduling;

/// <summary>
/// History retention on the ephemeral store (the memory <see cref="ScheduleStore"/>): bounded as the SQL table bounds it
/// (the newest <c>ScheduleHistoryLimit</c> kept at each snapshot point, a creation and a deletion), numbered on without
/// gaps, a name created again continuing its sequence; the runner's option reaches its store and is checked.
/// </summary>
public class ScheduleHistoryRetentionTests(ITestOutputHelper output) : RuntimeTestKit(output)
{
    private static readonly RecipeRegistry Job = Recipes(("name: job\n", _ => Task.FromResult<object?>("ok")));

    [Fact]
    public async Task The_memory_store_keeps_the_newest_events_and_continues_the_sequence()
    {
        var store = ScheduleStore.For(null, Sys, historyLimit: 5, snapshotEvery: 10);
        var runner = CreateRunner(recipes: Job);
        var service = new ScheduleService(runner, store, TimeProvider.System, fires: false);
        await service.ScheduleAsync("m", "job", "hourly", new ScheduleOptions { Paused = true });
        for (var i = 0; i < 100; i++)
            await store.UpdateAsync("m", r => r with { SkippedCount = r.SkippedCount + 1 }, default);

        var history = await store.HistoryAsync("m", 1_000, default);
        Assert.InRange(history.Count, 5, 5 + 10);
        Assert.Equal(Enumerable.Range(0, history.Count).Select(k => 101L - k), history.Select(e => e.SequenceNr)); // newest first, no gap
        Assert.Equal(101, history[0].Event.Version);

        Assert.True(await store.DeleteAsync("m", default));
        await service.ScheduleAsync("m", "job", "daily");
        var again = await store.HistoryAsync("m", 1_000, default);
        Assert.Equal([("created", 103L), ("deleted", 102L)], again.Take(2).Select(e => (e.Event.Kind, e.SequenceNr)));
        Assert.Equal(5, again.Count); // a creation keeps the newest 5 too
    }

    [Fact]
    public async Task The_runners_option_bounds_the_history_of_its_changes()
    {
        var runner = new BackgroundRunner(Sys, new BackgroundRunnerOptions { Recipes = Job, ScheduleHistoryLimit = 5, ActorName = "tasks-retention" });
        var handle = await runner.Scheduler.ScheduleAsync("r", "job", "hourly", new ScheduleOptions { Paused = true });
        for (var i = 0; i < 60; i++)
        {
            await handle.ResumeAsync();
            await handle.PauseAsync();
        }
        // Version 121: the snapshot point at 100 kept the newest 5, and 21 changes came after it.
        var history = await handle.HistoryAsync(1_000);
        Assert.Equal(5 + 21, history.Count);
        Assert.Equal(121, history[0].Sequence);
        Assert.Equal("paused", history[0].Kind);

        var bad = Assert.Throws<ArgumentOutOfRangeException>(() => new BackgroundRunner(Sys, new BackgroundRunnerOptions { ScheduleHistoryLimit = 0 }));
        Assert.Equal(nameof(BackgroundRunnerOptions.ScheduleHistoryLimit), bad.ParamName);
    }
}
