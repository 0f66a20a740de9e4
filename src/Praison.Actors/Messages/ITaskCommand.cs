using Akka.Actor;

namespace Praison.Actors.Messages;

/// <summary>
/// Messages addressed to one task. They carry the task id so the supervisor (locally) or the shard region
/// (in a cluster) can route them. Those a client may send while the task runs do not influence its
/// ReceiveTimeout, so polling never pushes the timeout back.
/// </summary>
internal interface ITaskCommand : IPraisonMessage
{
    string TaskId { get; }
}

/// <summary>Store a new recipe task (serializable: it can be sent to a shard region).</summary>
internal sealed record CreateTask(TaskSpec Spec) : ITaskCommand
{
    public string TaskId => Spec.TaskId;
}

/// <summary>Store a new delegate task. The delegate lives only in this process, so the message never leaves it.</summary>
internal sealed record CreateLocalTask(TaskSpec Spec, TaskWork Work) : ITaskCommand, INoSerializationVerificationNeeded
{
    public string TaskId => Spec.TaskId;
}

internal sealed record GetTaskStatus(string TaskId) : ITaskCommand, INotInfluenceReceiveTimeout;

/// <summary>Answered with <see cref="TaskSpecReply"/>: how the task was submitted (to run it again as a new task).</summary>
internal sealed record GetTaskSpec(string TaskId) : ITaskCommand, INotInfluenceReceiveTimeout;

/// <summary>Answered with <see cref="TaskOutcome"/> once the task is terminal (at once if it already is).</summary>
internal sealed record WaitForTask(string TaskId) : ITaskCommand, INotInfluenceReceiveTimeout;

internal sealed record CancelTask(string TaskId, string Reason = "cancelled by request") : ITaskCommand, INotInfluenceReceiveTimeout;

/// <summary>The subscriber receives <see cref="TaskUpdateNotice"/>s: the current state at once, then every change.</summary>
internal sealed record SubscribeTask(string TaskId, IActorRef Subscriber) : ITaskCommand, INotInfluenceReceiveTimeout;

internal sealed record UnsubscribeTask(string TaskId, IActorRef Subscriber) : ITaskCommand, INotInfluenceReceiveTimeout;

/// <summary>From the supervisor: a slot is free, run now.</summary>
internal sealed record StartTask(string TaskId) : ITaskCommand, INotInfluenceReceiveTimeout;

/// <summary>
/// Delete the task's events and stop; answered with <see cref="TaskDeleted"/> once they are gone. An active
/// task is cancelled first when <paramref name="CancelIfActive"/>, and refused (<see cref="TaskRejected"/>) otherwise.
/// </summary>
internal sealed record RemoveTask(string TaskId, bool CancelIfActive) : ITaskCommand, INotInfluenceReceiveTimeout;
