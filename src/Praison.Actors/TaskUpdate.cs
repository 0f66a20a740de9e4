namespace Praison.Actors;

/// <summary>One event of <see cref="ActorHandle.WatchAsync"/>: the task's status and progress at that moment.</summary>
public sealed record TaskUpdate(TaskStatusInfo Task, long Sequence)
{
    public BackgroundTaskStatus Status => Task.Status;
    public TaskProgress? Progress => Task.Progress;
    public bool IsFinal => Task.IsTerminal;
}
