using Akka.Actor;
using Akka.Event;
using Praison.Actors.Messages;

namespace Praison.Actors.Scheduling;

/// <summary>
/// One per host: fires due schedule slots. Holds the schedules read from the store, wakes at the earliest due time (and
/// at least every <see cref="ReloadInterval"/>, re-reading the store so changes by other processes are seen), and
/// hands each due schedule's look (<see cref="ScheduleService.LookAsync"/>) to the thread pool, one look per schedule
/// at a time, piping the stored result back. Time comes from the service's <see cref="TimeProvider"/>, so tests drive it
/// with a fake clock and a <see cref="SchedulerTick"/>; the Akka timer only decides when to look.
/// </summary>
internal sealed class SchedulerActor : ReceiveActor, IWithTimers
{
    public const string Name = "praison-scheduler";
    public static readonly TimeSpan ReloadInterval = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan BufferedRecheck = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(5);
    /// <summary>At most this many looks at once, so a thousand due schedules do not open a thousand connections.</summary>
    public const int MaxLooks = 64;

    private readonly ScheduleService _service;
    private readonly Dictionary<string, ScheduleRecord> _schedules = new(StringComparer.Ordinal);
    private readonly HashSet<string> _looking = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _retryAt = new(StringComparer.Ordinal); // after a failed look
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
        Receive<ScheduleLooked>(OnLooked);
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
            // A look in flight stores a newer version; keep whichever is newer.
            if (!_schedules.TryGetValue(r.Name, out var held) || held.Version <= r.Version) _schedules[r.Name] = r;
        }
        foreach (var gone in _schedules.Keys.Where(k => !seen.Contains(k)).ToList()) _schedules.Remove(gone);
        LookAtDue();
        Arm();
    }

    private void OnLooked(ScheduleLooked looked)
    {
        _looking.Remove(looked.Name);
        _retryAt.Remove(looked.Name);
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
            if (looked.Fired > 0)
                _log.Info("Schedule {Schedule} fired {Fired} run(s) of recipe {Recipe}; latest task {TaskId} [session {SessionId}]",
                    looked.Name, looked.Fired, looked.Record.Recipe, looked.Record.LastTaskId, looked.Record.SessionId);
            if (!_schedules.TryGetValue(looked.Name, out var held) || held.Version <= looked.Record.Version)
                _schedules[looked.Name] = looked.Record;
        }
        LookAtDue();
        Arm();
    }

    private void LookAtDue()
    {
        var now = _service.Time.GetUtcNow();
        foreach (var r in _schedules.Values)
        {
            if (_looking.Count >= MaxLooks) break; // the rest when looks finish (OnLooked looks again)
            if (_looking.Contains(r.Name) || DueAt(r, now) is not { } due || due > now) continue;
            _looking.Add(r.Name);
            var name = r.Name;
            _service.LookAsync(r, now, CancellationToken.None).PipeTo(Self,
                success: result => new ScheduleLooked(name, result.Record, result.Fired, null),
                failure: ex => new ScheduleLooked(name, null, 0, ex.GetBaseException().Message));
        }
    }

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
