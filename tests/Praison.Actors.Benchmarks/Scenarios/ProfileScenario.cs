using System.Data.Common;
using System.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;
using Praison.Actors.Benchmarks.Baselines;
using Praison.Actors.Benchmarks.Harness;
using Praison.Actors.Messages;
using Praison.Actors.Persistence;
using Praison.Actors.Tasks;

namespace Praison.Actors.Benchmarks.Scenarios;

/// <summary>
/// Opt-in (<c>--scenario profile</c>): where a task's time goes, measured by parts on the runtime's own
/// configuration (PraisonRuntime.BuildConfig: its HOCON, events and JSON serializer). Per store:
/// <list type="bullet">
/// <item>runtime c=64: the whole runtime, as in the throughput scenario, for comparison with its parts.</item>
/// <item>actor spawn+stop (in memory): what creating and stopping one actor shaped like a TaskActor costs
/// (constructor arguments, timers, stash, its explicit mailbox), the fixed per-task cost of an actor per running
/// task; and the part of it spent in ActorOf on the parent's thread, which in the runtime is the one supervisor's.</item>
/// <item>messages (in memory): the runtime c=64 again with counting mailboxes (Harness/MessageCounter, only in this
/// case): the messages one no-op task costs end to end, in total and per kind of receiving actor.</item>
/// <item>allocations by type (in memory): the runtime c=64 again, with the runtime's allocation-tick events sampled
/// (Harness/AllocationSampler): the bytes per task of the types that take the most.</item>
/// <item>ask round trip (in memory): one client Ask answered by an actor; a task costs two (submit, wait).</item>
/// <item>journal B (durable stores): the three events of B/3 tasks sent to the Akka.Persistence.Sql journal
/// as one WriteMessages of B AtomicWrites, one batch in flight, as the runtime's TaskJournal does. B = 64 is
/// about what a batch holds at concurrency 64; B = 2000 is the TaskJournal's largest batch.</item>
/// <item>journal rows + task rows B (durable stores): the runtime's own write of a batch (journal rows, claims of
/// submitted ids, task-table rows, one transaction), as the TaskJournal sends it; the increment over raw COPY/INSERT is
/// what the task table costs.</item>
/// <item>raw INSERT B / raw COPY B: the same rows (same serializer bytes, same table and indexes) written by
/// hand with Npgsql or Microsoft.Data.Sqlite in one transaction per batch, one batch in flight: a multi-row
/// INSERT, and PostgreSQL's binary COPY. What the database takes when the journal plugin is out of the way.</item>
/// </list>
/// Journal and raw figures are events/s; a task stores three events (Submitted, Started, Completed), so the
/// task rate they allow is a third of it. "machine CPU" counts every process (the database server too).
/// <c>PROFILE_ONLY=text</c> runs only the cases whose name contains the text (e.g. under dotnet-trace).
/// </summary>
public sealed class ProfileScenario : Scenario
{
    public override string Name => "profile";
    public override bool OptIn => true;

    private const int Window = 1024;

