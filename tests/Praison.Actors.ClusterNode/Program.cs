using Akka.Actor;
using Praison.Actors.TestSupport;
using Praison.Actors;
using Praison.Actors.Cluster;
using Praison.Actors.Messages;
using Praison.Actors.Persistence;

// Usage: ClusterNode --name N --port P [--seed akka.tcp://... | --discovery-endpoints H:P,H:P]
//                    (--connection CS | --data-dir DIR) --log FILE [--max-concurrent M]
// Prints on stdout, for the test to read:
//   ready <address>          the node is Up in the cluster
//   submitted <id>           after each task of a "submit" command is stored
//   submit-done
//   stopped                  after a graceful leave
//   scheduled <name> <ms>    after "schedule": the schedule is stored; its creation time (unix ms), which slots count from
//   triggered <name> <id>    after "trigger": the run-now task is stored
// Reads commands on stdin: "submit <count> <ms>" runs <count> tasks of ~<ms> through this node; "schedule <name> <expr>
// <catch-up> <window-s>" stores a schedule of the recipe "cluster-tick" (overlap allow) through this node's runner;
// "trigger <name>" runs it now; "bench <count>
// <in-flight>" submits <count> no-op recipe tasks through this node, at most <in-flight> submitted-and-awaited at once,
// and prints "bench-done <count> <elapsed-ms> <failed> <process-cpu-ms> <methods-jitted>" (the harness's cluster scenario); "members" prints
// "members <n>", the Up members this node sees; "stop" (or end of input, or SIGTERM) leaves the cluster gracefully and exits 0.
// The work appends "start|end <id> <attempt> <node> <unix-ms>" to <log>.<name>, one flushed write per line: the
// execution record the tests count, kept apart from the journal on purpose. Each look of the scheduler at a schedule
// on this node appends "look <schedule> <slots-fired> <node> <unix-ms>" ("lookerr" when it failed): who fires.
var options = Args.Parse(args);
var name = options["name"];
var log = options["log"] + "." + name; // one file per process: appends from several processes could overwrite each other
var store = options.TryGetValue("connection", out var cs) ? TaskStore.PostgreSql(cs) : TaskStore.Sqlite(options["data-dir"]);

var recipes = new RecipeRegistry();
recipes.Register("name: cluster-rerun\nruntime:\n  background:\n    on_restart: rerun\n", async ctx =>
{
    ExecutionLog.Append(log, $"start {ctx.TaskId} {ctx.Attempt} {name} {DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}");
    var ms = ctx.GetInputString("ms") is { } s ? int.Parse(s) : 2000;
    for (var i = 1; i <= 4; i++)
    {
        await Task.Delay(ms / 4, ctx.CancellationToken);
        ctx.ReportProgress(i / 4.0, $"quarter {i}");
    }
    ExecutionLog.Append(log, $"end {ctx.TaskId} {ctx.Attempt} {name} {DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}");
    return $"{ctx.TaskId}:{ctx.Attempt}:{name}";
});

// A scheduled slot: records its start and ends at once.
recipes.Register("name: cluster-tick\nruntime:\n  background:\n    on_restart: rerun\n", ctx =>
{
    ExecutionLog.Append(log, $"start {ctx.TaskId} {ctx.Attempt} {name} {DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}");
    return Task.FromResult<object?>(ctx.TaskId);
});
recipes.Register("name: noop\n", _ => Task.FromResult<object?>(null));

var node = await PraisonCluster.StartAsync(new PraisonClusterNodeOptions
{
    Store = store,
    // Extra HOCON over the node's defaults, for experiments and the failover measurement (e.g. shorter downing timings); none by default.
    Config = Environment.GetEnvironmentVariable("PRAISON_NODE_HOCON") is { Length: > 0 } hocon
        ? Akka.Configuration.ConfigurationFactory.ParseString(hocon) : null,
    Runner = new BackgroundRunnerOptions
    {
        Recipes = recipes,
        MaxConcurrentTasks = options.TryGetValue("max-concurrent", out var mc) ? int.Parse(mc) : 4,
    },
    Cluster = new PraisonClusterOptions
    {
        Port = int.Parse(options["port"]),
        SeedNodes = options.TryGetValue("seed", out var seed) ? new[] { seed } : Array.Empty<string>(),
        // Seeds from config discovery instead of a seed address: every node's remoting endpoint, comma-separated.
        Discovery = options.TryGetValue("discovery-endpoints", out var endpoints)
            ? new ClusterDiscovery
            {
                Method = ClusterDiscovery.ConfigMethod,
                Endpoints = endpoints.Split(','),
            }
            : null,
        Timings = ClusterTimings.Fast,
        StoreScanInterval = TimeSpan.FromSeconds(10),
    },
});
node.System.EventStream.Subscribe(node.System.ActorOf(Props.Create(() => new LookLog(log, name))), typeof(ScheduleLooked));
Console.WriteLine($"ready {node.Address}");

