using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;

namespace Praison.Actors.Benchmarks.Harness;

/// <summary>
/// Counts the messages delivered to actor mailboxes, by kind of receiving actor, for the profile scenario only:
/// <see cref="Config"/> swaps the default, the deque-based and the task actors' mailbox for counting ones (the same queues, plus one
/// Interlocked increment per message), so normal runs are untouched. Counted: every user message enqueued to an
/// actor's mailbox (Tell, Forward, PipeTo, timers, journal replies). Not counted: system messages (create, watch,
/// stop), unstashed messages (they were counted when they first arrived) and replies to an Ask, which go to a
/// temporary reference with no mailbox.
/// </summary>
public static partial class MessageCounter
{
    private static readonly ConcurrentDictionary<string, StrongBox> Counts = new();

    public static Config Config { get; } = ConfigurationFactory.ParseString($$"""
        akka.actor.default-mailbox.mailbox-type = "{{typeof(CountingMailbox).AssemblyQualifiedName}}"
        akka.actor.mailbox.unbounded-deque-based.mailbox-type = "{{typeof(CountingDequeMailbox).AssemblyQualifiedName}}"
        praison.task-mailbox.mailbox-type = "{{typeof(CountingDequeMailbox).AssemblyQualifiedName}}"
        """);

    /// <summary>Messages counted so far per kind of actor (its path with ids replaced by *).</summary>
    public static Dictionary<string, long> Snapshot() => Counts.ToDictionary(kv => kv.Key, kv => Interlocked.Read(ref kv.Value.Value));

    /// <summary>What was counted between two snapshots, per kind of actor, largest first.</summary>
    public static List<(string Actor, long Messages)> Since(Dictionary<string, long> before) =>
        Snapshot().Select(kv => (kv.Key, kv.Value - before.GetValueOrDefault(kv.Key)))
            .Where(x => x.Item2 > 0).OrderByDescending(x => x.Item2).ToList();

    /// <summary>Groups actors of one kind: task ids, numbered and anonymous ($a, $b…) names become *.</summary>
    private static StrongBox CounterFor(IActorRef? owner)
    {
        var kind = owner is null ? "?" : string.Join('/', owner.Path.Elements.Select(e => e.StartsWith('$') ? "$*" : IdLike().Replace(e, "*")));
        return Counts.GetOrAdd(kind, _ => new StrongBox());
    }

    [GeneratedRegex("[0-9a-f]{8,}|[0-9]+")]
    private static partial Regex IdLike();

    private sealed class StrongBox
    {
        public long Value;
    }

    internal sealed class CountingQueue(IActorRef? owner) : IMessageQueue, IUnboundedMessageQueueSemantics
    {
        private readonly UnboundedMessageQueue _inner = new();
        private readonly StrongBox _count = CounterFor(owner);

        public bool HasMessages => _inner.HasMessages;
        public int Count => _inner.Count;

        public void Enqueue(IActorRef receiver, Envelope envelope)
        {
            Interlocked.Increment(ref _count.Value);
            _inner.Enqueue(receiver, envelope);
        }

        public bool TryDequeue(out Envelope envelope) => _inner.TryDequeue(out envelope);
        public void CleanUp(IActorRef owner, IMessageQueue deadletters) => _inner.CleanUp(owner, deadletters);
    }

    /// <summary>The deque a stash needs, over a counting queue: EnqueueFirst (unstash) bypasses the count.</summary>
    internal sealed class CountingDequeQueue(IActorRef? owner) : DequeWrapperMessageQueue(new CountingQueue(owner)), IUnboundedDequeBasedMessageQueueSemantics;

    internal sealed class CountingMailbox(Settings settings, Config config) : MailboxType(settings, config), IProducesMessageQueue<CountingQueue>
    {
        public override IMessageQueue Create(IActorRef owner, ActorSystem system) => new CountingQueue(owner);
    }

    internal sealed class CountingDequeMailbox(Settings settings, Config config) : MailboxType(settings, config), IProducesMessageQueue<CountingDequeQueue>
    {
        public override IMessageQueue Create(IActorRef owner, ActorSystem system) => new CountingDequeQueue(owner);
    }
}
