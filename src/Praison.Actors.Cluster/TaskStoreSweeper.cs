using Akka.Actor;
using Praison.Actors.Messages;
using Akka.Event;
using Praison.Actors.Persistence;
using ClusterEvent = Akka.Cluster.ClusterEvent;

namespace Praison.Actors.Cluster;

/// <summary>
/// Wakes tasks that should be alive. Remember-entities restarts a dead node's entities only once a message reaches
/// their shard, so when a member is removed (and periodically, on the leader) this reads the store and asks every
/// unfinished task for its status through the region, and every finished one whose cleanup is due (they recover,
/// delete their events and passivate). Which tasks those are is an indexed query on the task table (a replay of the
/// journal only with another journal plugin, which has no table). A message can be lost while the dead node's shards
/// are re-homed, so each is re-sent until the task itself answers. A status query never delays a task's timeout.
/// </summary>
internal sealed class TaskStoreSweeper : UntypedActor, IWithTimers
{
    private const string PeriodicTimer = "periodic";
    private const string RetryTimer = "retry";
    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(2);
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
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.MemberRemoved));
        Timers.StartPeriodicTimer(PeriodicTimer, SweepTick.Instance, _interval);
        Self.Tell(SweepTick.Instance); // a whole cluster restarted: wake what was running
    }

    protected override void PostStop() => _cluster.Unsubscribe(Self);

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case ClusterEvent.MemberRemoved removed when !removed.Member.Address.Equals(_cluster.SelfAddress):
                _log.Info("Member {0} removed: waking its unfinished tasks on the remaining nodes", removed.Member.Address);
                Read(purge: false);
                break;
            case ClusterEvent.MemberRemoved:
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
                _unacked.TryAdd(id, now);
                _region.Tell(new GetTaskStatus(id));
                woken++;
            }
            if (woken > 0)
            {
                _log.Debug("Woke {0} tasks", woken);
                if (!Timers.IsTimerActive(RetryTimer)) Timers.StartPeriodicTimer(RetryTimer, RetryWake.Instance, RetryInterval);
            }
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
        if (_unacked.Count == 0) Timers.Cancel(RetryTimer);
    }
}