// SIGTERM (a rolling deploy, Kubernetes stopping the pod) leaves the cluster the same way as "stop": shards hand off
// through CoordinatedShutdown, then the process exits 0.
var terminated = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, ctx =>
{
    ctx.Cancel = true; // no immediate exit: the graceful leave below runs first
    terminated.TrySetResult();
});
await Task.WhenAny(terminated.Task, Commands());
Console.WriteLine("leaving");
await node.DisposeAsync();
Console.WriteLine("stopped");
return 0;

async Task Commands()
{
while (await Task.Run(Console.ReadLine) is { } line)
{
    var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
    if (parts is ["stop"]) break;
    if (parts is ["submit", var count, var ms])
    {
        for (var i = 0; i < int.Parse(count); i++)
        {
            var h = await node.Runner.RunBackgroundAsync("cluster-rerun", new RecipeRunOptions { Input = new { ms } });
            Console.WriteLine($"submitted {h.TaskId}");
        }
        Console.WriteLine("submit-done");
    }
    if (parts is ["schedule", var schedule, var expression, var catchUp, var window])
    {
        var handle = await node.Runner.Scheduler.ScheduleAsync(schedule, "cluster-tick", expression, new ScheduleOptions
        {
            CatchUp = Enum.Parse<ScheduleCatchUp>(catchUp, ignoreCase: true),
            CatchUpWindow = TimeSpan.FromSeconds(int.Parse(window)),
            Overlap = ScheduleOverlap.Allow,
        });
        var info = await handle.InfoAsync();
        Console.WriteLine($"scheduled {schedule} {info.CreatedAt.ToUnixTimeMilliseconds()}");
    }
    if (parts is ["trigger", var triggered])
        Console.WriteLine($"triggered {triggered} {await node.Runner.Scheduler.GetHandle(triggered).TriggerAsync()}");
    if (parts is ["members"])
        Console.WriteLine($"members {Akka.Cluster.Cluster.Get(node.System).State.Members.Count(m => m.Status == Akka.Cluster.MemberStatus.Up)}");
    if (parts is ["bench", var benchCount, var benchInFlight])
    {
        var cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
        var jit = System.Runtime.JitInfo.GetCompiledMethodCount();
        var (elapsed, failed) = await Bench(node.Runner, int.Parse(benchCount), int.Parse(benchInFlight));
        cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpu; // this process: node and its client
        jit = System.Runtime.JitInfo.GetCompiledMethodCount() - jit; // a run still compiling (tiering up) is not steady state
        Console.WriteLine($"bench-done {benchCount} {elapsed.TotalMilliseconds:0} {failed} {cpu.TotalMilliseconds:0} {jit}");
    }
    if (parts is ["wait", .. var ids])
    {
        // Printed first: a wait on a finished task answers at once, and its line must come after this one.
        Console.WriteLine("wait-sent");
        // Each wait runs in the background with no timeout, as a client that just awaits the result.
        foreach (var id in ids)
            _ = node.Runner.GetHandle(id).WaitAsync().ContinueWith(t => Console.WriteLine(t.IsCompletedSuccessfully
                ? $"waited {id}"
                : $"wait-failed {id} {t.Exception?.GetBaseException().Message}"));
    }
}
}

// Submit-and-wait of no-op recipe tasks with a bounded number in flight, as the harness's standalone figure does.
static async Task<(TimeSpan Elapsed, int Failed)> Bench(BackgroundRunner runner, int count, int inFlight)
{
    var gate = new SemaphoreSlim(inFlight);
    var failed = 0;
    var sw = System.Diagnostics.Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, count).Select(async _ =>
    {
        await gate.WaitAsync();
        try
        {
            var h = await runner.RunBackgroundAsync("noop");
            await h.WaitAsync(TimeSpan.FromMinutes(2));
        }
        catch (Exception)
        {
            Interlocked.Increment(ref failed); // counted and printed: the harness fails the run on any
        }
        finally
        {
            gate.Release();
        }
    }));
    return (sw.Elapsed, failed);
}

/// <summary>Appends each look of the scheduler on this node to the execution log.</summary>
internal sealed class LookLog : ReceiveActor
{
    public LookLog(string log, string node) =>
        Receive<ScheduleLooked>(l => ExecutionLog.Append(log,
            $"{(l.Error is null ? "look" : "lookerr")} {l.Name} {l.Fired} {node} {DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}"));
}
