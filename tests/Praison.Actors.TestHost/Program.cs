using Praison.Actors.TestSupport;
using Praison.Actors;
using Praison.Actors.Persistence;

// Usage: TestHost --store sqlite --data-dir DIR | --store postgres --connection CS
//                 --log FILE [--submit N] [--submit-retry 1] [--max-concurrent N]
// Prints one line per event on stdout, for the test to read:
//   recovered <count> <id,id,...>    the tasks the store held at start
//   submitted <id>                   after the task is stored
//   all-terminal                     when every known task has finished
// The work appends "start <id> <attempt>" and "end <id> <attempt>" to the log file: the execution record the
// test counts, kept apart from the journal on purpose. --submit-retry submits one "crash-retry" task, whose first
// attempt fails and whose second waits 10 s (stored); it appends "retry-start <id> <attempt> <utc ticks>".
// --schedule crash creates schedule "crash-tick" (*/2s, catch-up all, overlap allow) and, after its first slot's task
// is stored, prints "slot-submitted <id> created" and blocks before the schedule record is stored (the test SIGKILLs it
// there); --schedule resume prints "slot-submitted <id> created|existing" for every slot it submits and goes on.
var options = Args.Parse(args);
var store = options["store"] == "postgres" ? TaskStore.PostgreSql(options["connection"]) : TaskStore.Sqlite(options["data-dir"]);
var log = options["log"];

var recipes = new RecipeRegistry();
foreach (var (name, onRestart) in new[] { ("crash-rerun", "rerun"), ("crash-once", "fail") })
{
    recipes.Register($"name: {name}\nruntime:\n  background:\n    on_restart: {onRestart}\n", async ctx =>
    {
        ExecutionLog.Append(log, $"start {ctx.TaskId} {ctx.Attempt}");
        var ms = ctx.GetInputString("ms") is { } s ? int.Parse(s) : 200;
        for (var i = 1; i <= 4; i++)
        {
            await Task.Delay(ms / 4, ctx.CancellationToken);
            ctx.ReportProgress(i / 4.0, $"quarter {i}");
        }
        ExecutionLog.Append(log, $"end {ctx.TaskId} {ctx.Attempt}");
        return $"{ctx.TaskId}:{ctx.Attempt}";
    });
}

recipes.Register(
    "name: crash-retry\nruntime:\n  retry:\n    max_attempts: 2\n    backoff: fixed\n    initial_delay_sec: 10\n",
    ctx =>
    {
        ExecutionLog.Append(log, $"retry-start {ctx.TaskId} {ctx.Attempt} {DateTimeOffset.UtcNow.UtcTicks}");
        return ctx.Attempt == 1 ? throw new InvalidOperationException("first attempt fails") : Task.FromResult<object?>("second");
    });

recipes.Register("name: sched-job\n", ctx => Task.FromResult<object?>(ctx.TaskId));

options.TryGetValue("schedule", out var scheduleMode);
if (scheduleMode is not null)
{
    // The test-only hook between storing a slot's task and storing the record that moves the schedule's pointer.
    Praison.Actors.Scheduling.ScheduleService.AfterSlotSubmitted = (id, created) =>
    {
        Console.WriteLine($"slot-submitted {id} {(created ? "created" : "existing")}");
        return scheduleMode == "crash" ? new TaskCompletionSource().Task : Task.CompletedTask; // crash: never goes on
    };
}

await using var runtime = await PraisonRuntime.StartAsync(new PraisonRuntimeOptions
{
    Store = store,
    Runner = new BackgroundRunnerOptions
    {
        Recipes = recipes,
        MaxConcurrentTasks = options.TryGetValue("max-concurrent", out var mc) ? int.Parse(mc) : 5,
    },
});
var known = await runtime.Runner.ListAsync();
Console.WriteLine($"recovered {known.Count} {string.Join(",", known.Select(t => t.TaskId))}");

if (options.TryGetValue("submit", out var n))
{
    var random = new Random(42);
    for (var i = 0; i < int.Parse(n); i++)
    {
        var recipe = i % 2 == 0 ? "crash-rerun" : "crash-once";
        var h = await runtime.Runner.RunBackgroundAsync(recipe, new RecipeRunOptions { Input = new { ms = random.Next(150, 400).ToString() } });
        Console.WriteLine($"submitted {h.TaskId}");
    }
}

if (options.ContainsKey("submit-retry"))
    Console.WriteLine($"submitted {(await runtime.Runner.RunBackgroundAsync("crash-retry")).TaskId}");

if (scheduleMode == "crash")
{
    await runtime.Runner.ScheduleAsync("crash-tick", "sched-job", "*/2s",
        new ScheduleOptions { CatchUp = ScheduleCatchUp.All, Overlap = ScheduleOverlap.Allow });
    Console.WriteLine("scheduled");
}
if (scheduleMode is not null)
{
    await Task.Run(() => Console.In.ReadToEnd()); // slots keep firing until killed or stdin closes
    return 0;
}

// Report when everything has finished, then stay up until killed or stdin closes.
var stdinClosed = Task.Run(() => Console.In.ReadToEnd());
while (!stdinClosed.IsCompleted)
{
    var tasks = await runtime.Runner.ListAsync();
    if (tasks.Count > 0 && tasks.All(t => t.IsTerminal))
    {
        Console.WriteLine("all-terminal");
        await stdinClosed;
        break;
    }
    await Task.WhenAny(stdinClosed, Task.Delay(50));
}
return 0;

