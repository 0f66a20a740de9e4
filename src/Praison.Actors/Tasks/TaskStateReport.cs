using Akka.Actor;
using Praison.Actors.Lifecycle;
using Praison.Actors.Messages;

namespace Praison.Actors.Tasks;

/// <summary>
/// The TaskRunner the supervisor handed a task to reports its stored state: Running once started; then its
/// terminal state, which the supervisor keeps (answering for the task from then on) before stopping the actor.
/// <paramref name="Progress"/> is the last the work reported (kept, so a finished task still shows it).
/// <paramref name="RemoveRequesters"/> is set when the task was cancelled to be removed. <paramref name="Effects"/>
/// are those of the terminal event that the supervisor carries out (slot, cleanup or deletion).
/// </summary>
internal sealed record TaskStateReport(TaskState State, long SequenceNr, TaskProgress? Progress,
    IReadOnlyList<IActorRef>? RemoveRequesters, TaskEffects? Effects)
    : ISupervisorMessage, INoSerializationVerificationNeeded;
