using System.Text.Json.Serialization;

namespace Praison.Actors;

/// <summary>What a schedule does with slots that fell due while no host was firing it (downtime, a paused host).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ScheduleCatchUp>))]
public enum ScheduleCatchUp
{
    /// <summary>Missed slots are dropped; only a slot due within the last minute still fires.</summary>
    [JsonStringEnumMemberName("skip")] Skip,
    /// <summary>One run for all missed slots (the latest); PraisonAI's behaviour and the default.</summary>
    [JsonStringEnumMemberName("once")] Once,
    /// <summary>Every missed slot runs, oldest first, as long as it lies within <see cref="ScheduleOptions.CatchUpWindow"/>.</summary>
    [JsonStringEnumMemberName("all")] All,
}

/// <summary>What a schedule does when a slot falls due while its previous run is still pending or running.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ScheduleOverlap>))]
public enum ScheduleOverlap
{
    /// <summary>The new slot is dropped (the default).</summary>
    [JsonStringEnumMemberName("skip")] Skip,
    /// <summary>The newest such slot waits and runs when the previous run finishes; older waiting ones are dropped.</summary>
    [JsonStringEnumMemberName("buffer-one")] BufferOne,
    /// <summary>Runs start regardless; several may run at once.</summary>
    [JsonStringEnumMemberName("allow")] Allow,
    /// <summary>The previous run is cancelled, then the new one starts.</summary>
    [JsonStringEnumMemberName("cancel-previous")] CancelPrevious,
}

/// <summary>The settings of a schedule beside its recipe and expression (<see cref="IScheduler.ScheduleAsync"/>).</summary>
public sealed class ScheduleOptions
{
    /// <summary>The input every run gets (any JSON-serializable value).</summary>
    public object? Input { get; init; }

    /// <summary>The config every run gets.</summary>
    public IReadOnlyDictionary<string, object?>? Config { get; init; }

    /// <summary>The session id of every run.</summary>
    public string? SessionId { get; init; }

    /// <summary>Each run's timeout; null takes the recipe's.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>The IANA time zone cron expressions and local <c>at:</c> times are read in; null is UTC.</summary>
    public string? TimeZone { get; init; }

    /// <summary>What happens to slots missed while nothing fired them; default <see cref="ScheduleCatchUp.Once"/>.</summary>
    public ScheduleCatchUp CatchUp { get; init; } = ScheduleCatchUp.Once;

    /// <summary>Slots older than this are never run late, whatever <see cref="CatchUp"/> says; default one day.</summary>
    public TimeSpan CatchUpWindow { get; init; } = TimeSpan.FromDays(1);

    /// <summary>What happens when a slot falls due while the previous run is unfinished; default <see cref="ScheduleOverlap.Skip"/>.</summary>
    public ScheduleOverlap Overlap { get; init; } = ScheduleOverlap.Skip;

    /// <summary>Each slot fires up to this much later (a fixed spread per slot, so many schedules do not fire at once); default none.</summary>
    public TimeSpan Jitter { get; init; }

    /// <summary>Create the schedule paused.</summary>
    public bool Paused { get; init; }

    /// <summary>Each run's retry policy; null takes the recipe's <c>runtime.retry</c>.</summary>
    public RetryPolicy? Retry { get; init; }
}

/// <summary>
/// A change to a stored schedule (<see cref="ScheduleHandle.UpdateAsync"/>): every field left null stays as it is; a
/// field named in <see cref="Clear"/> goes back to its default. The result is checked exactly like a new schedule; a
/// changed expression or time zone recomputes the next fire time from now.
/// </summary>
public sealed class ScheduleUpdate
{
    /// <summary>
    /// Settings to set back to their defaults: the timeout and retry policy to the recipe's, the time zone to UTC, the
    /// input to none, the jitter to none. A setting both given a new value and cleared is a <see cref="ScheduleException"/>.
    /// </summary>
    public ScheduleFields Clear { get; init; }

    /// <summary>A new expression (same grammar as <see cref="IScheduler.ScheduleAsync"/>).</summary>
    public string? Expression { get; init; }

    /// <summary>A new IANA time zone.</summary>
    public string? TimeZone { get; init; }

    /// <summary>A new input for every run (any JSON-serializable value).</summary>
    public object? Input { get; init; }

