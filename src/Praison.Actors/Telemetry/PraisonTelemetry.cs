using System.Diagnostics;
using System.Diagnostics.Metrics;
using Praison.Actors.Lifecycle;
using Praison.Actors.Messages;

namespace Praison.Actors;

/// <summary>
/// The runtime's OpenTelemetry-compatible instruments: a <see cref="System.Diagnostics.Metrics.Meter"/> and an
/// <see cref="System.Diagnostics.ActivitySource"/>, both named <see cref="Name"/>. Subscribe with
/// <c>AddMeter(PraisonTelemetry.Name)</c> / <c>AddSource(PraisonTelemetry.Name)</c>; nothing is recorded beyond a
/// counter increment while nobody listens.
/// </summary>
/// <remarks>
/// Counters and histograms are fed from the one place each stored event is applied (the supervisor, the runner, the
/// cluster entity), so an event counts once, when it is stored. The gauges (<c>praison.tasks.queued</c>,
/// <c>praison.tasks.running</c>) are up-down counters of the transitions this process stored, plus the tasks a local
/// supervisor recovered at start-up.
/// </remarks>
public static class PraisonTelemetry
{
    /// <summary>The name of the meter and of the activity source: <c>Praison.Actors</c>.</summary>
    public const string Name = "Praison.Actors";

    /// <summary>The name of the span around one run of a task's work.</summary>
    public const string RunSpanName = "praison.task.run";

    /// <summary>The name of the span around one step of a recipe (a child of <see cref="RunSpanName"/>).</summary>
    public const string StepSpanName = "praison.recipe.step";

    /// <summary>
    /// Starts the span of one recipe step, a child of the task's run span when called from inside the recipe's work
    /// (null while nobody listens). Dispose it when the step ends; <see cref="MarkFailed"/> marks a failed one.
    /// A recipe of your own does the same: <c>using var span = PraisonTelemetry.StartStep("fetch", 1, 3);</c>.
    /// </summary>
    /// <param name="step">The step's name (tag <c>praison.step.name</c>).</param>
    /// <param name="index">Its 1-based position (tag <c>praison.step.index</c>).</param>
    /// <param name="count">How many steps the recipe has (tag <c>praison.step.count</c>).</param>
    public static Activity? StartStep(string step, int index, int count)
    {
        var activity = Source.StartActivity(StepSpanName, ActivityKind.Internal);
        activity?.SetTag("praison.step.name", step);
        activity?.SetTag("praison.step.index", index);
        activity?.SetTag("praison.step.count", count);
        return activity;
    }

    /// <summary>Marks a span (a step's, say) failed with <paramref name="error"/>'s message and the exception event.</summary>
    public static void MarkFailed(Activity? span, Exception error)
    {
        if (span is null) return;
        span.SetStatus(ActivityStatusCode.Error, error.Message);
        span.AddException(error);
    }

    internal static readonly ActivitySource Source = new(Name, typeof(PraisonTelemetry).Assembly.GetName().Version?.ToString());
    internal static readonly Meter Meter = new(Name, typeof(PraisonTelemetry).Assembly.GetName().Version?.ToString());