    public override async Task RunAsync(ScenarioResult result, HarnessOptions o, CancellationToken ct)
    {
        var nRuntime = o.Size(100_000, 5_000);
        var nDurable = o.Size(20_000, 1_000);
        var nEvents = o.Size(60_000, 6_000);
        var nSpawn = o.Size(100_000, 5_000);
        result.Settings = $"runtime: {nRuntime:N0} tasks in memory, {nDurable:N0} durable, c=64, {Window} in flight; " +
                          $"journal and raw writes: {nEvents:N0} events per run (three per task) in batches of 64 or 2000; " +
                          $"spawn: {nSpawn:N0} actors; messages: the in-memory runtime c=64 on counting mailboxes, user messages enqueued to actors " +
                          $"from the first submission until the runtime is quiet, divided by the tasks (Ask replies reach no mailbox and are not counted); " +
                          $"allocations by type: the same runtime with GCAllocationTick events sampled (about one per 100 KB), the top {AllocationTypesShown} types, " +
                          "each type's share of the sampled bytes × all bytes allocated per task; " +
                          $"{o.Runs} runs each, on an empty store.";
        foreach (var kind in Stores(result, o, "", StoreKind.Ephemeral, StoreKind.Sqlite, StoreKind.PostgreSql))
        {
            var label = Label(kind);
            var experiments = new List<(string Name, Func<StoreUnderTest, Task<Measured>> Run)>
            {
                ("runtime c=64", s => RunRuntime(s, kind == StoreKind.Ephemeral ? nRuntime : nDurable, ct)),
            };
            if (kind == StoreKind.Ephemeral)
            {
                experiments.Add(("messages", s => RunMessages(s, nRuntime, ct)));
                experiments.Add(("allocations by type", s => RunRuntime(s, nRuntime, ct, allocationsByType: true)));
                experiments.Add(("actor spawn+stop", _ => RunSpawn(nSpawn, ct)));
                experiments.Add(("ask round trip", _ => RunAsks(nSpawn, ct)));
            }
            else
            {
                foreach (var batch in new[] { 64, 2000 })
                {
                    experiments.Add(($"journal {batch}", s => RunJournal(s, nEvents, batch, ct)));
                    experiments.Add(($"raw INSERT {batch}", s => RunRaw(s, nEvents, batch, copy: false, ct)));
                    if (kind == StoreKind.PostgreSql)
                        experiments.Add(($"raw COPY {batch}", s => RunRaw(s, nEvents, batch, copy: true, ct)));
                }
                foreach (var batch in new[] { 6, 64, 2000 })
                    experiments.Add(($"journal rows + task rows {batch}", s => RunTaskWrites(s, nEvents, batch, ct)));
            }
            foreach (var (experiment, run) in experiments)
            {
                var name = $"{label} {experiment}";
                if (Environment.GetEnvironmentVariable("PROFILE_ONLY") is { Length: > 0 } only && !name.Contains(only, StringComparison.Ordinal)) continue;
                for (var i = 0; i < o.Runs; i++)
                {
                    await using var store = await StoreUnderTest.CreateAsync(kind, o.PostgresConnectionString, ct);
                    Settle();
                    var m = await run(store);
                    result.Figure(name, "rate", m.Unit).Add(Side.Project, m.Count / m.Elapsed.TotalSeconds);
                    result.Figure(name, "allocated", $"KB per {m.Unit[..^2]}").Add(Side.Project, m.Allocated / 1024.0 / m.Count);
                    result.Figure(name, "process CPU", "cores busy").Add(Side.Project, m.ProcessCpu / m.Elapsed);
                    result.Figure(name, "process CPU time", $"µs per {m.Unit[..^2]}").Add(Side.Project, m.ProcessCpu.TotalMicroseconds / m.Count);
                    if (m.MachineCpu is { } machine)
                    {
                        result.Figure(name, "machine CPU", "cores busy").Add(Side.Project, machine / m.Elapsed.TotalSeconds);
                        result.Figure(name, "machine CPU time", $"µs per {m.Unit[..^2]}").Add(Side.Project, machine * 1e6 / m.Count);
                    }
                    if (m.Extra is { } extra) result.Figure(name, extra.Metric, extra.Unit).Add(Side.Project, extra.Value);
                    foreach (var (metric, unit, value) in m.Extras ?? []) result.Figure(name, metric, unit).Add(Side.Project, value);
                }
                Progress($"{name}: {Report.Num(result.Figure(name, "rate", "").Of(Side.Project)?.Median ?? 0)}");
            }
        }
    }

    private sealed record Measured(long Count, string Unit, TimeSpan Elapsed, long Allocated, TimeSpan ProcessCpu, double? MachineCpu)
    {
        /// <summary>An experiment's own figure, per operation: (metric, unit, value).</summary>
        public (string Metric, string Unit, double Value)? Extra { get; init; }

        /// <summary>More of an experiment's own figures, as <see cref="Extra"/>.</summary>
        public List<(string Metric, string Unit, double Value)>? Extras { get; init; }
    }

