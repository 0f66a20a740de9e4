using System.Diagnostics;
using Praison.Actors.Benchmarks.Baselines;
using Praison.Actors.Benchmarks.Harness;
using Praison.Actors.Benchmarks.Scenarios;

// The Praison.Actors benchmark harness: named end-to-end scenarios with baselines measured in the same run,
// printed as one Markdown table (stdout) and optionally as JSON. It reports figures and goals; it never
// fails on a timing, only when a scenario cannot produce its figures.

HarnessOptions options;
try
{
    options = HarnessOptions.Parse(args);
}
catch (ArgumentException ex)
{
    if (ex.Message.Length > 0) Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine(HarnessOptions.Usage);
    return 2;
}

Scenario[] all = [new ThroughputScenario(), new LatencyScenario(), new MemoryScenario(), new RecoveryScenario(), new AdmissionScenario(), new ClusterScenario(), new ProfileScenario(), new ReadsScenario(), new SlotsScenario(), new AgentScenario(), new HttpScenario(), new WebhooksScenario(), new SchedulerScenario()];
var selected = options.Scenario is null
    ? all.Where(s => !s.OptIn).ToArray()
    : all.Where(s => s.Name.Equals(options.Scenario, StringComparison.OrdinalIgnoreCase)).ToArray();
if (selected.Length == 0)
{
    Console.Error.WriteLine($"Unknown scenario '{options.Scenario}'. Known: {string.Join(", ", all.Select(s => s.Name))}.");
    return 2;
}

// Profiling aid only: raising the thread pool's minimum shows whether blocking calls starve it. Off by default.
if (int.TryParse(Environment.GetEnvironmentVariable("PRAISON_BENCH_MIN_THREADS"), out var minThreads))
{
    ThreadPool.SetMinThreads(minThreads, minThreads);
    Console.Error.WriteLine($"ThreadPool.SetMinThreads({minThreads}) from PRAISON_BENCH_MIN_THREADS");
}

// Comparison aid only: how many batches the TaskJournal keeps in flight on PostgreSQL (the runtime's default otherwise).
if (int.TryParse(Environment.GetEnvironmentVariable("PRAISON_BENCH_PG_BATCHES"), out var pgBatches) && pgBatches > 0)
{
    Praison.Actors.Persistence.SqlJournalAccess.PostgresConcurrentBatches = pgBatches;
    Console.Error.WriteLine($"PostgreSQL batches in flight: {pgBatches} from PRAISON_BENCH_PG_BATCHES");
}

var machine = Machine.Describe();
var command = "dotnet run -c Release --project tests/Praison.Actors.Benchmarks --" + (args.Length == 0 ? "" : " " + string.Join(' ', args));
Console.Error.WriteLine($"Praison.Actors benchmarks{(options.Quick ? " (--quick)" : "")} on {machine}");
#if DEBUG
Console.Error.WriteLine("WARNING: a Debug build; figures are not representative. Use -c Release.");
#endif

var results = new List<ScenarioResult>();
var total = Stopwatch.StartNew();
foreach (var scenario in selected)
{
    Console.Error.WriteLine($"[{scenario.Name}]");
    var result = new ScenarioResult { Name = scenario.Name };
    var sw = Stopwatch.StartNew();
    // A hang must fail the scenario (and CI), not block it forever.
    using var cts = new CancellationTokenSource(options.RunTimeout);
    try
    {
        await scenario.RunAsync(result, options, cts.Token);
        if (result.Skipped is null && result.Figures.Count == 0)
            result.Error = "the scenario produced no figures";
    }
    catch (Exception ex)
    {
        result.Error = cts.IsCancellationRequested
            ? $"did not finish within {options.RunTimeout.TotalSeconds:0} s"
            : $"{ex.GetType().Name}: {ex.Message}";
        Console.Error.WriteLine(ex);
    }
    result.Elapsed = sw.Elapsed;
    results.Add(result);
}

Console.WriteLine(Report.Markdown(results, machine, command));
Console.Error.WriteLine($"Total {total.Elapsed.TotalSeconds:0.0} s.");
if (options.JsonPath is { } path)
{
    Report.WriteJson(path, results, machine, command, options.Quick);
    Console.Error.WriteLine($"JSON written to {path}");
}

var failed = results.Where(r => r.Error is not null).Select(r => r.Name).ToList();
if (failed.Count > 0)
{
    Console.Error.WriteLine($"FAILED: {string.Join(", ", failed)} produced no figures.");
    return 1;
}
return 0;
