using Microsoft.Data.Sqlite;
using Praison.Actors.IntegrationTests.Support;
using Praison.Actors.Messages;
using Praison.Actors.Persistence;
using Praison.Actors.Scheduling;
using Xunit;
using Xunit.Abstractions;

namespace Praison.Actors.IntegrationTests.Scheduling;

/// <summary>
/// Bounded schedule history on a real SQLite file and a real PostgreSQL server: a schedule driven through thousands of
/// changes keeps at most <c>ScheduleHistoryLimit</c> + the snapshot interval journal rows, its history is the newest
/// events in order, <c>praison_schedules</c> dropped and rebuilt at start-up from the kept events gives the identical
/// record (the fold starts at the latest snapshot), the runner's option bounds what its own changes store, and a name
/// deleted and created again continues its sequence.
/// </summary>
public abstract class ScheduleRetentionSuite(ITestOutputHelper output)
{
    private const int Limit = 50, Every = 10, Changes = 3_000;
    private const string Pid = "schedule|busy";

    protected abstract Task<TestStore> CreateStoreAsync();

    private static Task<PraisonRuntime> StartAsync(TestStore store) => PraisonRuntime.StartAsync(new PraisonRuntimeOptions
    {
        Store = store.Store,
        Runner = new BackgroundRunnerOptions
        {
            Recipes = new RecipeRegistry().Register("name: job\n", _ => Task.FromResult<object?>("ok")),
            ScheduleHistoryLimit = Limit,
        },
    });

