using System.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using Akka.Serialization;
using Praison.Actors.Benchmarks.Baselines;
using Praison.Actors.Benchmarks.Harness;
using Praison.Actors.Messages;
using Praison.Actors.Persistence;

namespace Praison.Actors.Benchmarks.Scenarios;

/// <summary>
/// Reads on a large store through the task table: N stored tasks (1,000,000; --quick 10,000) seeded straight through
/// the TaskJournal's write path (<see cref="SqlJournalAccess.WriteEventsAsync"/>: journal rows and task rows in one
/// transaction per batch of 20,000 events), not through a runtime. Then, from a second reader (a separate
/// <see cref="TaskStore"/> instance in this process, as another process would open the store; on SQLite it shares
/// Microsoft.Data.Sqlite's process-wide connection pool), status by id and a page of 50 filtered by session (with its
/// total count), each as p50/p99 over many reads. And the restart of a host holding 100,000 pending tasks (--quick
/// 2,000) until it accepts new work.
/// </summary>
public sealed class ReadsScenario : Scenario
{
    private const int BatchSize = 20_000;
    private const int Sessions = 1_000;
    private static readonly Config Quiet = ConfigurationFactory.ParseString("akka.loglevel = WARNING\nakka.stdout-loglevel = WARNING");

    public override string Name => "reads";
    public override bool OptIn => true;

    public override async Task RunAsync(ScenarioResult result, HarnessOptions o, CancellationToken ct)
    {
        var stored = o.ReadsSizes?[0] ?? o.Size(1_000_000, 10_000);
        var pending = o.ReadsSizes?[1] ?? o.Size(100_000, 2_000);
        var reads = o.Size(2_000, 300);
        result.Settings =
            $"{stored:N0} stored tasks ({Sessions:N0} sessions, every other one completed) seeded through WriteEventsAsync in batches of " +
            $"{BatchSize:N0} events; reads from a second TaskStore instance in the same process; {reads:N0} reads per run, {o.Runs} runs " +
            $"(figures are the medians of the per-run percentiles). Restart: {pending:N0} pending tasks of a recipe that waits for " +
            "cancellation (MaxConcurrentTasks 64), timed from PraisonRuntime.StartAsync to the first new submission accepted.";

        foreach (var kind in Stores(result, o, "", StoreKind.Sqlite, StoreKind.PostgreSql))
        {
            await ReadsAsync(result, o, kind, stored, reads, ct);
            await RestartAsync(result, o, kind, pending, ct);
        }
    }

    private static async Task ReadsAsync(ScenarioResult result, HarnessOptions o, StoreKind kind, int stored, int reads, CancellationToken ct)
    {
        await using var store = await StoreUnderTest.CreateAsync(kind, o.PostgresConnectionString, ct);
        var seed = Stopwatch.StartNew();
        await SeedAsync(store.Store, stored, i => (i % 2 == 1, $"session-{i % Sessions}"), ct);
        result.Notes.Add($"{Label(kind)}: seeding {stored:N0} tasks took {seed.Elapsed.TotalSeconds:0.0} s.");
        Progress($"{Label(kind)}: seeded {stored:N0} in {seed.Elapsed.TotalSeconds:0.0} s");

        var reader = SecondReader(store);
        var name = $"{Label(kind)} {stored:N0} stored";
        var goal = new Goal("p50 ≤ 10 ms", f => f.Of(Side.Project)!.Median <= 10);
        var byIdP50 = result.Figure(name, "status by id p50", "ms", goal);
        var byIdP99 = result.Figure(name, "status by id p99", "ms");
        var pageP50 = result.Figure(name, "page of 50 by session (+ total) p50", "ms", goal);
        var pageP99 = result.Figure(name, "page of 50 by session (+ total) p99", "ms");
        var random = new Random(42);
        await reader.GetTaskAsync(Id(0), ct); // opens the reader's first connection outside the figures
        for (var run = 0; run < o.Runs; run++)
        {
            var byId = new double[reads];
            var pages = new double[reads];
            for (var i = 0; i < reads; i++)
            {
                var n = random.Next(stored);
                var sw = Stopwatch.GetTimestamp();
                var info = await reader.GetTaskAsync(Id(n), ct) ?? throw new InvalidOperationException($"task {Id(n)} was not found");
                byId[i] = Stopwatch.GetElapsedTime(sw).TotalMilliseconds;
                if (info.TaskId != Id(n)) throw new InvalidOperationException("the read returned another task");

                var session = $"session-{random.Next(Sessions)}";
                sw = Stopwatch.GetTimestamp();
                var page = await reader.QueryTasksAsync(new TaskQuery(SessionId: session), 0, 50, ct);
                pages[i] = Stopwatch.GetElapsedTime(sw).TotalMilliseconds;
                if (page.Tasks.Count != Math.Min(50, page.Total) || page.Total != stored / Sessions + (stored % Sessions > int.Parse(session[8..]) ? 1 : 0))
                    throw new InvalidOperationException($"the page of {session} holds {page.Tasks.Count} of {page.Total} tasks");
            }
            Array.Sort(byId);
            Array.Sort(pages);
            byIdP50.Add(Side.Project, Stats.Percentile(byId, 50));
            byIdP99.Add(Side.Project, Stats.Percentile(byId, 99));
            pageP50.Add(Side.Project, Stats.Percentile(pages, 50));
            pageP99.Add(Side.Project, Stats.Percentile(pages, 99));
        }
        Progress($"{name}: by id p50 {Report.Num(byIdP50.Of(Side.Project)!.Median)} ms, page p50 {Report.Num(pageP50.Of(Side.Project)!.Median)} ms");
    }

