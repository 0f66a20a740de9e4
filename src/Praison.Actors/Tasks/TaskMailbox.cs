using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;

namespace Praison.Actors.Tasks;

/// <summary>
/// The mailbox of a task's actor (<see cref="TaskRunner"/>, <see cref="TaskEntity"/>): unbounded, with the
/// deque semantics the stash needs, sized for a few messages. Akka's deque mailbox wraps a
/// <see cref="System.Collections.Concurrent.ConcurrentQueue{T}"/>, whose first segment (32 slots) and prepend stack
/// cost about 1 KB per actor, and there is one actor per task; this queue starts at 4 slots behind a lock that
/// is rarely contended (a task's messages come from its supervisor, its work and its clients, a few per task).
/// </summary>
internal sealed class TaskMailbox : MailboxType, IProducesMessageQueue<TaskMessageQueue>
{
    /// <summary>The mailbox's configuration path, named in the task actors' props.</summary>
    public const string Path = "praison.task-mailbox";

    /// <summary>The path's definition; part of the configuration every start-up path of ours builds.</summary>
    internal static readonly Config Definition =
        ConfigurationFactory.ParseString($"{Path}.mailbox-type = \"{typeof(TaskMailbox).AssemblyQualifiedName}\"");

    public TaskMailbox(Settings settings, Config config) : base(settings, config)
    {
    }

    /// <summary>
    /// Defines <see cref="Path"/> in <paramref name="system"/>'s configuration unless it is already defined (as an Akka
    /// extension adds its defaults), for a system whose configuration we did not build (a runner given the user's own
    /// ActorSystem, a test kit). Called by whatever spawns task actors, before the first one.
    /// </summary>
    public static void EnsureDefined(ActorSystem system)
    {
        if (!system.Settings.Config.HasPath(Path)) system.Settings.InjectTopLevelFallback(Definition);
    }

    public override IMessageQueue Create(IActorRef owner, ActorSystem system) => new TaskMessageQueue();
}

/// <summary>The queue of a <see cref="TaskMailbox"/>: FIFO under a lock, with messages put back first (unstash) ahead of it.</summary>
internal sealed class TaskMessageQueue : IMessageQueue, IUnboundedDequeBasedMessageQueueSemantics
{
    private readonly Queue<Envelope> _queue = new(4);
    private Stack<Envelope>? _first; // only the actor's own thread touches it (EnqueueFirst and TryDequeue)
    private int _count; // queued and put back; changed with Interlocked, read without a lock (HasMessages)

    public bool HasMessages => Volatile.Read(ref _count) > 0;

    public int Count => Volatile.Read(ref _count);

    public void Enqueue(IActorRef receiver, Envelope envelope)
    {
        lock (_queue)
        {
            _queue.Enqueue(envelope);
            Interlocked.Increment(ref _count);
        }
    }

    public bool TryDequeue(out Envelope envelope)
    {
        if (_first is { Count: > 0 })
        {
            envelope = _first.Pop();
            Interlocked.Decrement(ref _count);
            return true;
        }
        if (Volatile.Read(ref _count) == 0)
        {
            envelope = default;
            return false;
        }
        lock (_queue)
        {
            if (!_queue.TryDequeue(out envelope)) return false;
            Interlocked.Decrement(ref _count);
            return true;
        }
    }

    public void EnqueueFirst(Envelope envelope)
    {
        (_first ??= new Stack<Envelope>()).Push(envelope);
        Interlocked.Increment(ref _count);
    }

    public void CleanUp(IActorRef owner, IMessageQueue deadletters)
    {
        while (TryDequeue(out var envelope)) deadletters.Enqueue(owner, envelope);
    }
}
