using Akka.Actor;

namespace Praison.Actors.Messages;

/// <summary>Messages to the TaskSupervisor: admission, slots, the listing index.</summary>
public interface ISupervisorMessage : IPraisonMessage;

/// <summary>A client submits a task; answered with <see cref="TaskAccepted"/> or <see cref="TaskRejected"/>.</summary>
public sealed record SubmitTask(TaskSpec Spec, TaskWork? Work) : ISupervisorMessage, INoSerializationVerificationNeeded;

public sealed record ListTasks(TaskQuery Query) : ISupervisorMessage;

/// <summary>Removes finished tasks, or every task when <paramref name="IncludeActive"/> (active ones are cancelled first).</summary>
public sealed record ClearTasks(bool IncludeActive) : ISupervisorMessage;

/// <summary>A task's Submitted event is stored: queue it for a slot. The sender is the task's actor.</summary>
public sealed record TaskEnqueued(TaskStatusInfo Task, int? RecipeMaxConcurrent) : ISupervisorMessage;

/// <summary>A task changed status; terminal statuses free its slot.</summary>
public sealed record TaskStatusChanged(TaskStatusInfo Task) : ISupervisorMessage;

/// <summary>A task deleted its events and stops; the id is gone.</summary>
public sealed record TaskRemoved(string TaskId) : ISupervisorMessage;

/// <summary>
/// A task actor has nothing to do (finished and idle, or asked about an id it does not hold) and asks to be
/// stopped. The supervisor buffers messages for the id until it has stopped, and wakes it again on demand.
/// </summary>
public sealed record PassivateTask(string TaskId, DateTimeOffset? CleanupAt) : ISupervisorMessage;

/// <summary>
/// A task actor the supervisor handed a task to reports its stored state: Running once started; then its
/// terminal state, which the supervisor keeps (answering for the task from then on) before stopping the actor.
/// <paramref name="Progress"/> is the last the work reported (kept, so a finished task still shows it).
/// <paramref name="RemoveRequesters"/> is set when the task was cancelled to be removed: the supervisor deletes it.
/// </summary>
internal sealed record TaskStateReport(Tasks.TaskState State, long SequenceNr, TaskProgress? Progress,
    IReadOnlyList<IActorRef>? RemoveRequesters)
    : ISupervisorMessage, INoSerializationVerificationNeeded;

/// <summary>The supervisor's own timers and piped results.</summary>
internal interface ISupervisorInternal : INoSerializationVerificationNeeded;

internal sealed record CleanupTick : ISupervisorInternal
{
    public static readonly CleanupTick Instance = new();
}
