using Akka.Actor;
using Akka.Persistence;

namespace Praison.Actors.Persistence;

/// <summary>
/// Recovers one fixed persistence id at start-up, so a journal that cannot be reached or initialized fails
/// the start with its reason instead of surfacing later as a hung submission.
/// </summary>
internal sealed class StoreProbeActor : UntypedPersistentActor
{
    private readonly IActorRef _replyTo;

    public StoreProbeActor(IActorRef replyTo) => _replyTo = replyTo;

    public static Props Props(IActorRef replyTo) => Akka.Actor.Props.Create(typeof(StoreProbeActor), replyTo);

    public override string PersistenceId => "praison-store-probe";

    protected override void OnRecover(object message)
    {
        if (message is not RecoveryCompleted) return;
        _replyTo.Tell(new Status.Success(LastSequenceNr));
        Context.Stop(Self);
    }

    protected override void OnCommand(object message) => Unhandled(message);

    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        _replyTo.Tell(new Status.Failure(reason));
        base.OnRecoveryFailure(reason, message);
    }
}