    /// <summary>Times <paramref name="body"/>: wall clock, bytes allocated, this process's CPU and the whole machine's.</summary>
    private static async Task<Measured> Measure(long count, string unit, Func<Task> body)
    {
        var alloc0 = GC.GetTotalAllocatedBytes(precise: true);
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var machine0 = Machine.BusyCpuSeconds();
        var start = Stopwatch.GetTimestamp();
        await body();
        var elapsed = Stopwatch.GetElapsedTime(start);
        var machine1 = Machine.BusyCpuSeconds();
        return new Measured(count, unit, elapsed, GC.GetTotalAllocatedBytes(precise: true) - alloc0,
            Process.GetCurrentProcess().TotalProcessorTime - cpu0, machine1 - machine0);
    }

    private const int AllocationTypesShown = 12;

    /// <summary>
    /// The whole runtime at c=64. With <paramref name="allocationsByType"/>, also <see cref="AllocationSampler"/> on: the
    /// bytes per task of the types that take the most (each type's share of the sampled bytes × all bytes allocated per task).
    /// </summary>
    private static async Task<Measured> RunRuntime(StoreUnderTest store, int count, CancellationToken ct, bool allocationsByType = false)
    {
        await using var rt = await PraisonDriver.StartAsync(store.Store, 64, count + 1000, ct);
        await PraisonDriver.SubmitManyAsync(rt.Runner, 200, Window, true, ct);
        using var sampler = allocationsByType ? new AllocationSampler() : null;
        var m = await Measure(count, "tasks/s", () => PraisonDriver.SubmitManyAsync(rt.Runner, count, Window, true, ct));
        if (sampler is null) return m;
        var types = sampler.ByType();
        var sampled = (double)types.Sum(t => t.Bytes);
        var perTask = (double)m.Allocated / count;
        return m with
        {
            Extras = types.Take(AllocationTypesShown)
                .Select(t => ($"allocated: {t.Type}", "B per task", perTask * t.Bytes / sampled)).ToList(),
        };
    }

    /// <summary>
    /// The runtime c=64 on counting mailboxes: messages delivered to actors per task, from the first submission
    /// until the runtime is quiet again (the counts stop changing), so a task's last bookkeeping messages count too.
    /// </summary>
    private static async Task<Measured> RunMessages(StoreUnderTest store, int count, CancellationToken ct)
    {
        await using var rt = await PraisonDriver.StartAsync(store.Store, 64, count + 1000, ct, config: MessageCounter.Config);
        await PraisonDriver.SubmitManyAsync(rt.Runner, 200, Window, true, ct);
        await QuietAsync(ct);
        var before = MessageCounter.Snapshot();
        var m = await Measure(count, "tasks/s", () => PraisonDriver.SubmitManyAsync(rt.Runner, count, Window, true, ct));
        await QuietAsync(ct);
        var counted = MessageCounter.Since(before);
        var extras = new List<(string, string, double)> { ("messages per task", "messages", counted.Sum(c => c.Messages) / (double)count) };
        // The kinds of actor that get at least a tenth of a message per task; the rest is summed up as "other".
        var (main, other) = (counted.Where(c => c.Messages * 10 >= count).ToList(), counted.Where(c => c.Messages * 10 < count).Sum(c => c.Messages));
        extras.AddRange(main.Select(c => ($"  to {c.Actor}", "per task", c.Messages / (double)count)));
        if (other > 0) extras.Add(("  to other actors", "per task", other / (double)count));
        return m with { Extras = extras };

        static async Task QuietAsync(CancellationToken ct)
        {
            // A benchmark-only settle: poll until no message arrived for two polls in a row (at most 5 s).
            long last = -1;
            for (int i = 0, still = 0; i < 50 && still < 2; i++)
            {
                var total = MessageCounter.Snapshot().Values.Sum();
                still = total == last ? still + 1 : 0;
                last = total;
                await Task.Delay(100, ct);
            }
        }
    }

