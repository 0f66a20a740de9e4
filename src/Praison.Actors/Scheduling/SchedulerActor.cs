using Akka.Actor;
using Akka.Event;
using Praison.Actors.Messages;

namespace Praison.Actors.Scheduling;

/// <summary>
/// One per host: fires due schedule slots. Holds the schedules read from the store, wakes at the earliest due time (and
/// at least every <see cref="ReloadInterval"/>, re-reading the store so changes by other processes are seen), and
/// hands every schedule due at that moment to the thread pool as one batch look (<see cref="ScheduleService.LookManyAsync"/>:
/// submissions together, one store write), one look per schedule at a time, piping the stored results back. A change
/// made through this host (<see cref="ScheduleChanged"/>) is read at once and answered when no look of the old row runs.
/// Time comes from the service's <see cref="TimeProvider"/>, so tests drive it with a fake clock and a
/// <see cref="SchedulerTick"/>; the Akka timer only decides when to look.
/// </summary>
internal sealed class SchedulerActor : ReceiveActor, IWithTimers
{
    public const string Name = "praison-scheduler";
    public static readonly TimeSpan ReloadInterval = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan BufferedRecheck = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(5);
    /// <summary>At most this many schedules in one batch look; more due at once go in further batches.</summary>
    public const int MaxBatch = 1000;
    /// <summary>At most this many schedules being looked at, over all batches in flight.</summary>
    public const int MaxLooking = 4 * MaxBatch;

    private readonly ScheduleService _service;
    private readonly Dictionary<string, ScheduleRecord> _schedules = new(StringComparer.Ordinal);
    private readonly HashSet<string> _looking = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _retryAt = new(StringComparer.Ordinal); // after a failed look
    // ScheduleChanged: rows being read again (not looked at meanwhile), writers waiting for a look of the old row to end,
    // and when each name last changed (a reload that began earlier must not bring back its old row).
    private readonly Dictionary<string, int> _rereading = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<IActorRef>> _afterLook = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _changedAt = new(StringComparer.Ordinal);
    private long _seq;
    private long _loadStartedAt;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private bool _loading;

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(ScheduleService service) => Akka.Actor.Props.Create(() => new SchedulerActor(service));


    public SchedulerActor(ScheduleService service)
    {
        _service = service;
        Receive<ReloadSchedules>(_ => Load());
        Receive<SchedulesLoaded>(OnLoaded);
        Receive<SchedulerTick>(_ =>
        {
            LookAtDue();
            Arm();
        });
        Receive<SchedulesLooked>(OnLooked);
        Receive<ScheduleChanged>(OnChanged);
        Receive<ScheduleReread>(OnReread);
    }

    protected override void PreStart()
    {
        Timers.StartPeriodicTimer("reload", ReloadSchedules.Instance, ReloadInterval);
        Load();
    }

    private void Load()
    {
        if (_loading) return;
        _loading = true;
        _loadStartedAt = ++_seq;
        _service.Store.ListAsync(CancellationToken.None).PipeTo(Self,
            success: list => new SchedulesLoaded(list, null),
            failure: ex => new SchedulesLoaded(null, ex.GetBaseException().Message));
    }

    private void OnLoaded(SchedulesLoaded loaded)
    {
        _loading = false;
        if (loaded.Schedules is null)
        {
            _log.Warning("Reading the schedules failed: {0}; next try in {1}", loaded.Error, ReloadInterval);
            return;
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in loaded.Schedules)
        {
            seen.Add(r.Name);
            if (ChangedSince(r.Name, _loadStartedAt)) continue; // read again after this list was: that read is newer
            // A look in flight stores a newer version; keep whichever is newer.
            if (!_schedules.TryGetValue(r.Name, out var held) || held.Version <= r.Version) _schedules[r.Name] = r;
        }
        foreach (var gone in _schedules.Keys.Where(k => !seen.Contains(k) && !ChangedSince(k, _loadStartedAt)).ToList()) _schedules.Remove(gone);
        foreach (var old in _changedAt.Where(c => c.Value < _loadStartedAt).Select(c => c.Key).ToList()) _changedAt.Remove(old);
        LookAtDue();
        Arm();
    }

    private bool ChangedSince(string name, long seq) => _changedAt.TryGetValue(name, out var at) && at > seq;

    private void OnChanged(ScheduleChanged changed)
    {
        var name = changed.Name;
        var replyTo = Sender;
        var seq = ++_seq;
        _changedAt[name] = seq;
        _rereading[name] = _rereading.GetValueOrDefault(name) + 1;
        _service.Store.GetAsync(name, CancellationToken.None).PipeTo(Self,
            success: record => new ScheduleReread(name, record, null, replyTo, seq),
            failure: ex => new ScheduleReread(name, null, ex.GetBaseException().Message, replyTo, seq));
    }

