using Akka.Actor;
using Praison.Actors.Messages;
using Akka.Event;
using Praison.Actors.Persistence;
using ClusterEvent = Akka.Cluster.ClusterEvent;

namespace Praison.Actors.Cluster;

/// <summary>
/// Wakes tasks that should be alive. Shards do not remember their entities (that cost a sharding-journal write per
/// task), so an unfinished task's entity lives only while messages reach it: when a member is removed, when this node
/// becomes the leader (a whole cluster restarted) and periodically on the leader, this reads the store and asks every
/// unfinished task for its status through the region, and every finished one whose cleanup is due (they recover,
/// delete their events and passivate); an entity of this node that stops with its task unfinished (its shard handed
/// off to a joining node) is woken the same way, on its shard's new home. Which tasks those are is an indexed query on
/// the task table (a replay of the journal only with another journal plugin, which has no table). A message can be lost while the dead node's shards
/// are re-homed, so each is re-sent until the task itself answers. A status query never delays a task's timeout.
/// </summary>
internal sealed class TaskStoreSweeper : UntypedActor, IWithTimers
{
    private const string PeriodicTimer = "periodic";
    private const string RetryTimer = "retry";
    /// <summary>
    /// The first re-send comes soon (a wake sent just as a member is removed can still be routed to its dead region),
    /// later ones back off to <see cref="MaxRetryInterval"/>: the set can hold every unfinished task of the cluster.
    /// </summary>
    private static readonly TimeSpan FirstRetryInterval = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan MaxRetryInterval = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromMinutes(2);