    private static async Task<Measured> RunSpawn(int count, CancellationToken ct)
    {
        var system = ActorSystem.Create("profile", ConfigurationFactory.ParseString("akka.loglevel = WARNING"));
        TaskMailbox.EnsureDefined(system);
        try
        {
            var spawner = system.ActorOf(Props.Create(typeof(Spawner)), "spawner");
            await spawner.Ask<Spawned>(new Spawn(1000), TimeSpan.FromMinutes(2), ct);
            Spawned? spawned = null;
            var m = await Measure(count, "actors/s", async () => spawned = await spawner.Ask<Spawned>(new Spawn(count), TimeSpan.FromMinutes(5), ct));
            // The parent's part is serial: in the runtime the one TaskSupervisor spawns every task's actor.
            return m with { Extra = ("ActorOf on the parent's thread", "µs per actor", spawned!.ParentTime.TotalMicroseconds / count) };
        }
        finally
        {
            await system.Terminate();
        }
    }

    /// <summary>Client Asks answered by one actor, {Window} in flight: the cost of each of a task's two client calls (submit, wait).</summary>
    private static async Task<Measured> RunAsks(int count, CancellationToken ct)
    {
        var system = ActorSystem.Create("profile", ConfigurationFactory.ParseString("akka.loglevel = WARNING"));
        try
        {
            var echo = system.ActorOf(Props.Create(typeof(Echo)), "echo");
            await Asks(echo, 1000, ct);
            return await Measure(count, "asks/s", () => Asks(echo, count, ct));
        }
        finally
        {
            await system.Terminate();
        }

        static async Task Asks(IActorRef echo, int count, CancellationToken ct)
        {
            using var inFlight = new SemaphoreSlim(Window);
            var all = new Task[count];
            for (var i = 0; i < count; i++)
            {
                await inFlight.WaitAsync(ct);
                all[i] = One();
            }
            await Task.WhenAll(all);

            async Task One()
            {
                try { await echo.Ask<Done>(DoneMessage, TimeSpan.FromSeconds(60), ct); }
                finally { inFlight.Release(); }
            }
        }
    }

    /// <summary>The events of <paramref name="events"/>/3 tasks through the journal plugin, one WriteMessages of <paramref name="batch"/> at a time.</summary>
    private static async Task<Measured> RunJournal(StoreUnderTest store, int events, int batch, CancellationToken ct)
    {
        await store.Store.PrepareAsync(ct);
        var system = ActorSystem.Create("profile", PraisonRuntime.BuildConfig(store.Store, ConfigurationFactory.ParseString("akka.loglevel = WARNING")));
        try
        {
            var writer = system.ActorOf(Props.Create(typeof(JournalWriter), batch), "writer");
            await writer.Ask<Done>(new Write("warm", 300), TimeSpan.FromMinutes(2), ct); // creates the tables, JIT
            return await Measure(events, "events/s", () => writer.Ask<Done>(new Write("run", events), TimeSpan.FromMinutes(10), ct));
        }
        finally
        {
            await system.Terminate();
        }
    }