    private static readonly Counter<long> Submitted = Meter.CreateCounter<long>("praison.tasks.submitted", "{task}", "Tasks stored as submitted.");
    private static readonly Counter<long> Started = Meter.CreateCounter<long>("praison.tasks.started", "{task}", "Task runs started (a rerun counts again).");
    private static readonly Counter<long> Completed = Meter.CreateCounter<long>("praison.tasks.completed", "{task}", "Tasks that completed.");
    private static readonly Counter<long> Failed = Meter.CreateCounter<long>("praison.tasks.failed", "{task}", "Tasks that failed, tagged error.kind.");
    private static readonly Counter<long> Cancelled = Meter.CreateCounter<long>("praison.tasks.cancelled", "{task}", "Tasks that were cancelled.");
    private static readonly Counter<long> TimedOut = Meter.CreateCounter<long>("praison.tasks.timed_out", "{task}", "Tasks stopped at their timeout (also counted as failed, kind Timeout).");
    private static readonly UpDownCounter<long> Queued = Meter.CreateUpDownCounter<long>("praison.tasks.queued", "{task}", "Pending tasks: the queue depth.");
    private static readonly UpDownCounter<long> Running = Meter.CreateUpDownCounter<long>("praison.tasks.running", "{task}", "Tasks running now.");
    private static readonly Histogram<double> RunDuration = Meter.CreateHistogram<double>("praison.task.run.duration", "s", "From a task's first start to its end.");
    private static readonly Histogram<double> QueueWait = Meter.CreateHistogram<double>("praison.task.queue.wait", "s", "From submission to a start.");
    private static readonly Histogram<long> WriteBatchSize = Meter.CreateHistogram<long>("praison.store.write.batch_size", "{event}", "Events stored by one journal write.");
    private static readonly Histogram<double> WriteDuration = Meter.CreateHistogram<double>("praison.store.write.duration", "s", "How long one journal batch write took.");
    private static readonly Counter<long> Retried = Meter.CreateCounter<long>("praison.tasks.retried", "{task}", "Failed attempts that the retry policy runs again.");
    private static readonly Counter<long> RetriesExhausted = Meter.CreateCounter<long>("praison.tasks.retries_exhausted", "{task}", "Tasks whose last allowed attempt failed (also counted as failed, kind RetriesExhausted).");
    private static readonly Counter<long> WriteFailures = Meter.CreateCounter<long>("praison.store.write.failures", "{write}", "Task event writes that failed (each retry that fails counts again), tagged praison.event.");
    private static readonly Counter<long> WebhookDeliveries = Meter.CreateCounter<long>("praison.webhook.deliveries", "{attempt}", "Webhook delivery attempts by outcome: delivered, failed (retried later) or given_up.");
    private static readonly Histogram<double> WebhookDuration = Meter.CreateHistogram<double>("praison.webhook.delivery.duration", "s", "How long one webhook POST took, tagged outcome: delivered or failed.");
    private static readonly Counter<long> ScheduleFired = Meter.CreateCounter<long>("praison.schedule.fired", "{slot}", "Schedule slots submitted as tasks, tagged praison.schedule and reason.");
    private static readonly Histogram<double> ScheduleLag = Meter.CreateHistogram<double>("praison.schedule.lag", "s", "From a slot's scheduled time to its task's submission.");

    /// <summary>Records a stored event of one task: the counters, the gauges' transitions and the histograms.</summary>
    internal static void Stored(TaskState before, TaskState after, ITaskEvent e)
    {
        // Recipe names are a registered, bounded set, so they are a safe tag; a delegate's free-form name is not.
        var kind = new TagList { { "task.kind", after.Spec?.Kind == TaskKind.Recipe ? "recipe" : "delegate" } };
        if (after.Spec?.RecipeName is { } recipe) kind.Add("praison.recipe", recipe);
        switch (e)
        {
            case TaskSubmitted:
                Submitted.Add(1, kind);
                break;
            case TaskStarted s:
                Started.Add(1, kind);
                if (after.SubmittedAt is { } submitted) QueueWait.Record(Math.Max(0, (s.At - submitted).TotalSeconds), kind);
                break;
            case TaskCompleted:
                Completed.Add(1, kind);
                break;
            case TaskFailed f:
                var failedTags = kind;
                failedTags.Add("error.kind", f.Error.Kind.ToString());
                Failed.Add(1, failedTags);
                if (f.Error.Kind == TaskErrorKind.Timeout) TimedOut.Add(1, kind);
                break;
            case TaskCancelled:
                Cancelled.Add(1, kind);
                break;
            case TaskRetryScheduled:
                Retried.Add(1, kind);
                break;
            case TaskRetriesExhausted:
                RetriesExhausted.Add(1, kind);
                var exhaustedTags = kind;
                exhaustedTags.Add("error.kind", nameof(TaskErrorKind.RetriesExhausted));
                Failed.Add(1, exhaustedTags);
                break;
        }
        if (before.Exists && before.Status == after.Status) return;
        if (before.Exists) Move(before.Status, -1, kind);
        Move(after.Status, +1, kind);
        if (after.IsTerminal && before.Status == BackgroundTaskStatus.Running && after.FirstStartedAt is { } first)
        {
            var durationTags = kind;
            durationTags.Add("task.status", after.Status.ToString());
            RunDuration.Record(Math.Max(0, (e.At - first).TotalSeconds), durationTags);
        }
    }

    /// <summary>A task a supervisor holds again after a restart, before any decision on it.</summary>
    internal static void Recovered(TaskState state)
    {
        if (!state.Exists) return;
        var tags = new TagList { { "task.kind", state.Spec!.Kind == TaskKind.Recipe ? "recipe" : "delegate" } };
        if (state.Spec.RecipeName is { } recipe) tags.Add("praison.recipe", recipe);
        Move(state.Status, +1, tags);
    }

