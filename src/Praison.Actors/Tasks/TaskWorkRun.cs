using System.Text;
using System.Text.Json;
using Akka.Actor;
using Akka.Event;
using Praison.Actors.Lifecycle;
using Praison.Actors.Messages;

namespace Praison.Actors.Tasks;

/// <summary>
/// The work of one task, run off the mailbox by whichever actor runs the task (the local runner or the cluster
/// entity): every ending comes back as a <see cref="WorkFinished"/> message (PipeTo), progress as
/// <see cref="ProgressReported"/>. Each run has an id, so what an earlier run reports late changes nothing.
/// </summary>
internal sealed class TaskWorkRun
{
    private CancellationTokenSource? _cts;

    public int RunId { get; private set; }

    /// <summary>The last progress the current run reported (kept after it ends, so a finished task still shows it).</summary>
    public TaskProgress? Progress { get; private set; }

    public bool IsCurrent(int runId) => runId == RunId;

    public void Report(ProgressReported p) => Progress = new TaskProgress(p.Fraction, p.Message, p.At);

    /// <summary>Starts the work of a task just stored as Started. False when there is no work to run (a delegate whose code is gone).</summary>
    public bool Start(TaskState state, TaskWork? work, TaskActorSettings settings, IActorRef self, ILoggingAdapter log)
    {
        var spec = state.Spec!;
        work = spec.Kind == TaskKind.Recipe ? RecipeWork(spec, settings.Recipes) : work;
        if (work is null) return false;
        _cts = new CancellationTokenSource();
        var runId = ++RunId;
        Progress = null;
        var context = new TaskContext(state.TaskId, spec.Name, spec.SessionId, state.Attempt, _cts.Token, self, runId, log);
        Execute(PraisonTelemetry.Traced(work, spec, state.Attempt), context, runId, settings.MaxPayloadBytes).PipeTo(self);
        return true;
    }

    /// <summary>Cancels the running work, if any (its late answer is then ignored by run id or status).</summary>
    public void Stop(ILoggingAdapter log, string taskId)
    {
        if (_cts is null) return;
        try { _cts.Cancel(); }
        catch (AggregateException ex) { log.Warning(ex, "Task {0}: a cancellation callback threw", taskId); }
        _cts.Dispose();
        _cts = null;
    }

    private static TaskWork RecipeWork(TaskSpec spec, RecipeRegistry recipes)
    {
        if (!recipes.TryGet(spec.RecipeName!, out var recipe))
            return _ => throw new RecipeException($"Recipe '{spec.RecipeName}' is not registered in this process.", spec.RecipeName);
        return ctx =>
        {
            var input = spec.InputJson is null ? default : JsonDocument.Parse(spec.InputJson).RootElement.Clone();
            var config = spec.ConfigJson is null
                ? new Dictionary<string, JsonElement>()
                : JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(spec.ConfigJson, PraisonJson.Options)!;
            return recipe.RunAsync(new RecipeContext(ctx, recipe.Template, input, config));
        };
    }

    /// <summary>Runs the work on the thread pool and turns every ending into a message; it never touches actor state.</summary>
    private static Task<WorkFinished> Execute(TaskWork work, TaskContext context, int runId, int maxPayloadBytes) =>
        Task.Run(async () =>
        {
            try
            {
                var result = await work(context).ConfigureAwait(false);
                string? json;
                try
                {
                    json = PraisonJson.Serialize(result);
                }
                catch (Exception ex) when (ex is NotSupportedException or JsonException or InvalidOperationException)
                {
                    return new WorkFinished(runId, null,
                        new TaskError(TaskErrorKind.InvalidResult, $"The result of type {result!.GetType().FullName} is not JSON-serializable: {ex.Message}"), false);
                }
                if (json is not null && Encoding.UTF8.GetByteCount(json) > maxPayloadBytes)
                    return new WorkFinished(runId, null,
                        new TaskError(TaskErrorKind.InvalidResult, $"The result is {Encoding.UTF8.GetByteCount(json)} bytes of JSON, over the limit of {maxPayloadBytes}."), false);
                return new WorkFinished(runId, json, null, false);
            }
            catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
            {
                return new WorkFinished(runId, null, null, true);
            }
            catch (Exception ex)
            {
                return new WorkFinished(runId, null, TaskError.FromException(ex), false);
            }
        });
}
