using System.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Praison.Actors.Benchmarks.Baselines;
using Praison.Actors.Benchmarks.Harness;
using Praison.Actors.Messages;

namespace Praison.Actors.Benchmarks.Scenarios;

/// <summary>
/// Opt-in (<c>--scenario profile</c>): the building blocks of one task measured alone, on the same
/// ActorSystem configuration as the runtime (actors are created with Props.Create(Type, args), as the runtime
/// does: the expression form compiles a delegate per spawn and would distort the figures), to attribute where the time and bytes of a task go. Each
/// experiment is one "operation" per task id, driven with the same window of in-flight asks:
/// <list type="bullet">
/// <item>runtime c=64: the whole runtime, as in the throughput scenario, for comparison with its parts.</item>
/// <item>plain-actor: spawn a child actor, it replies (no persistence).</item>
/// <item>recover-only: spawn a persistent actor, let it recover (nothing to replay), reply; nothing stored.</item>
/// <item>persistent-1: spawn a persistent actor (normal recovery), PersistAsync one TaskSubmitted, reply.</item>
/// <item>persistent-3: the same, then TaskStarted and TaskCompleted, each after the previous is stored (the journal work of one task).</item>
/// <item>persistent-3 no-recovery: persistent-3 with Recovery.None (a brand-new id has nothing to replay).</item>
/// <item>"parallelism=1", "no-snapshot-store", "recoveries=500": persistent-3 with one setting changed.</item>
/// <item>replay-3 (restart): N tasks' three events are stored, their actors stopped, then the time to wake all N
/// (each replays its events and answers once recovered) is measured: what a restart that wakes every task costs.</item>
/// <item>one-writer-3: ONE persistent actor stores the three events of every task (no actor per task).</item>
/// </list>
/// The children are kept alive afterwards, as the runtime keeps finished tasks, so "retained" is bytes per live actor.
/// </summary>
public sealed class ProfileScenario : Scenario
{
    public override string Name => "profile";
    public override bool OptIn => true;

    private const int Window = 1024;

    public override async Task RunAsync(ScenarioResult result, HarnessOptions o, CancellationToken ct)
    {
        var n = o.Size(20_000, 2_000);
        var nDurable = o.Size(2_000, 500);
        result.Settings = $"{n:N0} operations in memory, {nDurable:N0} on SQLite, {Window} in flight, {o.Runs} runs; " +
                          "the runtime's own HOCON (PraisonRuntime.BuildConfig) with the real Praison events and JSON serializer.";
        // (name, what the spawner does, HOCON over the runtime's own; SQLite-only variants test one setting each)
        (string Name, string Mode, string Hocon, bool SqliteOnly)[] experiments =
        [
            ("runtime c=64", "runtime", "", false),
            ("plain-actor", "plain-actor", "", false),
            ("recover-only", "persistent-0", "", false),
            ("persistent-1", "persistent-1", "", false),
            ("persistent-3", "persistent-3", "", false),
            ("persistent-3 no-recovery", "persistent-3 no-recovery", "", false),
            ("persistent-3 parallelism=1", "persistent-3", "akka.persistence.journal.sql.parallelism = 1", true),
            ("persistent-3 no-snapshot-store", "persistent-3", "akka.persistence.snapshot-store.plugin = \"akka.persistence.no-snapshot-store\"", true),
            ("persistent-3 recoveries=500", "persistent-3", "akka.persistence.max-concurrent-recoveries = 500", false),
            ("one-writer-3", "one-writer-3", "", false),
            ("replay-3 (restart)", "replay-3", "", false),
        ];
        foreach (var kind in new[] { StoreKind.Ephemeral, StoreKind.Sqlite })
        {
            var count = kind == StoreKind.Ephemeral ? n : nDurable;
            foreach (var (experiment, mode, hocon, sqliteOnly) in experiments)
            {
                if (kind == StoreKind.Sqlite && experiment == "plain-actor") continue;
                if (kind == StoreKind.Ephemeral && sqliteOnly) continue;
                if (o.Scenario is not null && Environment.GetEnvironmentVariable("PROFILE_ONLY") is { Length: > 0 } only && !$"{Label(kind)} {experiment}".Contains(only)) continue;
                var name = $"{Label(kind)} {experiment}";
                for (var run = 0; run < o.Runs; run++)
                {
                    await using var store = await StoreUnderTest.CreateAsync(kind, null, ct);
                    if (mode == "runtime")
                    {
                        await RunRuntime(result, name, store, count, ct);
                        continue;
                    }
                    await store.Store.PrepareAsync(ct);
                    var system = ActorSystem.Create("profile", PraisonRuntime.BuildConfig(store.Store,
                        ConfigurationFactory.ParseString("akka.loglevel = WARNING\n" + hocon)));
                    try
                    {
                        var spawner = system.ActorOf(Props.Create(typeof(Spawner), mode == "replay-3" ? "persistent-3" : mode), "spawner");
                        await RunOps(spawner, 100, ct); // warm-up: JIT, journal initialisation
                        string[]? ids = null;
                        if (mode == "replay-3")
                        {
                            // Store N tasks' events, stop their actors, then time waking them all (what a restart does).
                            ids = Enumerable.Range(0, count).Select(_ => Guid.CreateVersion7().ToString("N")).ToArray();
                            await RunOps(spawner, count, ct, ids);
                            await spawner.GracefulStop(TimeSpan.FromSeconds(60));
                            spawner = system.ActorOf(Props.Create(typeof(Spawner), "replay"), "replayer");
                        }
                        var heap0 = Machine.RetainedBytes();
                        var alloc0 = GC.GetTotalAllocatedBytes(precise: true);
                        var sw = Stopwatch.StartNew();
                        await RunOps(spawner, count, ct, ids);
                        var elapsed = sw.Elapsed;
                        var alloc = GC.GetTotalAllocatedBytes(precise: true) - alloc0;
                        var heap1 = Machine.RetainedBytes();
                        result.Figure(name, "rate", "ops/s").Add(Side.Project, count / elapsed.TotalSeconds);
                        result.Figure(name, "allocated", "KB/op").Add(Side.Project, alloc / 1024.0 / count);
                        result.Figure(name, "retained", "bytes/op").Add(Side.Project, (heap1 - heap0) / (double)count);
                    }
                    finally
                    {
                        await system.Terminate();
                    }
                }
                Progress($"{name}: {Report.Num(result.Figure(name, "rate", "ops/s").Of(Side.Project)!.Median)} ops/s");
            }
        }
    }