    /// <summary>The same rows written by hand: what the database accepts without the journal plugin.</summary>
    private static async Task<Measured> RunRaw(StoreUnderTest store, int events, int batch, bool copy, CancellationToken ct)
    {
        await store.Store.PrepareAsync(ct);
        // The journal creates its table and indexes; the raw writes then go to that same table.
        var system = ActorSystem.Create("profile", PraisonRuntime.BuildConfig(store.Store, ConfigurationFactory.ParseString("akka.loglevel = WARNING")));
        (byte[] Bytes, string Manifest, int SerializerId)[] payloads;
        try
        {
            var writer = system.ActorOf(Props.Create(typeof(JournalWriter), batch), "writer");
            await writer.Ask<Done>(new Write("warm", 300), TimeSpan.FromMinutes(2), ct);
            payloads = Events(DateTimeOffset.UtcNow, "x").Select(e =>
            {
                var serializer = system.Serialization.FindSerializerFor(e);
                return (serializer.ToBinary(e), Akka.Serialization.Serialization.ManifestFor(serializer, e), serializer.Identifier);
            }).ToArray();
        }
        finally
        {
            await system.Terminate();
        }
        await using DbConnection connection = store.Store switch
        {
            Praison.Actors.TaskStore.PostgreSqlStore pg => new NpgsqlConnection(pg.ConnectionString),
            Praison.Actors.TaskStore.SqliteStore sqlite => new SqliteConnection(sqlite.JournalConnectionString),
            _ => throw new InvalidOperationException("raw writes need a SQL store"),
        };
        await connection.OpenAsync(ct);
        var writerUuid = Guid.NewGuid().ToString("N");
        return await Measure(events, "events/s", async () =>
        {
            for (var done = 0; done < events; done += batch)
            {
                var rows = Enumerable.Range(done, Math.Min(batch, events - done))
                    .Select(i => (Pid: $"task-raw{i / 3}", Seq: (long)(i % 3 + 1), Payload: payloads[i % 3])).ToArray();
                var created = DateTime.UtcNow.Ticks;
                await using var tx = await connection.BeginTransactionAsync(ct);
                if (copy)
                {
                    await using var import = await ((NpgsqlConnection)connection).BeginBinaryImportAsync(
                        "COPY journal (deleted, persistence_id, sequence_number, created, message, identifier, manifest, writer_uuid) FROM STDIN (FORMAT BINARY)", ct);
                    foreach (var r in rows)
                    {
                        await import.StartRowAsync(ct);
                        await import.WriteAsync(false, NpgsqlDbType.Boolean, ct);
                        await import.WriteAsync(r.Pid, NpgsqlDbType.Varchar, ct);
                        await import.WriteAsync(r.Seq, NpgsqlDbType.Bigint, ct);
                        await import.WriteAsync(created, NpgsqlDbType.Bigint, ct);
                        await import.WriteAsync(r.Payload.Bytes, NpgsqlDbType.Bytea, ct);
                        await import.WriteAsync(r.Payload.SerializerId, NpgsqlDbType.Integer, ct);
                        await import.WriteAsync(r.Payload.Manifest, NpgsqlDbType.Varchar, ct);
                        await import.WriteAsync(writerUuid, NpgsqlDbType.Varchar, ct);
                    }
                    await import.CompleteAsync(ct);
                }
                else if (connection is NpgsqlConnection)
                {
                    // One multi-row statement per batch, positional parameters ($1, $2, ...: 8 × 2000 stay under the limit).
                    await using var command = connection.CreateCommand();
                    command.Transaction = tx;
                    var values = new List<string>(rows.Length);
                    for (var i = 0; i < rows.Length; i++)
                    {
                        var b = i * 8;
                        values.Add($"(${b + 1}, ${b + 2}, ${b + 3}, ${b + 4}, ${b + 5}, ${b + 6}, ${b + 7}, ${b + 8})");
                        foreach (var value in new object[] { false, rows[i].Pid, rows[i].Seq, created, rows[i].Payload.Bytes, rows[i].Payload.SerializerId, rows[i].Payload.Manifest, writerUuid })
                            command.Parameters.Add(new NpgsqlParameter { Value = value });
                    }
                    command.CommandText = "INSERT INTO journal (deleted, persistence_id, sequence_number, created, message, identifier, manifest, writer_uuid) VALUES " +
                                          string.Join(", ", values);
                    await command.ExecuteNonQueryAsync(ct);
                }
                else
                {
                    // SQLite's fastest form: one prepared single-row INSERT run per row inside the transaction.
                    await using var command = connection.CreateCommand();
                    command.Transaction = tx;
                    command.CommandText = "INSERT INTO journal (deleted, persistence_id, sequence_number, created, message, identifier, manifest, writer_uuid) " +
                                          "VALUES (0, $p, $s, $c, $m, $i, $f, $w)";
                    var p = new[] { "$p", "$s", "$c", "$m", "$i", "$f", "$w" }.Select(name =>
                    {
                        var parameter = command.CreateParameter();
                        parameter.ParameterName = name;
                        command.Parameters.Add(parameter);
                        return parameter;
                    }).ToArray();
                    foreach (var r in rows)
                    {
                        p[0].Value = r.Pid; p[1].Value = r.Seq; p[2].Value = created; p[3].Value = r.Payload.Bytes;
                        p[4].Value = r.Payload.SerializerId; p[5].Value = r.Payload.Manifest; p[6].Value = writerUuid;
                        await command.ExecuteNonQueryAsync(ct);
                    }
                }
                await tx.CommitAsync(ct);
            }
        });
    }