    /// <summary>A new config for every run (replaces the stored one as a whole).</summary>
    public IReadOnlyDictionary<string, object?>? Config { get; init; }

    /// <summary>A new timeout for each run.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>A new retry policy for each run.</summary>
    public RetryPolicy? Retry { get; init; }

    /// <summary>A new catch-up policy.</summary>
    public ScheduleCatchUp? CatchUp { get; init; }

    /// <summary>A new catch-up window.</summary>
    public TimeSpan? CatchUpWindow { get; init; }

    /// <summary>A new overlap policy.</summary>
    public ScheduleOverlap? Overlap { get; init; }

    /// <summary>A new jitter.</summary>
    public TimeSpan? Jitter { get; init; }

    /// <summary>False pauses the schedule, true resumes it (from the next slot after now).</summary>
    public bool? Enabled { get; init; }
}

/// <summary>The settings of a schedule that <see cref="ScheduleUpdate.Clear"/> can set back to their defaults.</summary>
[Flags]
public enum ScheduleFields
{
    /// <summary>Nothing.</summary>
    None = 0,
    /// <summary>Each run's timeout (back to the recipe's).</summary>
    Timeout = 1,
    /// <summary>The time zone (back to UTC).</summary>
    TimeZone = 2,
    /// <summary>Each run's retry policy (back to the recipe's).</summary>
    Retry = 4,
    /// <summary>The input of every run (back to none).</summary>
    Input = 8,
    /// <summary>The jitter (back to none).</summary>
    Jitter = 16,
}

/// <summary>A stored schedule as it stands.</summary>
/// <param name="Name">The schedule's unique name.</param>
/// <param name="Recipe">The recipe each slot runs.</param>
/// <param name="Expression">The expression as given.</param>
/// <param name="TimeZone">The time zone id ("UTC" when none was given).</param>
/// <param name="CatchUp">The catch-up policy.</param>
/// <param name="CatchUpWindow">How old a missed slot may be and still run.</param>
/// <param name="Overlap">The overlap policy.</param>
/// <param name="Jitter">The most a slot fires late on purpose.</param>
/// <param name="Paused">True while paused: nothing fires.</param>
/// <param name="NextFireAt">The next slot (UTC); null when a one-shot has fired (or its time passed).</param>
/// <param name="CreatedAt">When the schedule was created; intervals count from it.</param>
/// <param name="SessionId">The session of every run.</param>
/// <param name="InputJson">The input of every run, as JSON.</param>
/// <param name="LastFireAt">The slot of the last run it started, if any.</param>
/// <param name="LastTaskId">The task of the last run it started, if any.</param>
public sealed record ScheduleInfo(string Name, string Recipe, string Expression, string TimeZone, ScheduleCatchUp CatchUp,
    TimeSpan CatchUpWindow, ScheduleOverlap Overlap, TimeSpan Jitter, bool Paused, DateTimeOffset? NextFireAt,
    DateTimeOffset CreatedAt, string? SessionId, string? InputJson, DateTimeOffset? LastFireAt, string? LastTaskId)
{
    /// <summary>Each run's timeout; null takes the recipe's.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>The most attempts each run gets (null: the recipe's retry policy).</summary>
    public int? MaxAttempts { get; init; }

    /// <summary>The config of every run, as JSON (e.g. <c>{"max_cost_usd":0.5}</c> from a recipe's <c>runtime.schedule</c>); null for none.</summary>
    public string? ConfigJson { get; init; }
}

