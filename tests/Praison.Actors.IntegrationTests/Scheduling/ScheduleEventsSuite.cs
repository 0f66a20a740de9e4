using Microsoft.Data.Sqlite;
using Praison.Actors.IntegrationTests.Support;
using Praison.Actors.Messages;
using Praison.Actors.Persistence;
using Praison.Actors.Scheduling;
using Xunit;

namespace Praison.Actors.IntegrationTests.Scheduling;

/// <summary>
/// Schedules event-sourced on a real SQLite file and a real PostgreSQL server: each stored change is one journal event
/// under <c>schedule|NAME</c>, written in the row's transaction (a conflict or a failing event write changes nothing);
/// the events fold to the rows, also after a burst of scheduler looks; <c>praison_schedules</c> is rebuilt from them at
/// start-up (emptied, or at an older version); a store whose rows have no events gets them; nothing that reads task
/// events sees these rows.
/// </summary>
public abstract class ScheduleEventsSuite
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

    /// <summary>A schedule's events, oldest first.</summary>
    private static async Task<List<StoredScheduleEvent>> EventsAsync(TestStore store, string name)
    {
        var events = await store.Store.Sql!.Schedules.EventsAsync(name, int.MaxValue, CancellationToken.None);
        events.Reverse();
        return events;
    }

    private static async Task<Dictionary<string, string>> RowsAsync(TestStore store) =>
        (await store.Store.Sql!.Schedules.ListAsync(CancellationToken.None)).ToDictionary(r => r.Name, ScheduleTable.Serialize);

    /// <summary>Every schedule's events number 1..n and fold to its row (a deleted one's to nothing).</summary>
    private static async Task AssertEventsFoldToRowsAsync(TestStore store, params string[] names)
    {
        var rows = await RowsAsync(store);
        foreach (var name in names)
        {
            var events = await EventsAsync(store, name);
            Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.SequenceNr));
            var fold = ScheduleEvents.Fold(events.Select(e => e.Event));
            Assert.Equal(rows.GetValueOrDefault(name), fold is null ? null : ScheduleTable.Serialize(fold));
        }
    }

    /// <summary>Fires the next slot of <paramref name="name"/> as the scheduler's look would (the host's own is not due yet).</summary>
    private static async Task FireNextSlotAsync(PraisonRuntime runtime, TestStore store, string name)
    {
        var schedules = ScheduleStore.For(store.Store, runtime.System);
        var service = new ScheduleService(runtime.Runner, schedules, TimeProvider.System, fires: true);
        var record = (await schedules.GetAsync(name, default))!;
        Assert.Equal(1, (await service.LookAsync(record, record.NextFireAt!.Value, default)).Fired);
    }

    protected async Task The_table_is_rebuilt_from_the_events_when_emptied_or_older()
    {
        await using var store = await CreateStoreAsync();
        Dictionary<string, string> rows;
        string early;
        await using (var first = await StartAsync(store))
        {
            var scheduler = first.Runner.Scheduler;
            await first.Runner.ScheduleAsync("a", "job", "hourly", new ScheduleOptions { Input = new { n = 1 }, TimeZone = "Europe/Berlin" });
            early = (await RowsAsync(store))["a"];
            await FireNextSlotAsync(first, store, "a");
            await first.Runner.ScheduleAsync("b", "job", "daily");
            await scheduler.GetHandle("b").PauseAsync();
            await scheduler.GetHandle("b").UpdateAsync(new ScheduleUpdate { Expression = "*/5m", Timeout = TimeSpan.FromSeconds(30) });
            await scheduler.GetHandle("b").TriggerAsync();
            await first.Runner.ScheduleAsync("gone", "job", "daily");
            await scheduler.GetHandle("gone").DeleteAsync();
            rows = await RowsAsync(store);
            Assert.Equal(["a", "b"], rows.Keys.Order());
            await AssertEventsFoldToRowsAsync(store, "a", "b", "gone");
        }

        Assert.Equal(2, await StoreSql.ExecuteAsync(store, "DELETE FROM praison_schedules"));
        await using (var second = await StartAsync(store))
        {
            Assert.Equal(rows, await RowsAsync(store));
            Assert.Equal(["a", "b"], (await second.Runner.Scheduler.ListAsync()).Select(s => s.Name));
            Assert.Equal(["fired", "updated", "paused", "created"], // nothing added by the rebuild
                (await second.Runner.Scheduler.GetHandle("b").HistoryAsync()).Select(h => h.Kind));
        }

        // A row at an older version (a restored backup of the table) is brought forward too.
        Assert.Equal(1, await StoreSql.ExecuteAsync(store, "UPDATE praison_schedules SET body = @body, version = 1 WHERE name = 'a'", ("body", early)));
        await using (var third = await StartAsync(store))
            Assert.Equal(rows, await RowsAsync(store));
    }

    protected async Task A_change_that_does_not_stick_writes_no_event()
    {
        await using var store = await CreateStoreAsync();
        await using var runtime = await StartAsync(store);
        await runtime.Runner.ScheduleAsync("s", "job", "daily", new ScheduleOptions { Paused = true });
        var schedules = ScheduleStore.For(store.Store, runtime.System);
        var read = (await schedules.GetAsync("s", default))!;
        Assert.NotNull(await schedules.ReplaceAsync(read with { Overlap = ScheduleOverlap.Allow }, default));
        Assert.Null(await schedules.ReplaceAsync(read with { Paused = false }, default)); // stale: loses
        await Assert.ThrowsAsync<ScheduleException>(() => runtime.Runner.Scheduler.ScheduleAsync("s", "job", "hourly")); // name taken
        Assert.Equal(["created", "updated"], (await EventsAsync(store, "s")).Select(e => e.Event.Kind));

        // The event write fails after the row's write: the transaction, row included, is rolled back.
        await StoreSql.ExecuteAsync(store, store.Store is TaskStore.PostgreSqlStore
            ? """
              CREATE FUNCTION praison_test_fail() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$ LANGUAGE plpgsql;
              CREATE TRIGGER praison_test_fail BEFORE INSERT ON journal FOR EACH ROW WHEN (NEW.persistence_id = 'schedule|s') EXECUTE FUNCTION praison_test_fail();
              """
            : "CREATE TRIGGER praison_test_fail BEFORE INSERT ON journal WHEN NEW.persistence_id = 'schedule|s' BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
        var handle = runtime.Runner.Scheduler.GetHandle("s");
        var failed = await Assert.ThrowsAsync<TaskStoreException>(() => handle.ResumeAsync());
        Assert.Contains("injected failure", failed.Message);
        await Assert.ThrowsAsync<TaskStoreException>(() => handle.DeleteAsync());
        var row = (await schedules.GetAsync("s", default))!;
        Assert.Equal((2L, true), (row.Version, row.Paused));
        Assert.Equal(2, (await EventsAsync(store, "s")).Count);

        await StoreSql.ExecuteAsync(store, "DROP TRIGGER praison_test_fail" + (store.Store is TaskStore.PostgreSqlStore ? " ON journal" : ""));
        await handle.ResumeAsync();
        Assert.Equal(["created", "updated", "resumed"], (await EventsAsync(store, "s")).Select(e => e.Event.Kind));
        await AssertEventsFoldToRowsAsync(store, "s");
    }

    protected async Task Rows_and_events_agree_after_a_burst_of_scheduler_looks()
    {
        await using var store = await CreateStoreAsync();
        var names = Enumerable.Range(0, 6).Select(i => $"burst{i}").ToArray();
        await using (var runtime = await StartAsync(store))
        {
            foreach (var name in names)
                await runtime.Runner.ScheduleAsync(name, "job", "*/1s", new ScheduleOptions { Overlap = ScheduleOverlap.Allow, CatchUp = ScheduleCatchUp.Skip });
            await StoreSql.UntilAsync(async () => (await runtime.Runner.Scheduler.ListAsync()).All(s => s.LastFireAt is not null)
                                         && (await RowsAsync(store)).Count == names.Length
                                         && (await runtime.Runner.ListAsync()).Count >= 3 * names.Length, "every schedule fired a few slots");
            await runtime.Runner.Scheduler.GetHandle(names[0]).PauseAsync();
        }
        await AssertEventsFoldToRowsAsync(store, names);
        foreach (var record in await store.Store.Sql!.Schedules.ListAsync(CancellationToken.None))
        {
            var events = await EventsAsync(store, record.Name);
            Assert.Equal(record.Version, events.Count); // one event per stored change, none for a change that lost
            Assert.Contains(events, e => e.Event.Kind == "fired");
        }
    }

    protected async Task A_store_whose_rows_have_no_events_gets_them_at_start()
    {
        await using var store = await CreateStoreAsync();
        string row;
        await using (var first = await StartAsync(store))
        {
            await first.Runner.ScheduleAsync("old", "job", "hourly");
            await FireNextSlotAsync(first, store, "old");
            row = (await RowsAsync(store))["old"];
        }
        // As a store written before schedules had events: rows only.
        await StoreSql.ExecuteAsync(store, "DELETE FROM journal WHERE persistence_id LIKE 'schedule|%'");
        await using var second = await StartAsync(store);
        var seeded = Assert.Single(await EventsAsync(store, "old"));
        Assert.Equal(("created", 2L), (seeded.Event.Kind, seeded.Event.Version)); // the row as it stands, at its version
        Assert.Equal(row, (await RowsAsync(store))["old"]);
        await second.Runner.Scheduler.GetHandle("old").PauseAsync();
        Assert.Equal(["paused", "created"], (await second.Runner.Scheduler.GetHandle("old").HistoryAsync()).Select(h => h.Kind));
        await AssertEventsFoldToRowsAsync(store, "old");

        // A row without events written while this host runs (an older version's process on the same store): its first
        // change stores the row as it stood first.
        await StoreSql.ExecuteAsync(store, "DELETE FROM journal WHERE persistence_id LIKE 'schedule|%'");
        await second.Runner.Scheduler.GetHandle("old").ResumeAsync();
        Assert.Equal([("created", 3L), ("resumed", 4L)], (await EventsAsync(store, "old")).Select(e => (e.Event.Kind, e.Event.Version!.Value)));
        await AssertEventsFoldToRowsAsync(store, "old");
    }

    protected async Task Nothing_that_reads_task_events_sees_schedule_events()
    {
        await using var store = await CreateStoreAsync();
        string fired;
        await using (var first = await StartAsync(store))
        {
            await first.Runner.ScheduleAsync("s", "job", "hourly");
            await FireNextSlotAsync(first, store, "s");
            fired = (await first.Runner.Scheduler.GetHandle("s").RunsAsync()).Single().TaskId;
            await first.Runner.GetHandle(fired).WaitAsync(Long);
            var direct = (await first.Runner.RunBackgroundAsync("job")).TaskId;
            await first.Runner.GetHandle(direct).WaitAsync(Long);
            string[] tasks = [.. new[] { fired, direct }.Order()];
            Assert.Equal(tasks, (await store.Store.ReadTasksAsync()).Select(t => t.Info.TaskId).Order());
            Assert.Equal(tasks, (await first.Runner.ListAsync()).Select(t => t.TaskId).Order());
            await store.Store.Sql!.PurgeDeletedAsync(CancellationToken.None);
        }
        Assert.Equal(2, (await EventsAsync(store, "s")).Count);

        // The task table is rebuilt from a journal that holds schedule events beside the tasks'.
        await StoreSql.ExecuteAsync(store, "DROP TABLE praison_tasks; DROP TABLE praison_schema");
        await using var second = await StartAsync(store);
        var listed = await second.Runner.ListAsync();
        Assert.Equal(2, listed.Count);
        Assert.All(listed, t => Assert.Equal(BackgroundTaskStatus.Completed, t.Status));
        Assert.Equal("s", Assert.Single(await second.Runner.Scheduler.ListAsync()).Name);
        await AssertEventsFoldToRowsAsync(store, "s");
    }
}