    private static void Move(BackgroundTaskStatus status, int delta, in TagList tags)
    {
        if (status == BackgroundTaskStatus.Pending) Queued.Add(delta, tags);
        else if (status == BackgroundTaskStatus.Running) Running.Add(delta, tags);
    }

    /// <summary>Times one journal batch write of <paramref name="events"/> events.</summary>
    internal static async Task TimeWriteAsync(int events, Func<Task> write)
    {
        var started = Stopwatch.GetTimestamp();
        var ok = false;
        try
        {
            await write().ConfigureAwait(false);
            ok = true;
        }
        finally
        {
            WriteBatchSize.Record(events);
            WriteDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>("outcome", ok ? "ok" : "error"));
        }
    }

    /// <summary>A task event write that failed (refused, or to be retried), tagged with its task's kind and recipe.</summary>
    internal static void WriteFailed(ITaskEvent e, TaskSpec? spec)
    {
        var tags = new TagList { { "task.kind", spec?.Kind == TaskKind.Recipe ? "recipe" : "delegate" }, { "praison.event", e.GetType().Name } };
        if (spec?.RecipeName is { } recipe) tags.Add("praison.recipe", recipe);
        WriteFailures.Add(1, tags);
    }

    /// <summary>One webhook attempt ended: <paramref name="outcome"/> is delivered, failed (retried later) or given_up.</summary>
    internal static void WebhookAttempt(string outcome) => WebhookDeliveries.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    /// <summary>How long one webhook POST took.</summary>
    internal static void WebhookPosted(TimeSpan took, bool delivered) =>
        WebhookDuration.Record(took.TotalSeconds, new KeyValuePair<string, object?>("outcome", delivered ? "delivered" : "failed"));

    /// <summary>A schedule's slot was submitted at <paramref name="submittedAt"/> (<paramref name="reason"/>: due, catch-up, backfill, manual).</summary>
    internal static void SlotFired(string schedule, string reason, DateTimeOffset slot, DateTimeOffset submittedAt)
    {
        var tags = new TagList { { "praison.schedule", schedule }, { "reason", reason } };
        ScheduleFired.Add(1, tags);
        ScheduleLag.Record(Math.Max(0, (submittedAt - slot).TotalSeconds), new KeyValuePair<string, object?>("praison.schedule", schedule));
    }

    /// <summary>The caller's W3C trace context (<c>traceparent</c>), stored with a task so its run joins the caller's trace.</summary>
    internal static string? CurrentTraceParent() =>
        Activity.Current is { IdFormat: ActivityIdFormat.W3C } current ? current.Id : null;

    /// <summary>
    /// Wraps a task's work in a <see cref="RunSpanName"/> span whose parent is the submitter's stored trace context, so a
    /// trace crosses processes and cluster nodes. With no listener on the source (decided when the run starts) the work
    /// runs as it is: no span would be recorded, and the wrapper costs a parse and a state machine per task.
    /// </summary>
    internal static TaskWork Traced(TaskWork work, TaskSpec spec, int attempt) =>
        Source.HasListeners() ? TracedRun(work, spec, attempt) : work;

    private static TaskWork TracedRun(TaskWork work, TaskSpec spec, int attempt) => async ctx =>
    {
        ActivityContext.TryParse(spec.TraceParent, null, out var parent);
        using var activity = Source.StartActivity(RunSpanName, ActivityKind.Internal, parent);
        if (activity is not null)
        {
            activity.SetTag("praison.task.id", spec.TaskId);
            activity.SetTag("praison.task.name", spec.Name);
            if (spec.RecipeName is not null) activity.SetTag("praison.recipe", spec.RecipeName);
            if (spec.SessionId is not null) activity.SetTag("praison.session.id", spec.SessionId);
            activity.SetTag("praison.task.attempt", attempt);
        }
        try
        {
            var result = await work(ctx).ConfigureAwait(false);
            activity?.SetStatus(ActivityStatusCode.Ok);
            return result;
        }
        catch (OperationCanceledException) when (ctx.CancellationToken.IsCancellationRequested)
        {
            activity?.SetTag("praison.task.cancelled", true);
            throw;
        }
        catch (Exception ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            activity?.AddException(ex);
            throw;
        }
    };
}
