using Akka.Actor;

namespace Praison.Actors.Handles;

/// <summary>
/// The reply address of one request to an actor in this process: a minimal actor ref that completes a task with
/// the first message it is told. Unlike Akka's Ask it is not registered anywhere (no temp-container entry, no
/// path unless someone asks for one) and arms no timer of its own: the caller bounds the wait
/// (<see cref="AskAsync"/>). Only for actors that answer from this process (a local supervisor): a ref that is never
/// registered cannot be resolved from another node.
/// </summary>
internal sealed class LocalReply : MinimalActorRef
{
    private readonly TaskCompletionSource<object> _answer = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly IActorRefProvider _provider;
    private ActorPath? _path;

    private LocalReply(IActorRefProvider provider) => _provider = provider;

    /// <summary>A temporary path, made only when asked for (dead letters, logs): no reply needs it.</summary>
    public override ActorPath Path => _path ??= _provider.TempPath();

    public override IActorRefProvider Provider => _provider;

    protected override void TellInternal(object message, IActorRef sender)
    {
        // A Status.Failure fails the wait with its cause, as Akka's Ask does.
        if (message is Status.Failure f) _answer.TrySetException(f.Cause ?? new InvalidOperationException("The request failed."));
        else _answer.TrySetResult(message);
    }

    /// <summary>
    /// Tells <paramref name="target"/> <paramref name="message"/> with a new reply ref as its sender and waits for the
    /// answer: <see cref="AskTimeoutException"/> after <paramref name="timeout"/> (the target died, or is too busy; null:
    /// no limit), a
    /// cancelled task when <paramref name="cancellationToken"/> is — the same errors as Akka's Ask.
    /// </summary>
    public static async Task<object> AskAsync(IActorRef target, object message, IActorRefProvider provider, TimeSpan? timeout,
        CancellationToken cancellationToken)
    {
        var reply = new LocalReply(provider);
        target.Tell(message, reply);
        try
        {
            // No timeout (a wait without one): only the token ends it, as Ask with an infinite timeout.
            return timeout is { } limit
                ? await reply._answer.Task.WaitAsync(limit, cancellationToken).ConfigureAwait(false)
                : await reply._answer.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new AskTimeoutException($"Timeout after {timeout} seconds");
        }
    }
}
