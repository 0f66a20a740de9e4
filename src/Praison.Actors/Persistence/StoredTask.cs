namespace Praison.Actors;

/// <summary>A retained task as the store holds it: its state and, when Completed, its JSON result.</summary>
public sealed record StoredTask(TaskStatusInfo Info, string? ResultJson)
{
    internal Lifecycle.TaskState? State { get; init; }

    /// <summary>The number of the task's last stored event: where its next write continues.</summary>
    internal long SequenceNr { get; init; }
}