    /// <summary>
    /// The runtime's own durable write (<c>SqlJournalAccess.WriteEventsAsync</c>: journal rows, the claim of each
    /// submitted id and the task rows in one transaction), one batch in flight, batches pipelined as the TaskJournal
    /// sees them: each holds the Submitted of B/3 tasks, the Started of the B/3 before and the Completed of the B/3
    /// before those. Compare with "raw COPY"/"raw INSERT" (journal rows alone) for what the task table adds; B = 6 is
    /// about a batch at concurrency 5.
    /// </summary>
    private static async Task<Measured> RunTaskWrites(StoreUnderTest store, int events, int batch, CancellationToken ct)
    {
        await store.Store.PrepareAsync(ct);
        var system = ActorSystem.Create("profile", PraisonRuntime.BuildConfig(store.Store, ConfigurationFactory.ParseString("akka.loglevel = WARNING")));
        List<List<JournalRowWrite>> batches;
        try
        {
            var writer = system.ActorOf(Props.Create(typeof(JournalWriter), batch), "writer");
            await writer.Ask<Done>(new Write("warm", 300), TimeSpan.FromMinutes(2), ct); // the plugin creates its tables
            var group = Math.Max(1, batch / 3);
            var tasks = events / 3;
            var now = DateTimeOffset.UtcNow;
            var writerUuid = Guid.NewGuid().ToString("N");
            JournalRowWrite Row(int task, int index)
            {
                var id = "w" + task;
                var e = (ITaskEvent)Events(now, id)[index];
                var serializer = system.Serialization.FindSerializerFor(e);
                return new(TaskPersistenceIds.For(id), index + 1, serializer.ToBinary(e), Akka.Serialization.Serialization.ManifestFor(serializer, e),
                    serializer.Identifier, now.UtcTicks, writerUuid, TaskRowChange.Of(id, index + 1, e));
            }
            batches = new List<List<JournalRowWrite>>();
            var groups = (tasks + group - 1) / group;
            for (var step = 0; step < groups + 2; step++)
            {
                var rows = new List<JournalRowWrite>();
                for (var stage = 0; stage < 3; stage++)
                {
                    var g = step - stage;
                    if (g < 0 || g >= groups) continue;
                    for (var t = g * group; t < Math.Min(tasks, (g + 1) * group); t++) rows.Add(Row(t, stage));
                }
                batches.Add(rows);
            }
        }
        finally
        {
            await system.Terminate();
        }
        var sql = store.Store.Sql!;
        // The server's CPU for the same fixed batches: far steadier than the runtime's, whose batch sizes follow the load.
        var server = store.Store is TaskStore.PostgreSqlStore pg ? await PostgresServerCpu.StartAsync(pg.ConnectionString, ct) : null;
        var measured = await Measure(batches.Sum(b => b.Count), "events/s", async () =>
        {
            foreach (var rows in batches) await sql.WriteEventsAsync(rows, ct);
        });
        if (server is not null && await server.ElapsedSecondsAsync(ct) is { } seconds)
            measured = measured with { Extra = ("server CPU time", "µs per event", seconds * 1e6 / measured.Count) };
        return measured;
    }

    /// <summary>What one task stores, in order.</summary>
    private static object[] Events(DateTimeOffset now, string id) =>
    [
        new TaskSubmitted(new TaskSpec(id, TaskKind.Delegate, "task", null, null, null, null, 300_000, 3_600_000), now),
        new TaskStarted(1, now),
        new TaskCompleted("0", now),
    ];

