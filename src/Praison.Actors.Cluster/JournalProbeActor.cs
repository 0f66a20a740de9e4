using Akka.Actor;
using Akka.Persistence;

namespace Praison.Actors.Cluster;

/// <summary>
/// Recovers one fixed persistence id through the given journal and snapshot store. Recovery starts both plugins,
/// which creates their tables (auto-initialize), and surfaces a store that cannot be used as a failure.
/// </summary>
internal sealed class JournalProbeActor : UntypedPersistentActor
{
    private readonly IActorRef _replyTo;

    public JournalProbeActor(IActorRef replyTo, string? journalPluginId, string? snapshotPluginId)
    {
        _replyTo = replyTo;
        JournalPluginId = journalPluginId;
        SnapshotPluginId = snapshotPluginId;
    }

    public static Props Props(IActorRef replyTo, string? journalPluginId, string? snapshotPluginId) =>
        Akka.Actor.Props.Create(typeof(JournalProbeActor), replyTo, journalPluginId, snapshotPluginId);

    public override string PersistenceId => "praison-schema-probe";

    protected override void OnRecover(object message)
    {
        if (message is not RecoveryCompleted) return;
        _replyTo.Tell(new Status.Success(JournalPluginId ?? "default journal"));
        Context.Stop(Self);
    }

    protected override void OnCommand(object message) => Unhandled(message);

    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        _replyTo.Tell(new Status.Failure(reason));
        base.OnRecoveryFailure(reason, message);
    }
}