public sealed class SqliteScheduleEventsTests : ScheduleEventsSuite
{
    protected override Task<TestStore> CreateStoreAsync() => Task.FromResult<TestStore>(new SqliteTestStore());

    [Fact] public Task Table_is_rebuilt_from_the_events() => The_table_is_rebuilt_from_the_events_when_emptied_or_older();
    [Fact] public Task A_change_that_does_not_stick_writes_no_event_() => A_change_that_does_not_stick_writes_no_event();
    [Fact] public Task Rows_and_events_agree_after_a_burst() => Rows_and_events_agree_after_a_burst_of_scheduler_looks();
    [Fact] public Task Rows_without_events_get_them() => A_store_whose_rows_have_no_events_gets_them_at_start();
    [Fact] public Task Task_readers_do_not_see_schedule_events() => Nothing_that_reads_task_events_sees_schedule_events();
}

public sealed class PostgresScheduleEventsTests : ScheduleEventsSuite
{
    protected override async Task<TestStore> CreateStoreAsync() => await PostgresTestStore.CreateAsync();

    [PostgresFact] public Task Table_is_rebuilt_from_the_events() => The_table_is_rebuilt_from_the_events_when_emptied_or_older();
    [PostgresFact] public Task A_change_that_does_not_stick_writes_no_event_() => A_change_that_does_not_stick_writes_no_event();
    [PostgresFact] public Task Rows_and_events_agree_after_a_burst() => Rows_and_events_agree_after_a_burst_of_scheduler_looks();
    [PostgresFact] public Task Rows_without_events_get_them() => A_store_whose_rows_have_no_events_gets_them_at_start();
    [PostgresFact] public Task Task_readers_do_not_see_schedule_events() => Nothing_that_reads_task_events_sees_schedule_events();
}