    private readonly IActorRef _region;
    private readonly TaskStore _store;
    private readonly TimeSpan _interval;
    private readonly bool _hasTable;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);
    private readonly Dictionary<string, DateTimeOffset> _unacked = new();  // task id → first sent
    private bool _reading;
    private bool _readAgain;
    private bool _purgeAfterRead;
    private TimeSpan _retryInterval = FirstRetryInterval;

    public TaskStoreSweeper(IActorRef region, TaskStore store, TimeSpan interval, bool hasTable)
    {
        _region = region;
        _store = store;
        _interval = interval;
        _hasTable = hasTable;
    }

    public static Props Props(IActorRef region, TaskStore store, TimeSpan interval, bool hasTable) =>
        Akka.Actor.Props.Create(typeof(TaskStoreSweeper), region, store, interval, hasTable);

    public ITimerScheduler Timers { get; set; } = null!;

    private bool IsLeader => _cluster.State.Leader is { } leader && leader.Equals(_cluster.SelfAddress);

    protected override void PreStart()
    {
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.MemberRemoved), typeof(ClusterEvent.LeaderChanged));
        Context.System.EventStream.Subscribe(Self, typeof(TaskEntityStopped));
        Timers.StartPeriodicTimer(PeriodicTimer, SweepTick.Instance, _interval);
    }

    protected override void PostStop()
    {
        _cluster.Unsubscribe(Self);
        Context.System.EventStream.Unsubscribe(Self);
    }

    /// <summary>This node is leaving or shutting down: its own entities stop, and the remaining nodes wake their tasks.</summary>
    private bool Leaving => _cluster.SelfMember.Status is not (Akka.Cluster.MemberStatus.Up or Akka.Cluster.MemberStatus.WeaklyUp
        or Akka.Cluster.MemberStatus.Joining) || CoordinatedShutdown.Get(Context.System).ShutdownReason is not null;

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case ClusterEvent.MemberRemoved removed when !removed.Member.Address.Equals(_cluster.SelfAddress) && !Leaving:
                _log.Info("Member {0} removed: waking its unfinished tasks on the remaining nodes", removed.Member.Address);
                Read(purge: false);
                break;
            case ClusterEvent.MemberRemoved:
                break;
            case ClusterEvent.LeaderChanged { Leader: { } leader } when leader.Equals(_cluster.SelfAddress):
                // The first leader of a (re)started cluster, or a new one: wake what was running, now, not a period later.
                Read(purge: false);
                break;
            case ClusterEvent.LeaderChanged:
                break;
            case TaskEntityStopped stopped when !Leaving:
                Wake(stopped.TaskId, DateTimeOffset.UtcNow);
                break;
            case TaskEntityStopped:
                break;
            case SweepTick when IsLeader:
                Read(purge: true);
                break;
            case SweepTick:
                break;
            case SweepRead r:
                OnRead(r);
                break;
            case TaskStatusReply reply:
                Acknowledged(reply.Task.TaskId);
                break;
            case TaskNotFound notFound:
                Acknowledged(notFound.TaskId);
                break;
            case RetryWake:
                Resend();
                break;
            case SweepPurged { Error: { } error }:
                _log.Warning(error, "Purging deleted task rows failed; the next sweep tries again");
                break;
            case SweepPurged:
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Read(bool purge)
    {
        if (Leaving) return; // a leaving node sees the others removed; they wake the tasks, not this one
        _purgeAfterRead |= purge;
        if (_reading)
        {
            _readAgain = true;
            return;
        }
        _reading = true;
        ReadTargetsAsync(DateTimeOffset.UtcNow).ContinueWith(
                t => new SweepRead(t.IsCompletedSuccessfully ? t.Result : null, t.Exception?.GetBaseException() ?? new TaskCanceledException()),
                TaskContinuationOptions.ExecuteSynchronously)
            .PipeTo(Self);
    }

    /// <summary>Unfinished tasks and finished ones whose cleanup is due.</summary>
    private async Task<IReadOnlyList<string>> ReadTargetsAsync(DateTimeOffset now)
    {
        if (_hasTable) return await _store.ReadSweepTargetsAsync(now).ConfigureAwait(false);
        return (await _store.ReadTasksAsync().ConfigureAwait(false))
            .Where(t => !t.Info.IsTerminal || t.State?.CleanupAt <= now).Select(t => t.Info.TaskId).ToList();
    }

    private void OnRead(SweepRead r)
    {
        _reading = false;
        if (r.TaskIds is null)
            _log.Warning(r.Error, "Reading the store to wake tasks failed; trying again at the next sweep");
        else
        {
            var now = DateTimeOffset.UtcNow;
            var woken = 0;
            foreach (var id in r.TaskIds)
            {
                Wake(id, now);
                woken++;
            }
            if (woken > 0) _log.Debug("Woke {0} tasks", woken);
            if (_purgeAfterRead && _store.Sql is { } sql)
                sql.PurgeDeletedAsync(CancellationToken.None).ContinueWith(
                        t => new SweepPurged(t.Exception?.GetBaseException()), TaskContinuationOptions.ExecuteSynchronously)
                    .PipeTo(Self);
            _purgeAfterRead = false;
        }
        if (_readAgain)
        {
            _readAgain = false;
            Read(purge: false);
        }
    }

    /// <summary>Asks the task for its status through the region (which starts its entity), again until it answers.</summary>
    private void Wake(string id, DateTimeOffset now)
    {
        _unacked.TryAdd(id, now);
        _region.Tell(new GetTaskStatus(id));
        // A new task to wake gets its first re-send soon even when the older ones have backed off.
        if (Timers.IsTimerActive(RetryTimer) && _retryInterval <= FirstRetryInterval) return;
        _retryInterval = FirstRetryInterval;
        Timers.StartSingleTimer(RetryTimer, RetryWake.Instance, _retryInterval);
    }

    private void Acknowledged(string id)
    {
        _unacked.Remove(id);
        if (_unacked.Count == 0) Timers.Cancel(RetryTimer);
    }

    private void Resend()
    {
        var now = DateTimeOffset.UtcNow;
        foreach (var (id, since) in _unacked.ToList())
        {
            if (now - since > GiveUpAfter)
            {
                _log.Warning("Task {0} was not acknowledged by its shard within {1}; the next sweep tries again", id, GiveUpAfter);
                _unacked.Remove(id);
                continue;
            }
            _region.Tell(new GetTaskStatus(id));
        }
        if (_unacked.Count == 0) return;
        _retryInterval = TimeSpan.FromTicks(Math.Min(_retryInterval.Ticks * 2, MaxRetryInterval.Ticks));
        Timers.StartSingleTimer(RetryTimer, RetryWake.Instance, _retryInterval);
    }
}
