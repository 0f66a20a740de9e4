namespace Praison.Actors.Messages;

/// <summary>Events a task journals. A task stores few: submitted, started, one terminal event.</summary>
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
