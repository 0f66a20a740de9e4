using System.Threading.Channels;
using Akka.Actor;
using Praison.Actors.Messages;

namespace Praison.Actors.Handles;

/// <summary>
/// The mailbox end of one <see cref="ActorHandle.WatchAsync"/> call: it writes what the task publishes into
/// a channel the caller reads, and ends the channel on the final update or when the task stops.
/// </summary>
internal sealed class WatchSubscriberActor : UntypedActor
{
    private readonly ChannelWriter<object> _writer;
    private IActorRef? _watched;

    public WatchSubscriberActor(ChannelWriter<object> writer) => _writer = writer;

    public static Props Props(ChannelWriter<object> writer) =>
        Akka.Actor.Props.Create(typeof(WatchSubscriberActor), writer);

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case TaskUpdateNotice n:
                if (!Sender.IsNobody() && !Sender.Equals(_watched))
                {
                    // Notices come from the actor that holds the task: watch it, so a task that stops ends the stream.
                    // The holder changes (the supervisor hands a task to a runner, and takes it back while it waits for a
                    // retry): the watch follows the latest one.
                    if (_watched is not null) Context.Unwatch(_watched);
                    Context.Watch(Sender);
                    _watched = Sender;
                }
                _writer.TryWrite(n);
                if (n.Update.IsFinal) Finish(null);
                break;
            case TaskNotFound nf:
                _writer.TryWrite(nf);
                Finish(null);
                break;
            case Terminated t when !t.ActorRef.Equals(_watched):
                break; // an earlier holder of the task
            case Terminated:
                Finish(new InvalidOperationException("The task's actor stopped before the task finished."));
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Finish(Exception? error)
    {
        _writer.TryComplete(error);
        Context.Stop(Self);
    }

    protected override void PostStop() => _writer.TryComplete();
}
