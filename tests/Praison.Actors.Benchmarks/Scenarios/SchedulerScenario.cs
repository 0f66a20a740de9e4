using System.Collections.Concurrent;
using System.Data.Common;
using Praison.Actors.Benchmarks.Baselines;
using Praison.Actors.Benchmarks.Harness;
using Praison.Actors.Persistence;
using Praison.Actors.Scheduling;

namespace Praison.Actors.Benchmarks.Scenarios;

/// <summary>
/// The scheduler on one host: N schedules of <c>*/1s</c> (1,000; --quick 100) on a SQLite store (and PostgreSQL when
/// configured) fire for a while (20 s; --quick 6 s). Firing accuracy is each run's start (the recipe's first line)
/// minus its slot, read from the task id, as p50/p99. Store writes per fired slot: schedule-row replaces (the sum of
/// the rows' versions beyond 1), schedule events (journal rows under <c>schedule|NAME</c>, written with the row replaces)
/// and journal events of the slot tasks, each divided by the fired slots; and the process CPU
/// per slot run while firing (comparable when the machine is loaded). The first two
/// seconds are left out of the accuracy figures (start-up: the schedules are created while the host runs), and so are
/// the last two (runs still starting). "Slots started / slots due" counts, in that window, the slots each schedule had
/// due (from its own anchor, both ends inclusive, as the started slots are filtered) against the slots whose run started;
/// above 100 % would mean runs for slots that were never due, reported as the scenario's error.
/// </summary>
public sealed class SchedulerScenario : Scenario
{
    public override string Name => "scheduler";
    public override bool OptIn => true;

    public override async Task RunAsync(ScenarioResult result, HarnessOptions o, CancellationToken ct)
    {
        var schedules = o.Size(1_000, 100);
        var seconds = o.Size(20, 6);
        result.Settings = $"{schedules:N0} schedules of */1s (overlap allow, catch-up skip) firing for {seconds} s on one host " +
                          "(MaxConcurrentTasks 64, a recipe that returns at once); one run per store.";
        foreach (var kind in Stores(result, o, "", StoreKind.Sqlite, StoreKind.PostgreSql))
            await RunOnceAsync(result, o, kind, schedules, seconds, ct);
    }

    private static async Task RunOnceAsync(ScenarioResult result, HarnessOptions o, StoreKind kind, int count, int seconds, CancellationToken ct)
    {
        await using var store = await StoreUnderTest.CreateAsync(kind, o.PostgresConnectionString, ct);
        var started = new ConcurrentDictionary<string, DateTimeOffset>();
        var runtime = await PraisonRuntime.StartAsync(new PraisonRuntimeOptions
        {
            Store = store.Store,
            Config = Akka.Configuration.ConfigurationFactory.ParseString("akka.loglevel = WARNING"),
            Runner = new BackgroundRunnerOptions
            {
                MaxConcurrentTasks = 64,
                MaxQueued = 1_000_000,
                Recipes = new RecipeRegistry().Register("name: stamp\n", ctx =>
                {
                    started.TryAdd(ctx.TaskId, DateTimeOffset.UtcNow);
                    return Task.FromResult<object?>(null);
                }),
            },
        }, ct);
        var scheduler = runtime.Runner.Scheduler;
        for (var i = 0; i < count; i++)
            await scheduler.ScheduleAsync($"s{i:D5}", "stamp", "*/1s",
                new ScheduleOptions { Overlap = ScheduleOverlap.Allow, CatchUp = ScheduleCatchUp.Skip }, ct);
        // Each schedule's slots count from its own anchor (its creation second), so the due slots are counted per schedule.
        var expressions = (await ScheduleStore.For(store.Store, runtime.System).ListAsync(ct)).Select(ScheduleService.Expression).ToList();
        var from = DateTimeOffset.UtcNow.AddSeconds(2);
        Progress($"{Label(kind)}: {count} schedules created; firing for {seconds} s");
        var process = System.Diagnostics.Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var startedBefore = started.Count;
        await Task.Delay(TimeSpan.FromSeconds(seconds), ct);
        var until = DateTimeOffset.UtcNow;
        process.Refresh();
        var cpu = process.TotalProcessorTime - cpuBefore;
        var startedMeanwhile = started.Count - startedBefore;

        var end = until.AddSeconds(-2);
        var lateness = started
            .Select(p => (Slot: DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(p.Key[(p.Key.LastIndexOf('-') + 1)..])), Start: p.Value))
            .Where(p => p.Slot >= from && p.Slot <= end)
            .Select(p => (p.Start - p.Slot).TotalMilliseconds)
            .Order()
            .ToArray();
        var expected = expressions.Sum(e => e.CountBetween(from, end, long.MaxValue));
        var name = $"{Label(kind)} {count:N0} × */1s";
        if (lateness.Length > 0)
        {
            result.Figure(name, "slot → run started p50", "ms").Add(Side.Project, Stats.Percentile(lateness, 50));
            result.Figure(name, "slot → run started p99", "ms").Add(Side.Project, Stats.Percentile(lateness, 99));
        }
        result.Figure(name, "slots started / slots due", "%").Add(Side.Project, expected == 0 ? 0 : 100.0 * lateness.Length / expected);
        if (lateness.Length > expected)
        {
            var error = $"{Label(kind)}: {lateness.Length:N0} runs started for slots in the window but only {expected:N0} slots were due: runs for slots never due.";
            result.Error = result.Error is null ? error : result.Error + " " + error;
        }
        // CPU of the whole process (scheduler, runner, store client) per slot run while firing: comparable on a loaded machine.
        if (startedMeanwhile > 0)
            result.Figure(name, "process CPU per slot run", "µs").Add(Side.Project, cpu.TotalMicroseconds / startedMeanwhile);

        // Stop the host before counting, so the counts agree with each other.
        var system = runtime.System;
        await runtime.DisposeAsync();
        var rows = await ScheduleStore.For(store.Store, system).ListAsync(ct);
        var fired = started.Count;
        var replaces = rows.Sum(r => r.Version - 1);
        var events = await CountAsync(store.Store, "SELECT COUNT(*) FROM journal WHERE persistence_id LIKE 'task-sch-%'", ct);
        // Beyond each schedule's created event: one per row replace.
        var scheduleEvents = await CountAsync(store.Store, "SELECT COUNT(*) FROM journal WHERE persistence_id LIKE 'schedule|%'", ct) - rows.Count;
        if (fired > 0)
        {
            result.Figure(name, "schedule-row writes per fired slot", "writes").Add(Side.Project, (double)replaces / fired);
            result.Figure(name, "schedule events per fired slot", "events").Add(Side.Project, (double)scheduleEvents / fired);
            result.Figure(name, "journal events per fired slot", "events").Add(Side.Project, (double)events / fired);
        }
        result.Notes.Add($"{Label(kind)}: {started.Count:N0} slots ran in {seconds} s; {replaces:N0} schedule-row replaces; " +
                         $"{scheduleEvents:N0} schedule events beyond the created ones; {events:N0} journal events of the slot tasks.");
    }

    private static async Task<long> CountAsync(TaskStore store, string sql, CancellationToken ct)
    {
        if (store.Sql is null) return 0;
        await using DbConnection c = store is TaskStore.SqliteStore s
            ? new Microsoft.Data.Sqlite.SqliteConnection(s.JournalConnectionString)
            : new Npgsql.NpgsqlConnection(((TaskStore.PostgreSqlStore)store).ConnectionString);
        await c.OpenAsync(ct);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(ct));
    }
}