    private void OnReread(ScheduleReread reread)
    {
        var name = reread.Name;
        if (--_rereading[name] == 0) _rereading.Remove(name);
        if (reread.Error is not null)
        {
            // Not read: the periodic reload brings the change; the writer is not kept waiting for it.
            _log.Warning("Schedule {Schedule}: reading it after a change failed: {ScheduleError}", name, reread.Error);
            Load();
        }
        else if (reread.Record is null)
        {
            if (!ChangedSince(name, reread.Seq)) _schedules.Remove(name);
        }
        else if (!_schedules.TryGetValue(name, out var held) || held.Version <= reread.Record.Version) _schedules[name] = reread.Record;

        if (_looking.Contains(name))
        {
            // A look that read the old row is running: answer when it ends, so nothing it submits comes after the answer.
            if (!_afterLook.TryGetValue(name, out var waiting)) _afterLook[name] = waiting = [];
            waiting.Add(reread.ReplyTo);
        }
        else reread.ReplyTo.Tell(new ScheduleChangeSeen(name));
        LookAtDue();
        Arm();
    }

    private void OnLooked(SchedulesLooked batch)
    {
        var fired = 0;
        foreach (var looked in batch.Looks)
        {
            _looking.Remove(looked.Name);
            _retryAt.Remove(looked.Name);
            fired += looked.Fired;
            // Which node looks, for diagnostics (the cluster tests count looks per node); nothing when nobody subscribes.
            Context.System.EventStream.Publish(looked);
            if (looked.Error is not null)
            {
                _log.Warning("Schedule {Schedule}: firing failed: {ScheduleError}; retried in {RetryIn}", looked.Name, looked.Error, RetryDelay);
                _retryAt[looked.Name] = _service.Time.GetUtcNow() + RetryDelay;
            }
            else if (looked.Record is null) _schedules.Remove(looked.Name);
            else
            {
                if (looked.Fired > 0 && batch.Looks.Count == 1)
                    _log.Info("Schedule {Schedule} fired {Fired} run(s) of recipe {Recipe}; latest task {TaskId} [session {SessionId}]",
                        looked.Name, looked.Fired, looked.Record.Recipe, looked.Record.LastTaskId, looked.Record.SessionId);
                if (!_schedules.TryGetValue(looked.Name, out var held) || held.Version <= looked.Record.Version)
                    _schedules[looked.Name] = looked.Record;
            }
            if (_afterLook.Remove(looked.Name, out var waiting))
                foreach (var w in waiting) w.Tell(new ScheduleChangeSeen(looked.Name));
        }
        if (batch.Looks.Count > 1 && fired > 0)
            _log.Info("{Schedules} schedules looked at together fired {Fired} run(s)", batch.Looks.Count, fired);
        LookAtDue();
        Arm();
    }

    private void LookAtDue()
    {
        var now = _service.Time.GetUtcNow();
        var batch = new List<ScheduleRecord>();
        foreach (var r in _schedules.Values)
        {
            if (_looking.Count >= MaxLooking) break; // the rest when looks finish (OnLooked looks again)
            if (_looking.Contains(r.Name) || _rereading.ContainsKey(r.Name) || DueAt(r, now) is not { } due || due > now) continue;
            _looking.Add(r.Name);
            batch.Add(r);
            if (batch.Count == MaxBatch)
            {
                Look(batch, now);
                batch = [];
            }
        }
        if (batch.Count > 0) Look(batch, now);
    }

    private void Look(List<ScheduleRecord> batch, DateTimeOffset now) =>
        _service.LookManyAsync(batch, now, CancellationToken.None).PipeTo(Self,
            success: looks => new SchedulesLooked(looks),
            failure: ex => new SchedulesLooked(batch.Select(r => new ScheduleLooked(r.Name, null, 0, ex.GetBaseException().Message)).ToList()));

    /// <summary>
    /// When <paramref name="r"/> next needs a look: its next slot's fire time; now when it has requests or a buffered
    /// slot (<paramref name="wake"/> then says when to wake for it again: a buffered run waits for the previous one to end).
    /// </summary>
    private DateTimeOffset? DueAt(ScheduleRecord r, DateTimeOffset now, bool wake = false)
    {
        if (_retryAt.TryGetValue(r.Name, out var retry) && retry > now) return retry;
        if (r.Requests.Count > 0) return now;
        if (r.Paused) return null;
        DateTimeOffset? due = r.NextFireAt is { } next ? SchedulePlanner.FireTime(r, next) : null;
        if (r.BufferedSlot is not null)
        {
            var recheck = wake ? now + BufferedRecheck : now;
            if (due is null || due > recheck) due = recheck;
        }
        return due;
    }

    private void Arm()
    {
        var now = _service.Time.GetUtcNow();
        DateTimeOffset? earliest = null;
        foreach (var r in _schedules.Values)
            if (!_looking.Contains(r.Name) && DueAt(r, now, wake: true) is { } due && (earliest is null || due < earliest)) earliest = due;
        if (earliest is null)
        {
            Timers.Cancel("tick");
            return;
        }
        var delay = earliest.Value - now;
        if (delay < TimeSpan.Zero) delay = TimeSpan.Zero;
        if (delay > ReloadInterval) delay = ReloadInterval;
        Timers.StartSingleTimer("tick", SchedulerTick.Instance, delay);
    }
}