    private static async Task<long> ScalarAsync(TestStore store, string sql)
    {
        await using var connection = await StoreSql.OpenAsync(store);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync() ?? 0L);
    }

    private static Task<long> RowsAsync(TestStore store) => ScalarAsync(store, $"SELECT COUNT(*) FROM journal WHERE persistence_id = '{Pid}'");

    /// <summary>The schedule's stored events, oldest first.</summary>
    private static async Task<List<StoredScheduleEvent>> EventsAsync(TestStore store)
    {
        var events = await store.Store.Sql!.Schedules.EventsAsync("busy", int.MaxValue, CancellationToken.None);
        events.Reverse();
        return events;
    }

    protected async Task A_busy_schedule_keeps_a_bounded_history_that_still_rebuilds_its_row()
    {
        await using var store = await CreateStoreAsync();
        string row;
        await using (var first = await StartAsync(store))
        {
            // Paused: the host's scheduler leaves it alone while this test changes it through the store.
            await first.Runner.ScheduleAsync("busy", "job", "hourly", new ScheduleOptions { Paused = true });
            var schedules = ScheduleStore.For(store.Store, first.System, Limit, Every);
            var record = (await schedules.GetAsync("busy", default))!;
            var slot = record.NextFireAt!.Value;
            for (var i = 1; i <= Changes; i++)
            {
                var next = (i % 3) switch
                {
                    0 => record.WithRuns([new ScheduleRunEntry($"sch-busy-{i}", slot.AddSeconds(-i), slot.AddSeconds(-i).AddMilliseconds(4), "manual")]),
                    1 => record with { SkippedCount = record.SkippedCount + 1 },
                    _ => record with { InputJson = $$"""{"i":{{i}}}""" },
                };
                record = await schedules.ReplaceAsync(next, default) ?? throw new InvalidOperationException($"change {i} lost its version");
            }
            Assert.Equal(Changes + 1, record.Version);

            var rows = await RowsAsync(store);
            var bytes = await ScalarAsync(store, $"SELECT SUM(length(message)) FROM journal WHERE persistence_id = '{Pid}'");
            var snapshotBytes = await ScalarAsync(store, // here sequence number = version, so the snapshots are the multiples of Every
                $"SELECT SUM(length(message)) FROM journal WHERE persistence_id = '{Pid}' AND sequence_number % {Every} = 0");
            var snapshots = rows / Every;
            output.WriteLine($"{store.Store.GetType().Name}: {Changes + 1} events written, {rows} journal rows kept ({bytes} bytes; limit {Limit}, " +
                             $"snapshot every {Every}); a snapshot event {snapshotBytes / snapshots} bytes, another {(bytes - snapshotBytes) / (rows - snapshots)} bytes");
            Assert.InRange(rows, Limit, Limit + Every);

            // The history is the newest events, newest first, numbered on from the first (none renumbered).
            var history = await schedules.HistoryAsync("busy", 10_000, default);
            Assert.Equal(rows, history.Count);
            Assert.Equal(Enumerable.Range(0, history.Count).Select(k => (long)(Changes + 1 - k)), history.Select(e => e.SequenceNr));
            var shown = await first.Runner.Scheduler.GetHandle("busy").HistoryAsync(Limit);
            Assert.Equal(history.Take(Limit).Select(e => e.SequenceNr), shown.Select(h => h.Sequence));

            // The fold reads from the latest snapshot on, and that gives the row.
            var fold = await store.Store.Sql!.Schedules.FoldEventsAsync("busy", default);
            Assert.InRange(fold.Count, 1, Every);
            Assert.NotNull(fold[0].Event.Record);
            row = ScheduleTable.Serialize((await schedules.GetAsync("busy", default))!);
            Assert.Equal(row, ScheduleTable.Serialize(ScheduleEvents.Fold(fold.Select(e => e.Event))!));
            Assert.Equal(row, ScheduleTable.Serialize(ScheduleEvents.Fold((await EventsAsync(store)).Select(e => e.Event))!));
        }

        Assert.Equal(1, await ScalarAsync(store, "SELECT COUNT(*) FROM praison_schedules"));
        await using (var connection = await StoreSql.OpenAsync(store))
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "DELETE FROM praison_schedules";
            await command.ExecuteNonQueryAsync();
        }
        await using var second = await StartAsync(store); // reconciles: the row comes back from the kept events
        var handle = second.Runner.Scheduler.GetHandle("busy");
        Assert.Equal(row, ScheduleTable.Serialize((await ScheduleStore.For(store.Store, second.System).GetAsync("busy", default))!));

        // The runner's own changes keep its ScheduleHistoryLimit (snapshots at the default interval of 100 versions).
        for (var i = 0; i < 60; i++)
        {
            await handle.ResumeAsync();
            await handle.PauseAsync();
        }
        var afterHandle = await RowsAsync(store);
        output.WriteLine($"after 120 pause/resume through the runner: {afterHandle} journal rows (limit {Limit}, snapshot every {ScheduleEvents.SnapshotEvery})");
        Assert.InRange(afterHandle, Limit, Limit + ScheduleEvents.SnapshotEvery);
        Assert.True(afterHandle < Limit + 120);
        var kept = await EventsAsync(store);
        Assert.Equal(Changes + 1 + 120, kept[^1].SequenceNr);
        Assert.Equal(ScheduleTable.Serialize((await ScheduleStore.For(store.Store, second.System).GetAsync("busy", default))!),
            ScheduleTable.Serialize(ScheduleEvents.Fold(kept.Select(e => e.Event))!));

        // Deleted and created again: the sequence goes on from the last kept event.
        Assert.True(await handle.DeleteAsync());
        await second.Runner.ScheduleAsync("busy", "job", "daily", new ScheduleOptions { Paused = true });
        var again = await second.Runner.Scheduler.GetHandle("busy").HistoryAsync(3);
        Assert.Equal([("created", Changes + 123L), ("deleted", Changes + 122L), ("paused", Changes + 121L)], again.Select(h => (h.Kind, h.Sequence)));
        Assert.InRange(await RowsAsync(store), Limit, Limit + ScheduleEvents.SnapshotEvery);
        Assert.Equal("daily", ScheduleEvents.Fold((await store.Store.Sql!.Schedules.FoldEventsAsync("busy", default)).Select(e => e.Event))!.Expression);
    }
}

public sealed class SqliteScheduleRetentionTests(ITestOutputHelper output) : ScheduleRetentionSuite(output)
{
    protected override Task<TestStore> CreateStoreAsync() => Task.FromResult<TestStore>(new SqliteTestStore());

    [Fact] public Task A_busy_schedule_keeps_a_bounded_history() => A_busy_schedule_keeps_a_bounded_history_that_still_rebuilds_its_row();
}

public sealed class PostgresScheduleRetentionTests(ITestOutputHelper output) : ScheduleRetentionSuite(output)
{
    protected override async Task<TestStore> CreateStoreAsync() => await PostgresTestStore.CreateAsync();

    [PostgresFact] public Task A_busy_schedule_keeps_a_bounded_history() => A_busy_schedule_keeps_a_bounded_history_that_still_rebuilds_its_row();
}
