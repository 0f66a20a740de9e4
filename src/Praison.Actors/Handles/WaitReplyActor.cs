using Akka.Actor;

namespace Praison.Actors.Handles;

/// <summary>
/// The reply end of one renewed cluster wait (<see cref="ActorHandle.WaitAsync"/>): one actor ref for every
/// registration, so the task counts it once, and the first answer completes the caller's task.
/// </summary>
internal sealed class WaitReplyActor : UntypedActor
{
    private readonly TaskCompletionSource<object> _answer;

    public WaitReplyActor(TaskCompletionSource<object> answer) => _answer = answer;

    public static Props Props(TaskCompletionSource<object> answer) => Akka.Actor.Props.Create(typeof(WaitReplyActor), answer);

    protected override void OnReceive(object message)
    {
        _answer.TrySetResult(message);
        Context.Stop(Self);
    }
}
