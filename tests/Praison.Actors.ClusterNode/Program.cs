using Praison.Actors.TestSupport;
using Praison.Actors;
using Praison.Actors.Cluster;
using Praison.Actors.Persistence;

// Usage: ClusterNode --name N --port P [--seed akka.tcp://...] (--connection CS | --data-dir DIR) --log FILE [--max-concurrent M]
// Prints on stdout, for the test to read:
//   ready <address>          the node is Up in the cluster
//   submitted <id>           after each task of a "submit" command is stored
//   submit-done
//   stopped                  after a graceful leave
// Reads commands on stdin: "submit <count> <ms>" runs <count> tasks of ~<ms> through this node; "stop" (or end of
// input) leaves the cluster gracefully and exits.
// The work appends "start|end <id> <attempt> <node> <unix-ms>" to <log>.<name>, one flushed write per line: the
// execution record the tests count, kept apart from the journal on purpose.
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

var node = await PraisonCluster.StartAsync(new PraisonClusterNodeOptions
{
    Store = store,
    Runner = new BackgroundRunnerOptions
    {
        Recipes = recipes,
        MaxConcurrentTasks = options.TryGetValue("max-concurrent", out var mc) ? int.Parse(mc) : 4,
    },
    Cluster = new PraisonClusterOptions
    {
        Port = int.Parse(options["port"]),
        SeedNodes = options.TryGetValue("seed", out var seed) ? new[] { seed } : Array.Empty<string>(),
        Timings = ClusterTimings.Fast,
        StoreScanInterval = TimeSpan.FromSeconds(10),
    },
});
Console.WriteLine($"ready {node.Address}");

while (Console.ReadLine() is { } line)
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
await node.DisposeAsync();
Console.WriteLine("stopped");
return 0;