    /// <summary>The whole runtime for comparison with its parts: submit and await no-op tasks at concurrency 64.</summary>
    private static async Task RunRuntime(ScenarioResult result, string name, StoreUnderTest store, int count, CancellationToken ct)
    {
        await using var rt = await PraisonDriver.StartAsync(store.Store, 64, count + 1000, ct);
        await PraisonDriver.SubmitManyAsync(rt.Runner, 100, Window, true, ct);
        var heap0 = Machine.RetainedBytes();
        var alloc0 = GC.GetTotalAllocatedBytes(precise: true);
        var sw = Stopwatch.StartNew();
        await PraisonDriver.SubmitManyAsync(rt.Runner, count, Window, true, ct);
        var elapsed = sw.Elapsed;
        var alloc = GC.GetTotalAllocatedBytes(precise: true) - alloc0;
        var heap1 = Machine.RetainedBytes();
        result.Figure(name, "rate", "ops/s").Add(Side.Project, count / elapsed.TotalSeconds);
        result.Figure(name, "allocated", "KB/op").Add(Side.Project, alloc / 1024.0 / count);
        result.Figure(name, "retained", "bytes/op").Add(Side.Project, (heap1 - heap0) / (double)count);
    }

    private static async Task RunOps(IActorRef spawner, int count, CancellationToken ct, string[]? ids = null)
    {
        using var inFlight = new SemaphoreSlim(Window);
        var all = new Task[count];
        for (var i = 0; i < count; i++)
        {
            await inFlight.WaitAsync(ct);
            all[i] = One(ids?[i] ?? Guid.CreateVersion7().ToString("N"));
        }
        await Task.WhenAll(all);

        async Task One(string id)
        {
            try { await spawner.Ask<Done>(new Op(id), TimeSpan.FromSeconds(60), ct); }
            finally { inFlight.Release(); }
        }
    }

    internal sealed record Op(string Id);
    internal sealed record Done;
    internal static readonly Done DoneMessage = new();

    internal sealed class Spawner(string experiment) : UntypedActor
    {
        private IActorRef? _writer;

        protected override void OnReceive(object message)
        {
            if (message is not Op op) return;
            switch (experiment)
            {
                case "plain-actor":
                    Context.ActorOf(Props.Create(typeof(PlainChild)), op.Id).Forward(op);
                    break;
                case "one-writer-3":
                    _writer ??= Context.ActorOf(Props.Create(typeof(ProbeTask), "writer", 3, false), "writer");
                    _writer.Forward(op);
                    break;
                default:
                    // "replay": a restarted task actor that recovers its stored events and answers once recovered.
                    var events = experiment == "replay" ? 0 : experiment[11] - '0';
                    var skip = experiment.EndsWith("no-recovery", StringComparison.Ordinal);
                    Context.ActorOf(Props.Create(typeof(ProbeTask), op.Id, events, skip), op.Id).Forward(op);
                    break;
            }
        }
    }

    internal sealed class PlainChild : UntypedActor
    {
        protected override void OnReceive(object message) => Sender.Tell(DoneMessage);
    }

    /// <summary>Stores what a task stores: Submitted, then Started, then Completed, each once the previous is stored.</summary>
    internal sealed class ProbeTask(string id, int events, bool skipRecovery) : UntypedPersistentActor
    {
        public override string PersistenceId { get; } = "probe-" + id;

        public override Recovery Recovery => skipRecovery ? Recovery.None : base.Recovery;

        protected override void OnRecover(object message) { }

        protected override void OnCommand(object message)
        {
            if (message is not Op op) return;
            var replyTo = Sender;
            if (events == 0) { replyTo.Tell(DoneMessage); return; }
            var now = DateTimeOffset.UtcNow;
            var spec = new TaskSpec(op.Id, TaskKind.Delegate, "task", null, null, null, null, 300_000, 3_600_000);
            PersistAsync(new TaskSubmitted(spec, now), _ =>
            {
                if (events == 1) { replyTo.Tell(DoneMessage); return; }
                PersistAsync(new TaskStarted(1, now), _ =>
                    PersistAsync(new TaskCompleted("0", now), _ => replyTo.Tell(DoneMessage)));
            });
        }
    }
}
