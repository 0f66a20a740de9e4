namespace Praison.Actors;

/// <summary>One event of <see cref="ActorHandle.WatchAsync"/>: the task's status and progress at that moment.</summary>
public sealed record TaskUpdate(TaskStatusInfo Task, long Sequence)
{
    /// <summary>The task's status at this update.</summary>
    public BackgroundTaskStatus Status => Task.Status;
    /// <summary>The task's last reported progress, if any.</summary>
    public TaskProgress? Progress => Task.Progress;
    /// <summary>Whether this is the last update (the task is terminal).</summary>
    public bool IsFinal => Task.IsTerminal;
}
