using Akka.Actor;
using Akka.Event;

namespace Praison.Actors.Messages;

/// <summary>Messages to the TaskSupervisor: admission, slots, the listing index.</summary>
internal interface ISupervisorMessage : IPraisonMessage;

/// <summary>A client submits a task; answered with <see cref="TaskAccepted"/> or <see cref="TaskRejected"/>.</summary>
internal sealed record SubmitTask(TaskSpec Spec, TaskWork? Work) : ISupervisorMessage, INoSerializationVerificationNeeded;

internal sealed record ListTasks(TaskQuery Query) : ISupervisorMessage;

/// <summary>Removes finished tasks, or every task when <paramref name="IncludeActive"/> (active ones are cancelled first).</summary>
internal sealed record ClearTasks(bool IncludeActive) : ISupervisorMessage;

/// <summary>A task's Submitted event is stored: queue it for a slot. The sender is the task's actor.</summary>
internal sealed record TaskEnqueued(TaskStatusInfo Task, int? RecipeMaxConcurrent) : ISupervisorMessage;

/// <summary>A task changed status; terminal statuses free its slot.</summary>
internal sealed record TaskStatusChanged(TaskStatusInfo Task) : ISupervisorMessage;

/// <summary>A task deleted its events and stops; the id is gone.</summary>
internal sealed record TaskRemoved(string TaskId) : ISupervisorMessage;

/// <summary>
/// A task actor has nothing to do (finished and idle, or asked about an id it does not hold) and asks to be
/// stopped. The supervisor buffers messages for the id until it has stopped, and wakes it again on demand.
/// </summary>
internal sealed record PassivateTask(string TaskId, DateTimeOffset? CleanupAt) : ISupervisorMessage;

/// <summary>The supervisor's own timers and piped results.</summary>
internal interface ISupervisorInternal : INoSerializationVerificationNeeded;

internal sealed record CleanupTick : ISupervisorInternal
{
    public static readonly CleanupTick Instance = new();
}

/// <summary>
/// From a task's actor to its supervisor: a write of the task failed and is being retried (<paramref name="Error"/>
/// set), or the retried write is stored (<paramref name="Error"/> null). Sent only around failures.
/// </summary>
internal sealed record TaskStoreState(string TaskId, string? Error, bool Retried = true)
    : ISupervisorMessage, INoSerializationVerificationNeeded;

/// <summary>
/// From a local TaskRunner to its supervisor: the task's work has ended and its terminal event is being written. The
/// slot is free from here (max_concurrent bounds running work); the write goes on without holding it.
/// </summary>
internal sealed record WorkEnded(string TaskId) : ISupervisorMessage, INoSerializationVerificationNeeded;

/// <summary>Asks a supervisor how its store is doing; answered with <see cref="StoreHealth"/>. Never leaves the process.</summary>
internal sealed record GetStoreHealth : ISupervisorMessage, INoSerializationVerificationNeeded
{
    public static readonly GetStoreHealth Instance = new();
}

/// <summary>
/// The store as the supervisor's writes see it: unhealthy from the first failed write (<paramref name="Since"/>)
/// until one succeeds, with the last error.
/// </summary>
internal sealed record StoreHealth(bool Healthy, string? LastError, DateTimeOffset? Since)
    : ITaskReply, INoSerializationVerificationNeeded;

/// <summary>
/// A cluster task entity asks its node's supervisor for room in the node's queue (MaxQueued) before it stores a new
/// task; answered with <see cref="AdmitTaskReply"/>. Node-local: the entity and the supervisor share a process.
/// </summary>
internal sealed record AdmitTask(string TaskId) : ISupervisorMessage, INoSerializationVerificationNeeded;

/// <summary>Admitted when <paramref name="Refusal"/> is null (the node counts the task as waiting until it is queued or given up); else why not.</summary>
internal sealed record AdmitTaskReply(string TaskId, string? Refusal) : ISupervisorMessage, INoSerializationVerificationNeeded;

/// <summary>An admitted submission was not stored as a new task (the store refused it, or the id was already stored): its room is freed.</summary>
internal sealed record AdmissionReleased(string TaskId) : ISupervisorMessage, INoSerializationVerificationNeeded;

/// <summary>
/// Published on the node's event stream by a cluster task entity that stops while its task is unfinished (its shard
/// was handed off, or it failed): the node's sweeper wakes the task through the shard region, on its new node.
/// Node-local, never sent over the wire.
/// </summary>
internal sealed record TaskEntityStopped(string TaskId) : INoSerializationVerificationNeeded, IDeadLetterSuppression;