/// <summary>
/// A schedule's figures (<see cref="ScheduleHandle.StatsAsync"/>): what it fired and skipped since it was created, its
/// runs by status now, and when it last fired, succeeded and failed.
/// </summary>
/// <param name="Fired">Runs submitted: slots (including catch-up and buffered ones), run-now and new backfilled slots.</param>
/// <param name="Skipped">
/// Slots dropped: by the overlap policy (<c>skip</c>, or a buffered slot replaced by a newer one), by catch-up
/// <c>skip</c> or <c>once</c> (missed slots collapsed into at most one run), or older than the catch-up window. Slots
/// passed while paused are not counted.
/// </param>
/// <param name="Pending">Its runs waiting for a slot now.</param>
/// <param name="Running">Its runs running now.</param>
/// <param name="Succeeded">Its runs that completed (and have not been cleaned up).</param>
/// <param name="Failed">Its runs that failed or timed out (and have not been cleaned up).</param>
/// <param name="Cancelled">Its runs that were cancelled (and have not been cleaned up).</param>
/// <param name="LastFiredAt">When it last submitted a run; null if never.</param>
/// <param name="LastSucceededAt">When its newest completed run finished; null if none is kept.</param>
/// <param name="LastFailedAt">When its newest failed run finished; null if none is kept.</param>
/// <param name="NextFireAt">Its next slot; null when paused or done.</param>
public sealed record ScheduleStats(long Fired, long Skipped, long Pending, long Running, long Succeeded, long Failed, long Cancelled,
    DateTimeOffset? LastFiredAt, DateTimeOffset? LastSucceededAt, DateTimeOffset? LastFailedAt, DateTimeOffset? NextFireAt);

/// <summary>One run a schedule started.</summary>
/// <param name="TaskId">The run's task (derived from the schedule and the slot, so one slot is one task).</param>
/// <param name="SlotAt">The slot it ran for (for a manual run: when it was asked for).</param>
/// <param name="FiredAt">When the scheduler submitted it.</param>
/// <param name="Reason"><c>slot</c>, <c>catch-up</c>, <c>buffered</c>, <c>manual</c> or <c>backfill</c>.</param>
/// <param name="Status">The task's status now; null once the task has been cleaned up.</param>
public sealed record ScheduleRun(string TaskId, DateTimeOffset SlotAt, DateTimeOffset FiredAt, string Reason, BackgroundTaskStatus? Status);

/// <summary>One stored change of a schedule (<see cref="ScheduleHandle.HistoryAsync"/>).</summary>
/// <param name="Sequence">Its number among the schedule's changes, from 1 (a name deleted and created again goes on counting).</param>
/// <param name="At">When it was stored (UTC).</param>
/// <param name="Kind"><c>created</c>, <c>updated</c>, <c>paused</c>, <c>resumed</c>, <c>fired</c>, <c>requested</c> (a run-now or
/// backfill left for the firing host), <c>skipped</c> (the next slot moved on without a run), <c>deleted</c> or <c>changed</c>.</param>
/// <param name="Summary">A short description, e.g. <c>fired slot 12:00:00Z → task sch-…</c> or <c>updated expression */5m</c>.</param>
public sealed record ScheduleHistoryEntry(long Sequence, DateTimeOffset At, string Kind, string Summary)
{
    /// <summary>The schedule's version after the change (null once deleted).</summary>
    public long? Version { get; init; }
}

/// <summary>Bad schedule input (invalid expression, unknown time zone or recipe, duplicate name, a one-shot in the past): nothing was stored.</summary>
public class ScheduleException : PraisonActorsException
{
    /// <summary>A schedule problem described by <paramref name="message"/>.</summary>
    public ScheduleException(string message) : base(message)
    {
    }
}

/// <summary>No schedule has the given name.</summary>
public sealed class ScheduleNotFoundException : ScheduleException
{
    /// <summary>No schedule named <paramref name="name"/>.</summary>
    public ScheduleNotFoundException(string name) : base($"No schedule named '{name}'.") => Name = name;

    /// <summary>The name asked for.</summary>
    public string Name { get; }
}

/// <summary>
/// Named, stored schedules that run a recipe at each slot of an expression (in DI as <see cref="IScheduler"/>). Each
/// slot submits an ordinary recipe task whose id is derived from the schedule and the slot, so a slot can never
/// become two tasks. Slots fire where a host runs tasks; the store keeps the schedules across restarts.
/// </summary>
public interface IScheduler
{
    /// <summary>Stores a new schedule and returns its handle.</summary>
    /// <param name="name">A unique name: 1 to 64 of [A-Za-z0-9_.-].</param>
    /// <param name="recipe">A registered recipe.</param>
    /// <param name="expression">hourly, daily, weekly, */30s, */15m, */6h, N (seconds), cron:EXPR, at:ISO-8601 or "in 10 minutes".</param>
    /// <param name="options">Input, time zone and policies; null takes the defaults.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <exception cref="ScheduleException">Bad input; nothing is stored.</exception>
    Task<ScheduleHandle> ScheduleAsync(string name, string recipe, string expression, ScheduleOptions? options = null,
        CancellationToken cancellationToken = default);

