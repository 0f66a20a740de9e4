namespace Praison.Actors.Messages;

/// <summary>Answers from the runtime to a client. Failures travel as data, never as exceptions.</summary>
internal interface ITaskReply : IPraisonMessage;

/// <summary>
/// The submission is stored and the task is Pending; or (<paramref name="Created"/> false) a task with the submitted
/// id already existed, nothing was stored, and <paramref name="Task"/> is that task as it is now.
/// </summary>
internal sealed record TaskAccepted(TaskStatusInfo Task, bool Created = true) : ITaskReply;

/// <summary>The submission was refused and nothing was stored.</summary>
internal sealed record TaskRejected(string TaskId, string Reason) : ITaskReply;

internal sealed record TaskNotFound(string TaskId) : ITaskReply;

internal sealed record TaskStatusReply(TaskStatusInfo Task) : ITaskReply;

/// <summary>The task's status and the spec it was submitted with.</summary>
internal sealed record TaskSpecReply(TaskStatusInfo Task, TaskSpec Spec) : ITaskReply;

/// <summary>A terminal task: its result (JSON) when Completed, its error in <see cref="TaskStatusInfo.Error"/> otherwise.</summary>
internal sealed record TaskOutcome(TaskStatusInfo Task, string? ResultJson) : ITaskReply;

/// <summary><paramref name="Cancelled"/> is false when the task had already finished.</summary>
internal sealed record CancelReply(string TaskId, bool Cancelled, BackgroundTaskStatus Status) : ITaskReply;

internal sealed record TaskUpdateNotice(TaskUpdate Update) : ITaskReply;

internal sealed record TaskList(IReadOnlyList<TaskStatusInfo> Tasks) : ITaskReply;

internal sealed record ClearReply(int Removed) : ITaskReply;

/// <summary>Answer to <see cref="RemoveTask"/>: the task's events are deleted; the id no longer exists.</summary>
internal sealed record TaskDeleted(string TaskId) : ITaskReply;
