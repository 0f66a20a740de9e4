using Praison.Actors.Messages;

namespace Praison.Actors.Lifecycle;

/// <summary>
/// One task's lifecycle as a pure value: events in, new state out. The task actors persist events and
/// applies them here; nothing in this type touches actors, clocks or I/O.
/// </summary>
internal sealed record TaskState(
    string TaskId,
    TaskSpec? Spec,
    BackgroundTaskStatus Status,
    int Attempt,
    DateTimeOffset? SubmittedAt,
    DateTimeOffset? FirstStartedAt,
    DateTimeOffset? FinishedAt,
    string? ResultJson,
    TaskError? Error)
{
    public static TaskState Empty(string taskId) =>
        new(taskId, null, BackgroundTaskStatus.Pending, 0, null, null, null, null, null);

    /// <summary>False until the Submitted event is applied: the task does not exist yet.</summary>
    public bool Exists => Spec is not null;

    public bool IsTerminal => Exists && Status.IsTerminal();

    /// <summary>The run deadline counts from the first persisted start, so a restart never grants a fresh timeout.</summary>
    public DateTimeOffset? Deadline => FirstStartedAt + Spec?.Timeout;

    /// <summary>When a finished task's events are deleted.</summary>
    public DateTimeOffset? CleanupAt => FinishedAt + Spec?.CleanupDelay;

    public TaskState Apply(ITaskEvent e) => e switch
    {
        TaskSubmitted s => this with { Spec = s.Spec, Status = BackgroundTaskStatus.Pending, SubmittedAt = s.At },
        TaskStarted s => this with { Status = BackgroundTaskStatus.Running, Attempt = s.Attempt, FirstStartedAt = FirstStartedAt ?? s.At },
        TaskRequeued => this with { Status = BackgroundTaskStatus.Pending },
        TaskCompleted c => this with { Status = BackgroundTaskStatus.Completed, ResultJson = c.ResultJson, FinishedAt = c.At },
        TaskFailed f => this with { Status = BackgroundTaskStatus.Failed, Error = f.Error, FinishedAt = f.At },
        TaskCancelled c => this with { Status = BackgroundTaskStatus.Cancelled, FinishedAt = c.At },
        _ => throw new ArgumentOutOfRangeException(nameof(e), e.GetType().Name, "Unknown task event."),
    };

    public TaskStatusInfo ToInfo(TaskProgress? progress = null, string? storeError = null)
    {
        var spec = Spec ?? throw new InvalidOperationException($"Task {TaskId} has not been submitted.");
        return new TaskStatusInfo(TaskId, spec.Kind, spec.Name, spec.RecipeName, spec.SessionId, Status,
            SubmittedAt!.Value, FirstStartedAt, FinishedAt, progress, Error, Attempt, storeError);
    }
}