    /// <summary>Every schedule, by name.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    Task<IReadOnlyList<ScheduleInfo>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>A handle to the schedule named <paramref name="name"/> (calls on it throw <see cref="ScheduleNotFoundException"/> if there is none).</summary>
    /// <param name="name">The schedule's name.</param>
    ScheduleHandle GetHandle(string name);
}

/// <summary>A schedule by name: read, pause, resume, trigger, backfill, delete, its runs and its history.</summary>
public sealed class ScheduleHandle
{
    private readonly Scheduling.ScheduleService _service;

    internal ScheduleHandle(string name, Scheduling.ScheduleService service)
    {
        Name = name;
        _service = service;
    }

    /// <summary>The schedule's name.</summary>
    public string Name { get; }

    /// <summary>The schedule as stored now.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    public Task<ScheduleInfo> InfoAsync(CancellationToken cancellationToken = default) => _service.InfoAsync(Name, cancellationToken);

    /// <summary>Stops firing until <see cref="ResumeAsync"/>; a run in progress goes on.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    public Task PauseAsync(CancellationToken cancellationToken = default) => _service.SetPausedAsync(Name, true, cancellationToken);

    /// <summary>Fires again from the next slot after now (slots passed while paused are not caught up).</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    public Task ResumeAsync(CancellationToken cancellationToken = default) => _service.SetPausedAsync(Name, false, cancellationToken);

    /// <summary>Runs the recipe once now, outside the schedule (also when paused), and returns the run's task id.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    public Task<string> TriggerAsync(CancellationToken cancellationToken = default) => _service.TriggerAsync(Name, cancellationToken);

    /// <summary>Runs every slot in (<paramref name="from"/>, <paramref name="to"/>]; slots that already ran are not run again. Returns the task ids.</summary>
    /// <param name="from">Start of the range (exclusive).</param>
    /// <param name="to">End of the range (inclusive); not in the future.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    public Task<IReadOnlyList<string>> BackfillAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default) =>
        _service.BackfillAsync(Name, from, to, cancellationToken);

    /// <summary>
    /// Changes the schedule: checked exactly like a new one (a <see cref="ScheduleException"/> changes nothing); a changed
    /// expression or time zone recomputes the next fire time. Applied to the latest stored version (a concurrent change is kept).
    /// </summary>
    /// <param name="changes">What to change; null fields stay.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The schedule as stored after the change.</returns>
    public Task<ScheduleInfo> UpdateAsync(ScheduleUpdate changes, CancellationToken cancellationToken = default) =>
        _service.UpdateAsync(Name, changes, cancellationToken);

    /// <summary>Deletes the schedule: true when it existed. Runs already started go on.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    public Task<bool> DeleteAsync(CancellationToken cancellationToken = default) => _service.DeleteAsync(Name, cancellationToken);

    /// <summary>The latest runs it started, newest first, with their statuses.</summary>
    /// <param name="limit">At most this many (the schedule keeps its last 50).</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    public Task<IReadOnlyList<ScheduleRun>> RunsAsync(int limit = 20, CancellationToken cancellationToken = default) =>
        _service.RunsAsync(Name, limit, cancellationToken);

    /// <summary>
    /// Its figures: runs fired and slots skipped since it was created (kept in the schedule), its runs by status now (read
    /// from the task table, as <see cref="RunsAsync"/>), and when it last fired, succeeded and failed, and fires next.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    public Task<ScheduleStats> StatsAsync(CancellationToken cancellationToken = default) => _service.StatsAsync(Name, cancellationToken);

    /// <summary>
    /// Its stored changes, newest first: created, updated, paused, resumed, each look that fired slots, requests, deleted.
    /// Schedules are event-sourced, so this is the store's own record of them; it outlives a deletion.
    /// </summary>
    /// <param name="limit">At most this many.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <exception cref="ScheduleNotFoundException">No schedule of this name was ever stored.</exception>
    public Task<IReadOnlyList<ScheduleHistoryEntry>> HistoryAsync(int limit = 50, CancellationToken cancellationToken = default) =>
        _service.HistoryAsync(Name, limit, cancellationToken);
}
