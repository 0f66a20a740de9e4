using Akka.Actor;
using Praison.Actors.Lifecycle;
using Praison.Actors.Messages;

namespace Praison.Actors.Tasks;

/// <summary>
/// What a local supervisor gives the TaskRunner it spawns to run a pending task: the stored state and its last
/// sequence number (so the actor needs no replay), the in-process work of a delegate, and whoever already waits
/// for or watches the task (and the number of the last update those watchers got).
/// </summary>
internal sealed record TaskHandover(
    TaskState State,
    long SequenceNr,
    TaskWork? Work,
    IReadOnlyList<IActorRef> Waiters,
    IReadOnlyCollection<IActorRef> Subscribers,
    long UpdateSequence);
