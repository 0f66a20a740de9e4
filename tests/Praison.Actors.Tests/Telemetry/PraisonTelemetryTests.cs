using System.Diagnostics;
using Akka.Configuration;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Xunit;

namespace Praison.Actors.Tests.Telemetry;

/// <summary>
/// The <c>Praison.Actors</c> meter and activity source, read through OpenTelemetry's in-memory exporter after known
/// work. The meter is process-wide and other tests run at the same time, so every assertion reads only the points
/// tagged with this test's own recipe name.
/// </summary>
public class PraisonTelemetryTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    private static Task<PraisonRuntime> StartAsync(RecipeRegistry recipes, TaskStore? store = null) =>
        PraisonRuntime.StartAsync(new PraisonRuntimeOptions
        {
            Store = store ?? TaskStore.Ephemeral,
            SystemName = "telemetry-" + Guid.NewGuid().ToString("N")[..8],
            Config = ConfigurationFactory.ParseString("akka.loglevel = WARNING"),
            Runner = new BackgroundRunnerOptions { Recipes = recipes, MaxConcurrentTasks = 10 },
        });

    private static Task Until(Func<bool> condition, string what) => Until(() => Task.FromResult(condition()), what);

    private static async Task Until(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Long;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("Never saw: " + what);
            await Task.Delay(20); // polling an observable condition with a deadline
        }
    }

    [Fact]
    public async Task Counters_gauges_and_histograms_count_known_work()
    {
        var recipe = "telemetry-" + Guid.NewGuid().ToString("N")[..8];
        var gates = new System.Collections.Concurrent.ConcurrentDictionary<string, TaskCompletionSource>();
        TaskCompletionSource Gate(string key) => gates.GetOrAdd(key, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        var recipes = new RecipeRegistry().Register($"name: {recipe}", async ctx =>
        {
            var mode = ctx.GetInputString("mode");
            if (mode == "fail") throw new InvalidOperationException("asked to fail");
            if (mode is "wait" or "hang") await Gate(ctx.TaskId).Task.WaitAsync(ctx.CancellationToken);
            return mode;
        });
        using var metrics = new Metrics();
        await using var rt = await StartAsync(recipes);
        RecipeRunOptions Run(string mode, int? timeoutSec = null) => new() { Input = new { mode }, TimeoutSec = timeoutSec };

        var ok = await rt.Runner.RunBackgroundManyAsync(recipe, [Run("ok"), Run("ok"), Run("ok")]);
        var failed = await rt.Runner.RunBackgroundAsync(recipe, Run("fail"));
        var waiting = await rt.Runner.RunBackgroundManyAsync(recipe, [Run("wait"), Run("wait")]);
        foreach (var h in ok) await h.WaitAsync(Long);
        await Assert.ThrowsAnyAsync<Exception>(() => failed.WaitAsync(Long));
        foreach (var h in waiting) await Until(async () => (await h.StatusAsync()).Status == BackgroundTaskStatus.Running, "running");

        // The two waiting ones are running now; nothing is queued.
        Assert.Equal(2, metrics.Sum("praison.tasks.running", recipe));
        Assert.Equal(0, metrics.Sum("praison.tasks.queued", recipe));

        var timedOut = await rt.Runner.RunBackgroundAsync(recipe, Run("hang", timeoutSec: 1));
        await Assert.ThrowsAsync<TaskTimedOutException>(() => timedOut.WaitAsync(Long));
        Assert.True(await waiting[0].CancelAsync());
        Gate(waiting[1].TaskId).SetResult();
        await waiting[1].WaitAsync(Long);

        Assert.Equal(7, metrics.Sum("praison.tasks.submitted", recipe));
        Assert.Equal(7, metrics.Sum("praison.tasks.started", recipe));
        Assert.Equal(4, metrics.Sum("praison.tasks.completed", recipe));
        Assert.Equal(1, metrics.Sum("praison.tasks.failed", recipe, "error.kind", "Exception"));
        Assert.Equal(1, metrics.Sum("praison.tasks.failed", recipe, "error.kind", "Timeout"));
        Assert.Equal(1, metrics.Sum("praison.tasks.timed_out", recipe));
        Assert.Equal(1, metrics.Sum("praison.tasks.cancelled", recipe));
        Assert.Equal(0, metrics.Sum("praison.tasks.running", recipe));
        Assert.Equal(0, metrics.Sum("praison.tasks.queued", recipe));
        Assert.Equal(7, metrics.Count("praison.task.queue.wait", recipe));
        Assert.Equal(7, metrics.Count("praison.task.run.duration", recipe));
    }

    [Fact]
    public async Task A_task_run_is_a_span_in_the_submitters_trace()
    {
        var recipe = "traced-" + Guid.NewGuid().ToString("N")[..8];
        var recipes = new RecipeRegistry().Register($"name: {recipe}", ctx => Task.FromResult<object?>("done"));
        using var submitter = new ActivitySource("telemetry-tests-submitter");
        var spans = new List<Activity>();
        using var tracing = Sdk.CreateTracerProviderBuilder().AddSource(PraisonTelemetry.Name, submitter.Name).AddInMemoryExporter(spans).Build()!;
        await using var rt = await StartAsync(recipes);

        BackgroundTaskHandle handle;
        ActivityTraceId traceId;
        ActivitySpanId spanId;
        using (var parent = submitter.StartActivity("submit")!)
        {
            traceId = parent.TraceId;
            spanId = parent.SpanId;
            handle = await rt.Runner.RunBackgroundAsync(recipe);
        }
        await handle.WaitAsync(Long);
        await Until(() => { lock (spans) return spans.Any(s => Equals(s.GetTagItem("praison.task.id"), handle.TaskId)); }, "the run's span");

        Activity run;
        lock (spans) run = spans.Single(s => Equals(s.GetTagItem("praison.task.id"), handle.TaskId));
        Assert.Equal(PraisonTelemetry.RunSpanName, run.OperationName);
        Assert.Equal(traceId, run.TraceId);
        Assert.Equal(spanId, run.ParentSpanId);
        Assert.Equal(recipe, run.GetTagItem("praison.recipe"));
        Assert.Equal(ActivityStatusCode.Ok, run.Status);
    }

    [Fact]
    public async Task Journal_batches_on_a_sql_store_are_measured()
    {
        var recipe = "journal-" + Guid.NewGuid().ToString("N")[..8];
        var recipes = new RecipeRegistry().Register($"name: {recipe}", ctx => Task.FromResult<object?>(1));
        var dir = Path.Combine(Path.GetTempPath(), "praison-telemetry-" + Guid.NewGuid().ToString("N")[..8]);
        var exported = new List<Metric>();
        using (var provider = Sdk.CreateMeterProviderBuilder().AddMeter(PraisonTelemetry.Name).AddInMemoryExporter(exported).Build()!)
        {
            await using (var rt = await StartAsync(recipes, TaskStore.Sqlite(dir)))
                await (await rt.Runner.RunBackgroundAsync(recipe)).WaitAsync(Long);
            provider.ForceFlush();
            // Submitted, Started and Completed were written in at least one batch each; other tests may add more.
            var sizes = exported.Where(m => m.Name == "praison.store.write.batch_size").ToList();
            long events = 0, batches = 0;
            foreach (var m in sizes)
                foreach (ref readonly var p in m.GetMetricPoints()) { events += (long)p.GetHistogramSum(); batches += p.GetHistogramCount(); }
            Assert.True(events >= 3, $"batch_size recorded {events} events");
            Assert.True(batches >= 1);
            Assert.Contains(exported, m => m.Name == "praison.store.write.duration");
        }
        try { Directory.Delete(dir, true); } catch (IOException) { }
    }

    [Fact]
    public async Task Retries_and_exhausted_retries_are_counted_by_recipe()
    {
        var recipe = "telemetry-" + Guid.NewGuid().ToString("N")[..8];
        var recipes = new RecipeRegistry().Register($"name: {recipe}", ctx =>
            ctx.Input.GetProperty("mode").GetString() == "flaky" && ctx.Attempt == 1
                ? throw new InvalidOperationException("first attempt fails")
                : ctx.Input.GetProperty("mode").GetString() == "broken"
                    ? throw new InvalidOperationException("always fails")
                    : Task.FromResult<object?>("ok"));
        using var metrics = new Metrics();
        await using var rt = await StartAsync(recipes);
        var retry = new RetryPolicy { MaxAttempts = 3, InitialDelay = TimeSpan.Zero, MaxDelay = TimeSpan.Zero };

        var flaky = await rt.Runner.RunBackgroundAsync(recipe, new RecipeRunOptions { Input = new { mode = "flaky" }, Retry = retry });
        var broken = await rt.Runner.RunBackgroundAsync(recipe, new RecipeRunOptions { Input = new { mode = "broken" }, Retry = retry });
        await flaky.WaitAsync(Long);
        await Assert.ThrowsAnyAsync<Exception>(() => broken.WaitAsync(Long));

        // flaky: 1 retry; broken: 2 retries, then its third attempt exhausts them (and counts as a failure).
        await Until(() => metrics.Sum("praison.tasks.retries_exhausted", recipe) == 1, "retries exhausted");
        Assert.Equal(3, metrics.Sum("praison.tasks.retried", recipe));
        Assert.Equal(1, metrics.Sum("praison.tasks.failed", recipe, "error.kind", "RetriesExhausted"));
        Assert.Equal(1, metrics.Sum("praison.tasks.completed", recipe));
    }

    [Fact]
    public async Task A_recipes_steps_are_child_spans_of_its_run_and_a_failed_one_says_so()
    {
        var recipe = "steps-" + Guid.NewGuid().ToString("N")[..8];
        var recipes = new RecipeRegistry().Register($"name: {recipe}", ctx =>
        {
            using (PraisonTelemetry.StartStep("fetch", 1, 2)) { }
            using var second = PraisonTelemetry.StartStep("parse", 2, 2);
            var error = new InvalidOperationException("cannot parse");
            PraisonTelemetry.MarkFailed(second, error);
            throw error;
        });
        var spans = new List<Activity>();
        using var tracing = Sdk.CreateTracerProviderBuilder().AddSource(PraisonTelemetry.Name).AddInMemoryExporter(spans).Build()!;
        await using var rt = await StartAsync(recipes);

        var handle = await rt.Runner.RunBackgroundAsync(recipe);
        await Assert.ThrowsAnyAsync<Exception>(() => handle.WaitAsync(Long));
        await Until(() => { lock (spans) return spans.Any(s => Equals(s.GetTagItem("praison.task.id"), handle.TaskId)); }, "the run's span");

        List<Activity> steps;
        Activity run;
        lock (spans)
        {
            run = spans.Single(s => Equals(s.GetTagItem("praison.task.id"), handle.TaskId));
            steps = spans.Where(s => s.ParentSpanId == run.SpanId).OrderBy(s => s.StartTimeUtc).ToList();
        }
        Assert.Equal([PraisonTelemetry.StepSpanName, PraisonTelemetry.StepSpanName], steps.Select(s => s.OperationName));
        Assert.Equal(["fetch", "parse"], steps.Select(s => (string?)s.GetTagItem("praison.step.name")));
        Assert.Equal([1, 2], steps.Select(s => (int)s.GetTagItem("praison.step.index")!));
        Assert.Equal(ActivityStatusCode.Unset, steps[0].Status);
        Assert.Equal(ActivityStatusCode.Error, steps[1].Status);
        Assert.Equal("cannot parse", steps[1].StatusDescription);
        Assert.Equal(ActivityStatusCode.Error, run.Status);
    }
}