    internal sealed record Spawn(int Count);
    internal sealed record Spawned(TimeSpan ParentTime);
    internal sealed record Write(string Prefix, int Events);
    internal sealed record Done;
    private static readonly Done DoneMessage = new();

    /// <summary>Spawns children that each reply and stop, at most 64 alive at once (as 64 running tasks).</summary>
    internal sealed class Spawner : UntypedActor
    {
        private int _toSpawn, _alive, _id;
        private long _parentTicks;
        private IActorRef _replyTo = ActorRefs.Nobody;

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case Spawn s:
                    (_toSpawn, _replyTo, _parentTicks) = (s.Count, Sender, 0);
                    Next();
                    break;
                case Done:
                    _alive--;
                    Next();
                    break;
            }
        }

        private void Next()
        {
            while (_toSpawn > 0 && _alive < 64)
            {
                _toSpawn--;
                _alive++;
                // What the supervisor does for each task: Props with arguments, the task actor's explicit mailbox.
                var start = Stopwatch.GetTimestamp();
                var child = Context.ActorOf(Props.Create(typeof(Child), _id.ToString(), DoneMessage).WithMailbox(TaskMailbox.Path),
                    (_id++).ToString());
                _parentTicks += Stopwatch.GetTimestamp() - start;
                child.Tell(DoneMessage);
            }
            if (_toSpawn == 0 && _alive == 0) _replyTo.Tell(new Spawned(Stopwatch.GetElapsedTime(0, _parentTicks)));
        }
    }

    /// <summary>Shaped like a TaskActor for Akka's spawn path: constructor arguments, timers and a stash.</summary>
    internal sealed class Child(string id, object settings) : UntypedActor, IWithTimers, IWithUnboundedStash
    {
        public ITimerScheduler Timers { get; set; } = null!;
        public IStash Stash { get; set; } = null!;
        public string Id { get; } = id;
        public object Settings { get; } = settings;

        protected override void OnReceive(object message)
        {
            Context.Parent.Tell(DoneMessage);
            Context.Stop(Self);
        }
    }

    internal sealed class Echo : UntypedActor
    {
        protected override void OnReceive(object message) => Sender.Tell(DoneMessage);
    }

    /// <summary>Writes tasks' events to the journal plugin as the TaskJournal does: one WriteMessages of up to B AtomicWrites in flight.</summary>
    internal sealed class JournalWriter(int batch) : UntypedActor
    {
        private readonly IActorRef _journal = Akka.Persistence.Persistence.Instance.Apply(Context.System).JournalFor(null);
        private readonly string _writerGuid = Guid.NewGuid().ToString("N");
        private IActorRef _replyTo = ActorRefs.Nobody;
        private string _prefix = "";
        private int _total, _sent, _answered;

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case Write w:
                    (_replyTo, _prefix, _total, _sent, _answered) = (Sender, w.Prefix, w.Events, 0, 0);
                    Send();
                    break;
                case WriteMessageSuccess:
                    if (++_answered == _total) _replyTo.Tell(DoneMessage);
                    break;
                case WriteMessageFailure f:
                    _replyTo.Tell(new Status.Failure(f.Cause));
                    break;
                case WriteMessagesSuccessful: // the journal sends it before the per-event answers
                    if (_sent < _total) Send();
                    break;
                case WriteMessagesFailed f:
                    _replyTo.Tell(new Status.Failure(f.Cause));
                    break;
            }
        }

        private void Send()
        {
            var count = Math.Min(batch, _total - _sent);
            var writes = new List<IPersistentEnvelope>(count);
            var now = DateTimeOffset.UtcNow;
            for (var i = _sent; i < _sent + count; i++)
            {
                var id = $"{_prefix}{i / 3}";
                writes.Add(new AtomicWrite(new Persistent(Events(now, id)[i % 3], i % 3 + 1, "task-" + id, string.Empty, false,
                    ActorRefs.NoSender, _writerGuid, now.UtcTicks)));
            }
            _sent += count;
            _journal.Tell(new WriteMessages(writes, Self, 1));
        }
    }
}
