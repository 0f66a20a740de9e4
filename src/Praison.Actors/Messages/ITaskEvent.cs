namespace Praison.Actors.Messages;

/// <summary>Events a task journals. A task stores few: submitted, started, one terminal event (and per retry, the retry and a start).</summary>
internal interface ITaskEvent : IPraisonMessage
{
    DateTimeOffset At { get; }
}

internal sealed record TaskSubmitted(TaskSpec Spec, DateTimeOffset At) : ITaskEvent;

internal sealed record TaskStarted(int Attempt, DateTimeOffset At) : ITaskEvent;

/// <summary>A Running task went back to Pending after a restart, to run again (recipes with <c>on_restart: rerun</c>).</summary>
internal sealed record TaskRequeued(string Reason, DateTimeOffset At) : ITaskEvent;

internal sealed record TaskCompleted(string? ResultJson, DateTimeOffset At) : ITaskEvent;

internal sealed record TaskFailed(TaskError Error, DateTimeOffset At) : ITaskEvent;

internal sealed record TaskCancelled(string Reason, DateTimeOffset At) : ITaskEvent;

/// <summary>
/// Attempt <paramref name="Attempt"/> failed (or timed out) with <paramref name="Error"/> and the retry policy allows
/// another: the task is Pending again and its next attempt may start at <paramref name="NextAttemptAt"/>. The wait is
/// stored so a restart resumes it rather than restarting or skipping it.
/// </summary>
internal sealed record TaskRetryScheduled(int Attempt, TaskError Error, DateTimeOffset NextAttemptAt, DateTimeOffset At) : ITaskEvent;

/// <summary>The last attempt the retry policy allowed failed with <paramref name="Error"/>: the task is Failed (<see cref="TaskErrorKind.RetriesExhausted"/>).</summary>
internal sealed record TaskRetriesExhausted(int Attempt, TaskError Error, DateTimeOffset At) : ITaskEvent;
