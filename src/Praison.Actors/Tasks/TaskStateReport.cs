using Akka.Actor;
using Praison.Actors.Lifecycle;
using Praison.Actors.Messages;

namespace Praison.Actors.Tasks;

/// <summary>
/// The TaskRunner the supervisor handed a task to reports its stored state: Running once started; then its
/// terminal state, which the supervisor keeps (answering for the task from then on) before stopping the actor.
/// <paramref name="Progress"/> is the last the work reported (kept, so a finished task still shows it).
/// <paramref name="RemoveRequesters"/> is set when the task was cancelled to be removed. <paramref name="Effects"/>
/// are those of the terminal event that the supervisor carries out (slot, cleanup or deletion). A failed attempt that
/// will be retried is handed back too (<see cref="TaskEffects.RetryAt"/> set): with its waiters, subscribers and a
/// delegate's code, because the supervisor holds the task while it waits for its next attempt.
/// </summary>
internal sealed record TaskStateReport(TaskState State, long SequenceNr, TaskProgress? Progress,
    IReadOnlyList<IActorRef>? RemoveRequesters, TaskEffects? Effects)
    : ISupervisorMessage, INoSerializationVerificationNeeded
{
    /// <summary>A task handed back to wait for a retry: whoever waits for it.</summary>
    public IReadOnlyList<IActorRef>? Waiters { get; init; }

    /// <summary>A task handed back to wait for a retry: whoever watches it.</summary>
    public IReadOnlyCollection<IActorRef>? Subscribers { get; init; }

    /// <summary>A task handed back to wait for a retry: the last update number its watchers saw.</summary>
    public long UpdateSequence { get; init; }

    /// <summary>A delegate task handed back to wait for a retry: its code, for the next attempt.</summary>
    public TaskWork? Work { get; init; }

    /// <summary>The task is handed back to wait for its next attempt, not finished.</summary>
    public bool Retrying => Effects?.RetryAt is not null && !State.IsTerminal;
}