    private static async Task RestartAsync(ScenarioResult result, HarnessOptions o, StoreKind kind, int pending, CancellationToken ct)
    {
        await using var store = await StoreUnderTest.CreateAsync(kind, o.PostgresConnectionString, ct);
        await SeedAsync(store.Store, pending, i => (false, "restart"), ct);
        var name = $"{Label(kind)} {pending:N0} pending";
        var restart = result.Figure(name, "restart to first accepted submit", "ms",
            pending >= 100_000 ? new Goal("≤ 2,000 ms", f => f.Of(Side.Project)!.Median <= 2_000) : null);
        // Parts of a start, measured alone: where the restart's time goes.
        var prepare = result.Figure(name, "part: TaskStore.PrepareAsync", "ms");
        var replay = result.Figure(name, "part: replay of stored tasks (ReadTasksAsync)", "ms");
        for (var run = 0; run < o.Runs; run++)
        {
            Settle();
            var part = Stopwatch.StartNew();
            await store.Store.PrepareAsync(ct);
            prepare.Add(Side.Project, part.Elapsed.TotalMilliseconds);
            part.Restart();
            await store.Store.ReadTasksAsync(ct);
            replay.Add(Side.Project, part.Elapsed.TotalMilliseconds);
            Settle();
            var sw = Stopwatch.StartNew();
            var rt = await PraisonRuntime.StartAsync(new PraisonRuntimeOptions
            {
                Store = store.Store,
                Config = Quiet,
                Runner = new BackgroundRunnerOptions { Recipes = Recipes(), MaxConcurrentTasks = 64, MaxQueued = pending + 1_000 },
            }, ct);
            try
            {
                await rt.Runner.SubmitAsync(PraisonDriver.Noop, null, ct);
                restart.Add(Side.Project, sw.Elapsed.TotalMilliseconds);
                // The stored tasks are really there: the last one seeded answers (pending, or running if it got a slot).
                var status = await rt.Runner.GetStatusAsync(Id(pending - 1), ct);
                if (status.IsTerminal) throw new InvalidOperationException($"a seeded pending task is {status.Status} after the restart");
            }
            finally
            {
                await rt.DisposeAsync();
            }
        }
        Progress($"{name}: restart {Report.Num(restart.Of(Side.Project)!.Median)} ms");
    }

    /// <summary>A recipe that waits until cancelled, so a restart leaves most seeded tasks pending.</summary>
    private static RecipeRegistry Recipes() => new RecipeRegistry().Register("name: bench-wait\n", async ctx =>
    {
        await Task.Delay(Timeout.Infinite, ctx.CancellationToken);
        return null;
    });

    private static string Id(int n) => $"bench{n:D10}";

    /// <summary>A second reader of the same store, as another process opens it.</summary>
    private static TaskStore SecondReader(StoreUnderTest store) => store.Store switch
    {
        TaskStore.SqliteStore s => TaskStore.Sqlite(s.DataDirectory),
        TaskStore.PostgreSqlStore p => TaskStore.PostgreSql(p.ConnectionString),
        _ => throw new InvalidOperationException("a SQL store is needed"),
    };

    /// <summary>
    /// Creates the store's tables (a runtime started and stopped once), then writes <paramref name="count"/> tasks
    /// straight through the TaskJournal's batch write, oldest first.
    /// </summary>
    private static async Task SeedAsync(TaskStore store, int count, Func<int, (bool Completed, string Session)> shape, CancellationToken ct)
    {
        await (await PraisonRuntime.StartAsync(new PraisonRuntimeOptions { Store = store, Config = Quiet }, ct)).DisposeAsync();
        var system = ActorSystem.Create("reads-seed", PraisonRuntime.BuildConfig(store, Quiet));
        try
        {
            var sql = store.Sql!;
            var serializer = (SerializerWithStringManifest)system.Serialization.FindSerializerFor(new TaskCompleted(null, DateTimeOffset.UtcNow));
            var start = DateTimeOffset.UtcNow.AddDays(-1);
            var batch = new List<JournalRowWrite>(BatchSize + 1);
            for (var i = 0; i < count; i++)
            {
                var id = Id(i);
                var (completed, session) = shape(i);
                var at = start.AddTicks(i * 10L);
                Add(new TaskSubmitted(new TaskSpec(id, TaskKind.Recipe, "bench-wait", "bench-wait", session, "{}", null,
                    300_000, (long)TimeSpan.FromDays(365).TotalMilliseconds), at), 1);
                if (completed) Add(new TaskCompleted("1", at.AddSeconds(1)), 2);
                if (batch.Count >= BatchSize) await FlushAsync();

                void Add(ITaskEvent e, long seq) => batch.Add(new JournalRowWrite("task-" + id, seq, serializer.ToBinary(e),
                    serializer.Manifest(e), serializer.Identifier, DateTime.UtcNow.Ticks, "bench-seed", TaskRowChange.Of(id, seq, e)));
            }
            await FlushAsync();

            async Task FlushAsync()
            {
                if (batch.Count == 0) return;
                await sql.WriteEventsAsync(batch, ct);
                batch.Clear();
            }
        }
        finally
        {
            await system.Terminate();
        }
    }
}
