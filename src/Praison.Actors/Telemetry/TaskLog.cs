using Akka.Event;
using Praison.Actors.Lifecycle;
using Praison.Actors.Messages;

namespace Praison.Actors;

/// <summary>
/// The runtime's own log lines about one task, in one place so every holder of a task (supervisor, runner, cluster
/// entity) says the same. Named templates: Akka's semantic formatter keeps each <c>{Name}</c> as a field, so an
/// <see cref="Microsoft.Extensions.Logging.ILogger"/> behind the bridge gets <c>TaskId</c>, <c>Recipe</c> and
/// <c>SessionId</c> as structure, not only as text.
/// </summary>
internal static class TaskLog
{
    /// <summary>A stored event worth a line (information): a failure, a retry being scheduled, the retries running out.</summary>
    public static void Stored(ILoggingAdapter log, TaskState state, ITaskEvent e)
    {
        switch (e)
        {
            // Information: a task's failure is its outcome, reported to whoever waits for it and on the dashboard;
            // warnings are kept for the runtime's own trouble (the store, webhooks), so a quiet CLI stays quiet.
            case TaskFailed f:
                log.Info("Task {TaskId} failed ({ErrorKind}): {ErrorMessage} [recipe {Recipe}, session {SessionId}]",
                    state.TaskId, f.Error.Kind, f.Error.Message, Recipe(state), state.Spec?.SessionId);
                break;
            case TaskRetriesExhausted x:
                log.Info("Task {TaskId} failed after {Attempt} attempts ({ErrorKind}): {ErrorMessage} [recipe {Recipe}, session {SessionId}]",
                    state.TaskId, x.Attempt, x.Error.Kind, x.Error.Message, Recipe(state), state.Spec?.SessionId);
                break;
            case TaskRetryScheduled r:
                log.Info("Task {TaskId} attempt {Attempt} failed: {ErrorMessage}; next attempt at {NextAttemptAt} [recipe {Recipe}, session {SessionId}]",
                    state.TaskId, r.Attempt, r.Error.Message, r.NextAttemptAt, Recipe(state), state.Spec?.SessionId);
                break;
        }
    }

    /// <summary>A write of <paramref name="e"/> failed and is retried (what it records has happened).</summary>
    public static void WriteRetried(ILoggingAdapter log, Exception? error, string taskId, TaskState state, ITaskEvent e)
    {
        PraisonTelemetry.WriteFailed(e, state.Spec);
        log.Warning(error, "Task {TaskId}: storing {Event} failed; retrying [recipe {Recipe}, session {SessionId}]",
            taskId, e.GetType().Name, Recipe(state), state.Spec?.SessionId);
    }

    /// <summary>The submission could not be stored: the task does not exist.</summary>
    public static void SubmitFailed(ILoggingAdapter log, Exception? error, string taskId, ITaskEvent e)
    {
        var spec = (e as TaskSubmitted)?.Spec;
        PraisonTelemetry.WriteFailed(e, spec);
        log.Error(error, "Task {TaskId}: storing its submission failed [recipe {Recipe}, session {SessionId}]",
            taskId, spec?.RecipeName ?? spec?.Name, spec?.SessionId);
    }

    /// <summary>A recipe task's recipe, else a delegate's name.</summary>
    private static string? Recipe(TaskState state) => state.Spec?.RecipeName ?? state.Spec?.Name;
}
