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
    private bool _watching;

    public WatchSubscriberActor(ChannelWriter<object> writer) => _writer = writer;

    public static Props Props(ChannelWriter<object> writer) =>
        Akka.Actor.Props.Create(typeof(WatchSubscriberActor), writer);

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case TaskUpdateNotice n:
                if (!_watching && !Sender.IsNobody())
                {
                    // Notices come from the task actor itself: watch it, so a task that stops ends the stream.
                    Context.Watch(Sender);
                    _watching = true;
                }
                _writer.TryWrite(n);
                if (n.Update.IsFinal) Finish(null);
                break;
            case TaskNotFound nf:
                _writer.TryWrite(nf);
                Finish(null);
                break;
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
