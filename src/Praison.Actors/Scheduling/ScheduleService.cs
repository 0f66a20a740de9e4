using System.Text.Json;
using System.Text.RegularExpressions;
using Akka.Actor;
using Praison.Actors.Messages;
using Praison.Actors.Persistence;

namespace Praison.Actors.Scheduling;

/// <summary>
/// Everything the C# API, the CLI and the jobs API do with schedules, in one place: create (checked before anything is
/// stored), read, pause, resume, delete, trigger, backfill, runs; and the one look at a schedule the scheduler actor
/// makes at each due time (<see cref="LookAsync"/>). Slots become ordinary recipe tasks with derived ids
/// (<see cref="SchedulePlanner.TaskIdFor"/>), so a slot submitted twice is one task.
/// </summary>
/// <remarks>
/// A process that does not run tasks (<paramref name="fires"/> false: the CLI next to a host) only writes schedules;
/// its run-now and backfill become requests in the record that the firing host carries out at its next look.
/// </remarks>
internal sealed partial class ScheduleService(BackgroundRunner runner, ScheduleStore store, TimeProvider time, bool fires) : IScheduler
{
    /// <summary>The scheduler actor to tell about changes (null in a process that does not fire).</summary>
    public IActorRef? Actor { get; set; }

    public ScheduleStore Store => store;
    public TimeProvider Time => time;
    public bool Fires => fires;

    /// <summary>
    /// Test-only (the TestHost's crash test): awaited after each slot's task is stored and before the record that moves
    /// the schedule's pointer is, with the task id and whether it was new; null (nothing) everywhere else.
    /// </summary>
    internal static Func<string, bool, Task>? AfterSlotSubmitted { get; set; }

    /// <summary>How long a pause, update or delete waits for the scheduler to act on it (<see cref="ChangedAsync"/>).</summary>
    public static readonly TimeSpan ChangeSeenTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Tells the scheduler that schedule <paramref name="name"/> changed in the store and waits until it acts on the
    /// change (<see cref="ScheduleChanged"/>): it holds the stored row and no look that read the old one is still
    /// running, so a pause or delete is final once this returns. A scheduler that cannot answer in time (a cluster
    /// singleton moving to another node) reads the change at its next reload; nothing is lost, the wait just ends.
    /// </summary>
    private async Task ChangedAsync(string name, CancellationToken ct)
    {
        if (Actor is not { } actor) return;
        try
        {
            await actor.Ask<ScheduleChangeSeen>(new ScheduleChanged(name), ChangeSeenTimeout, ct).ConfigureAwait(false);
        }
        catch (AskTimeoutException)
        {
            actor.Tell(ReloadSchedules.Instance);
        }
    }

    /// <summary>The most slots one backfill runs.</summary>
    public const int MaxBackfill = 1000;

    public async Task<ScheduleHandle> ScheduleAsync(string name, string recipe, string expression, ScheduleOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var record = Check(name, recipe, expression, options ?? new ScheduleOptions());
        if (!await store.InsertAsync(record, cancellationToken).ConfigureAwait(false))
            throw new ScheduleException($"A schedule named '{name}' already exists (remove it first, or pick another name).");
        Actor?.Tell(new ScheduleChanged(name));
        return GetHandle(name);
    }

    /// <summary>The record a new schedule would be stored as; throws <see cref="ScheduleException"/> naming the first problem.</summary>
    public ScheduleRecord Check(string name, string recipe, string expression, ScheduleOptions options, bool checkPast = true)
    {
        if (NameProblem(name) is { } problem) throw new ScheduleException(problem);
        if (string.IsNullOrWhiteSpace(recipe)) throw new ScheduleException("A schedule needs a recipe.");
        if (!runner.Recipes.TryGet(recipe, out var found))
            throw new ScheduleException($"Unknown recipe '{recipe}'; known: {string.Join(", ", runner.Recipes.List().Select(t => t.Name))}.");
        if (!found.Template.Background.Enabled)
            throw new ScheduleException($"Recipe '{recipe}' cannot run in the background (runtime.background.enabled: false).");
        if (options.Timeout is { } t && t <= TimeSpan.Zero) throw new ScheduleException($"The timeout must be positive, got {t}.");
        if (options.CatchUpWindow <= TimeSpan.Zero) throw new ScheduleException($"The catch-up window must be positive, got {options.CatchUpWindow}.");
        if (options.Jitter < TimeSpan.Zero) throw new ScheduleException($"The jitter must not be negative, got {options.Jitter}.");
        if (TaskLimits.SessionIdProblem(options.SessionId, "SessionId") is { } sessionProblem) throw new ScheduleException(sessionProblem);
        if (options.Retry is { MaxAttempts: < 1 or > RetryPolicy.MaxAttemptsLimit } retry)
            throw new ScheduleException($"The retry policy allows 1 to {RetryPolicy.MaxAttemptsLimit} attempts, got {retry.MaxAttempts}.");
        var zone = ScheduleExpression.ResolveZone(options.TimeZone);
        // Intervals count from the creation time in whole seconds, so */1s slots fall on the second.
        var now = time.GetUtcNow();
        now = new DateTimeOffset(now.UtcTicks - now.UtcTicks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
        var parsed = ScheduleExpression.Parse(expression, zone, now);
        var next = parsed.NextAfter(now);
        if (checkPast && parsed.IsOneShot && next is null)
            throw new ScheduleException($"The one-shot time {parsed.OnceAt:u} of '{expression}' is in the past (now {now:u}).");
        string? input, config;
        try
        {
            input = PraisonJson.Serialize(options.Input);
            config = options.Config is null ? null : PraisonJson.Serialize(options.Config);
        }
        catch (Exception ex) when (ex is NotSupportedException or JsonException or ArgumentException)
        {
            throw new ScheduleException($"The input or config is not JSON-serializable: {ex.Message}");
        }
        return new ScheduleRecord
        {
            Name = name, Recipe = recipe, Expression = parsed.Text, TimeZone = options.TimeZone is { Length: > 0 } z ? z.Trim() : "UTC",
            InputJson = input, ConfigJson = config, SessionId = options.SessionId,
            TimeoutMs = options.Timeout is { } timeout ? (long)timeout.TotalMilliseconds : null,
            CatchUp = options.CatchUp, CatchUpWindowMs = (long)options.CatchUpWindow.TotalMilliseconds, Overlap = options.Overlap,
            JitterMs = (long)options.Jitter.TotalMilliseconds, Paused = options.Paused, CreatedAt = now, NextFireAt = next, Retry = options.Retry,
        };
    }

    /// <summary>What is wrong with a schedule name, or null: 1 to 64 of [A-Za-z0-9_.-].</summary>
    public static string? NameProblem(string? name) =>
        string.IsNullOrEmpty(name) ? "A schedule needs a name."
        : !ValidName().IsMatch(name) ? $"A schedule name is 1 to 64 of letters, digits, '_', '-' and '.'; got '{name}'."
        : null;

    public async Task<IReadOnlyList<ScheduleInfo>> ListAsync(CancellationToken cancellationToken = default) =>
        (await store.ListAsync(cancellationToken).ConfigureAwait(false)).Select(ToInfo).ToList();

    public ScheduleHandle GetHandle(string name) => new(name, this);

    public async Task<ScheduleInfo> InfoAsync(string name, CancellationToken ct) => ToInfo(await GetAsync(name, ct).ConfigureAwait(false));

    public async Task<ScheduleRecord> GetAsync(string name, CancellationToken ct) =>
        await store.GetAsync(name, ct).ConfigureAwait(false) ?? throw new ScheduleNotFoundException(name);

    public async Task SetPausedAsync(string name, bool paused, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        await store.UpdateAsync(name, r => r.Paused == paused ? r : r with
        {
            Paused = paused,
            // Resuming starts from the next slot after now: slots passed while paused are not caught up.
            NextFireAt = paused || r.NextFireAt is null ? r.NextFireAt : Expression(r).NextAfter(now),
            BufferedSlot = paused ? r.BufferedSlot : null,
        }, ct).ConfigureAwait(false);
        await ChangedAsync(name, ct).ConfigureAwait(false); // a paused schedule fires no more once this returns
    }

    public async Task<ScheduleInfo> UpdateAsync(string name, ScheduleUpdate changes, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var now = time.GetUtcNow();
        Updated(await GetAsync(name, ct).ConfigureAwait(false), changes, now); // checked before anything is stored
        var stored = await store.UpdateAsync(name, r => Updated(r, changes, now), ct).ConfigureAwait(false);
        await ChangedAsync(name, ct).ConfigureAwait(false);
        return ToInfo(stored);
    }

    /// <summary><paramref name="r"/> with <paramref name="u"/> applied, checked as <see cref="Check"/> checks a new schedule.</summary>
    private ScheduleRecord Updated(ScheduleRecord r, ScheduleUpdate u, DateTimeOffset now)
    {
        var clear = u.Clear;
        if ((clear & ~(ScheduleFields.Timeout | ScheduleFields.TimeZone | ScheduleFields.Retry | ScheduleFields.Input | ScheduleFields.Jitter)) != 0)
            throw new ScheduleException($"Unknown setting to clear: {clear}.");
        var both = new List<string>();
        if (clear.HasFlag(ScheduleFields.Timeout) && u.Timeout is not null) both.Add("timeout");
        if (clear.HasFlag(ScheduleFields.TimeZone) && u.TimeZone is not null) both.Add("time zone");
        if (clear.HasFlag(ScheduleFields.Retry) && u.Retry is not null) both.Add("retry");
        if (clear.HasFlag(ScheduleFields.Input) && u.Input is not null) both.Add("input");
        if (clear.HasFlag(ScheduleFields.Jitter) && u.Jitter is not null) both.Add("jitter");
        if (both.Count > 0) throw new ScheduleException($"Both set and cleared: {string.Join(", ", both)}; do one or the other.");
        var timing = u.Expression is not null || u.TimeZone is not null || (clear.HasFlag(ScheduleFields.TimeZone) && r.TimeZone != "UTC");
        var fresh = Check(r.Name, r.Recipe, u.Expression ?? r.Expression, new ScheduleOptions
        {
            Input = clear.HasFlag(ScheduleFields.Input) ? null : u.Input ?? (r.InputJson is null ? null : JsonSerializer.Deserialize<JsonElement>(r.InputJson)),
            SessionId = r.SessionId,
            Config = u.Config,
            Timeout = clear.HasFlag(ScheduleFields.Timeout) ? null : u.Timeout ?? (r.TimeoutMs is { } ms ? TimeSpan.FromMilliseconds(ms) : null),
            TimeZone = clear.HasFlag(ScheduleFields.TimeZone) ? null : u.TimeZone ?? r.TimeZone,
            CatchUp = u.CatchUp ?? r.CatchUp,
            CatchUpWindow = u.CatchUpWindow ?? r.CatchUpWindow,
            Overlap = u.Overlap ?? r.Overlap,
            Jitter = clear.HasFlag(ScheduleFields.Jitter) ? TimeSpan.Zero : u.Jitter ?? r.Jitter,
            Paused = u.Enabled is { } enabled ? !enabled : r.Paused,
            Retry = clear.HasFlag(ScheduleFields.Retry) ? null : u.Retry ?? r.Retry,
        }, checkPast: timing);
        var resumed = r.Paused && !fresh.Paused;
        return r with
        {
            Expression = fresh.Expression, TimeZone = fresh.TimeZone, InputJson = fresh.InputJson, TimeoutMs = fresh.TimeoutMs,
            ConfigJson = u.Config is null ? r.ConfigJson : fresh.ConfigJson,
            CatchUp = fresh.CatchUp, CatchUpWindowMs = fresh.CatchUpWindowMs, Overlap = fresh.Overlap, JitterMs = fresh.JitterMs,
            Paused = fresh.Paused, Retry = fresh.Retry,
            AnchoredAt = timing ? fresh.CreatedAt : r.AnchoredAt,
            // A new expression starts from its next slot after now; resuming too (slots passed while paused are not caught up).
            NextFireAt = timing ? fresh.NextFireAt : resumed && r.NextFireAt is not null ? Expression(r).NextAfter(now) : r.NextFireAt,
            BufferedSlot = timing || resumed ? null : r.BufferedSlot,
        };
    }

    public async Task<bool> DeleteAsync(string name, CancellationToken ct)
    {
        var deleted = await store.DeleteAsync(name, ct).ConfigureAwait(false);
        await ChangedAsync(name, ct).ConfigureAwait(false);
        return deleted;
    }

    public async Task<string> TriggerAsync(string name, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var record = await GetAsync(name, ct).ConfigureAwait(false);
        var id = SchedulePlanner.TaskIdFor(name, now, manual: true);
        if (!fires)
        {
            await store.UpdateAsync(name, r => r with { Requests = [.. r.Requests, new ScheduleRequest("run-now", now)] }, ct).ConfigureAwait(false);
            return id;
        }
        await SubmitAsync(record, id, ct).ConfigureAwait(false);
        PraisonTelemetry.SlotFired(name, "manual", now, time.GetUtcNow());
        await store.UpdateAsync(name, r => r.WithRuns([new ScheduleRunEntry(id, now, now, "manual")]) with { FiredCount = r.FiredCount + 1 }, ct)
            .ConfigureAwait(false);
        return id;
    }

    public async Task<IReadOnlyList<string>> BackfillAsync(string name, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (to <= from) throw new ScheduleException($"A backfill range needs FROM before TO, got {from:u} .. {to:u}.");
        if (to > now) throw new ScheduleException($"A backfill ends at the latest now ({now:u}); got {to:u}.");
        var record = await GetAsync(name, ct).ConfigureAwait(false);
        var slots = Expression(record).SlotsBetween(from, to, MaxBackfill + 1);
        if (slots.Count > MaxBackfill)
            throw new ScheduleException($"The range holds more than {MaxBackfill} slots of '{record.Expression}'; backfill a shorter range.");
        var ids = slots.Select(s => SchedulePlanner.TaskIdFor(name, s)).ToList();
        if (!fires)
        {
            await store.UpdateAsync(name, r => r with { Requests = [.. r.Requests, new ScheduleRequest("backfill", now, from, to)] }, ct)
                .ConfigureAwait(false);
            return ids;
        }
        var (runs, created) = await FireSlotsAsync(record, slots.Select(s => (s, "backfill")).ToList(), now, ct).ConfigureAwait(false);
        // Slots that already ran are not run again, so only new tasks count as fired.
        if (runs.Count > 0) await store.UpdateAsync(name, r => r.WithRuns(runs) with { FiredCount = r.FiredCount + created }, ct).ConfigureAwait(false);
        return ids;
    }

    /// <summary>
    /// The latest runs of schedule <paramref name="name"/>, newest first: the tasks the task table holds under its name
    /// (<see cref="TaskQuery.ScheduleName"/>), beside the runs the record remembers whose task is gone (cleaned up) or was
    /// stored before tasks carried their schedule's name.
    /// </summary>
    public async Task<IReadOnlyList<ScheduleRun>> RunsAsync(string name, int limit, CancellationToken ct)
    {
        if (limit <= 0) throw new ScheduleException($"The limit must be positive, got {limit}.");
        var record = await GetAsync(name, ct).ConfigureAwait(false);
        var query = new TaskQuery { ScheduleName = name };
        var total = (await runner.ListPageAsync(query, 0, 0, ct).ConfigureAwait(false)).Total;
        var skip = (int)Math.Max(0, total - limit);
        var tasks = (await runner.ListPageAsync(query, skip, limit, ct).ConfigureAwait(false)).Tasks;
        var remembered = record.Runs.ToDictionary(r => r.TaskId, StringComparer.Ordinal);
        var runs = new List<ScheduleRun>();
        foreach (var t in tasks)
        {
            var entry = remembered.GetValueOrDefault(t.TaskId);
            runs.Add(new ScheduleRun(t.TaskId, entry?.SlotAt ?? SlotOf(t.TaskId) ?? t.SubmittedAt, entry?.FiredAt ?? t.SubmittedAt,
                entry?.Reason ?? (t.TaskId.Contains("-m", StringComparison.Ordinal) ? "manual" : "slot"), t.Status));
        }
        var listed = runs.Select(r => r.TaskId).ToHashSet(StringComparer.Ordinal);
        foreach (var run in record.Runs.Where(r => !listed.Contains(r.TaskId)))
            runs.Add(new ScheduleRun(run.TaskId, run.SlotAt, run.FiredAt, run.Reason, await StatusAsync(run.TaskId, ct).ConfigureAwait(false)));
        return runs.OrderByDescending(r => r.FiredAt).ThenByDescending(r => r.SlotAt).Take(limit).ToList();
    }

    /// <summary>
    /// Schedule <paramref name="name"/>'s figures: the counters its record keeps (fired, skipped), its runs by status
    /// now and the newest succeeded and failed one (from the task table under its name, as <see cref="RunsAsync"/>
    /// reads them), the last fire and the next slot.
    /// </summary>
    public async Task<ScheduleStats> StatsAsync(string name, CancellationToken ct)
    {
        var record = await GetAsync(name, ct).ConfigureAwait(false);
        var byStatus = new Dictionary<BackgroundTaskStatus, long>();
        foreach (var status in Enum.GetValues<BackgroundTaskStatus>())
            byStatus[status] = (await runner.ListPageAsync(new TaskQuery(status) { ScheduleName = name }, 0, 0, ct).ConfigureAwait(false)).Total;
        async Task<DateTimeOffset?> NewestFinishedAsync(BackgroundTaskStatus status)
        {
            var total = byStatus[status];
            if (total == 0) return null;
            // Oldest first by submission: the newest is the last row.
            var page = await runner.ListPageAsync(new TaskQuery(status) { ScheduleName = name }, (int)Math.Min(total - 1, int.MaxValue), 1, ct)
                .ConfigureAwait(false);
            return page.Tasks.Count > 0 ? page.Tasks[0].FinishedAt ?? page.Tasks[0].SubmittedAt : null;
        }
        return new ScheduleStats(record.FiredCount, record.SkippedCount, byStatus[BackgroundTaskStatus.Pending],
            byStatus[BackgroundTaskStatus.Running], byStatus[BackgroundTaskStatus.Completed], byStatus[BackgroundTaskStatus.Failed],
            byStatus[BackgroundTaskStatus.Cancelled], record.Runs.Count > 0 ? record.Runs.Max(x => x.FiredAt) : null,
            await NewestFinishedAsync(BackgroundTaskStatus.Completed).ConfigureAwait(false),
            await NewestFinishedAsync(BackgroundTaskStatus.Failed).ConfigureAwait(false), record.Paused ? null : record.NextFireAt);
    }

    /// <summary>
    /// The latest stored changes of schedule <paramref name="name"/>, newest first (<see cref="ScheduleEvents"/>). A deleted
    /// schedule's history is still there (its last entry says so); a name that never had a schedule is not found.
    /// </summary>
    public async Task<IReadOnlyList<ScheduleHistoryEntry>> HistoryAsync(string name, int limit, CancellationToken ct)
    {
        if (limit <= 0) throw new ScheduleException($"The limit must be positive, got {limit}.");
        var events = await store.HistoryAsync(name, limit, ct).ConfigureAwait(false);
        if (events.Count == 0) throw new ScheduleNotFoundException(name);
        return events.Select(e => new ScheduleHistoryEntry(e.SequenceNr, e.At, e.Event.Kind, ScheduleEvents.Summarize(e.Event, e.At))
        {
            Version = e.Event.Version,
        }).ToList();
    }

    /// <summary>The slot a derived task id (<see cref="SchedulePlanner.TaskIdFor"/>) names, or null for another id.</summary>
    private static DateTimeOffset? SlotOf(string taskId)
    {
        var dash = taskId.LastIndexOf('-');
        var ms = dash < 0 ? "" : taskId[(dash + 1)..].TrimStart('m');
        return long.TryParse(ms, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var unix)
            ? DateTimeOffset.FromUnixTimeMilliseconds(unix)
            : null;
    }

    /// <summary>
    /// The scheduler's look at one schedule at <paramref name="now"/> (<see cref="LookManyAsync"/> for one): the record as
    /// stored now and how many slots were submitted; a failure is thrown.
    /// </summary>
    public async Task<(ScheduleRecord? Record, int Fired)> LookAsync(ScheduleRecord r, DateTimeOffset now, CancellationToken ct)
    {
        var p = await PrepareAsync(r, now, ct).ConfigureAwait(false);
        if (p.Error is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(p.Error);
        if (p.Next is null) return (r, 0);
        var stored = await store.ReplaceAsync(p.Next, ct).ConfigureAwait(false);
        return (stored ?? await store.GetAsync(r.Name, ct).ConfigureAwait(false), p.Result.Fired);
    }

    /// <summary>
    /// The scheduler's look at every schedule due at <paramref name="now"/>, as one batch: for each, carry out stored
    /// requests, decide with <see cref="SchedulePlanner"/>, cancel the previous run if the plan says so and submit each
    /// slot (derived ids), all schedules at once so the runner stores the batch's submissions together; then store every
    /// schedule's new pointers and runs in one write, each under the version it was read at. Returns per schedule the
    /// record as stored now and how many slots it submitted, or the error that stopped it (the others go on). If a record
    /// changed meanwhile (paused, edited), the change wins and the look's pointers are dropped: a later look submits the
    /// same slots again, which finds the tasks already stored.
    /// </summary>
    public async Task<IReadOnlyList<ScheduleLooked>> LookManyAsync(IReadOnlyList<ScheduleRecord> records, DateTimeOffset now, CancellationToken ct)
    {
        var prepared = await Task.WhenAll(records.Select(r => PrepareAsync(r, now, ct))).ConfigureAwait(false);
        var changed = prepared.Where(p => p.Error is null && p.Next is not null).ToList();
        bool[] replaced;
        try
        {
            replaced = await store.ReplaceManyAsync(changed.Select(p => p.Next!).ToList(), ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TaskStoreException or OperationCanceledException)
        {
            // The tasks are stored; the pointers are not: the next look submits the same slots, which finds them.
            return prepared.Select(p => p.Error is not null || p.Next is null ? p.Result : new ScheduleLooked(p.Result.Name, null, 0, ex.Message)).ToList();
        }
        var stored = new Dictionary<string, bool>(StringComparer.Ordinal);
        for (var i = 0; i < changed.Count; i++) stored[changed[i].Result.Name] = replaced[i];
        var looks = new List<ScheduleLooked>(prepared.Length);
        foreach (var p in prepared)
        {
            if (p.Error is not null || p.Next is null)
            {
                looks.Add(p.Result);
                continue;
            }
            var name = p.Result.Name;
            if (stored[name])
            {
                looks.Add(p.Result with { Record = p.Next with { Version = p.Next.Version + 1 } });
                continue;
            }
            try
            {
                looks.Add(p.Result with { Record = await store.GetAsync(name, ct).ConfigureAwait(false) }); // changed meanwhile: the change wins
            }
            catch (TaskStoreException ex)
            {
                looks.Add(new ScheduleLooked(name, null, 0, ex.Message));
            }
        }
        return looks;
    }

    private sealed record Prepared(ScheduleLooked Result, ScheduleRecord? Next, Exception? Error);

    /// <summary>One schedule's part of a batch look: its plan carried out up to the record to store (null: nothing changed).</summary>
    private async Task<Prepared> PrepareAsync(ScheduleRecord r, DateTimeOffset now, CancellationToken ct)
    {
        try
        {
            var expression = Expression(r);
            var previousActive = r.Overlap != ScheduleOverlap.Allow && r.LastTaskId is { } last
                                 && await StatusAsync(last, ct).ConfigureAwait(false) is BackgroundTaskStatus.Pending or BackgroundTaskStatus.Running;
            var plan = SchedulePlanner.Plan(r, expression, now, previousActive);
            var slots = plan.Fire.ToList();
            foreach (var request in r.Requests)
            {
                if (request.Kind == "backfill" && request.From is { } from && request.To is { } to)
                    slots.AddRange(expression.SlotsBetween(from, to, MaxBackfill).Select(s => (s, "backfill")));
            }
            if (!plan.Changes(r) && r.Requests.Count == 0) return new Prepared(new ScheduleLooked(r.Name, r, 0, null), null, null);

            if (plan.CancelPrevious && r.LastTaskId is { } previous)
            {
                try
                {
                    await runner.CancelAsync(previous, ct).ConfigureAwait(false);
                }
                catch (TaskNotFoundException)
                {
                    // Cleaned up meanwhile: nothing to cancel.
                }
            }
            var (runs, _) = await FireSlotsAsync(r, slots, now, ct).ConfigureAwait(false);
            foreach (var request in r.Requests.Where(q => q.Kind == "run-now"))
            {
                var id = SchedulePlanner.TaskIdFor(r.Name, request.RequestedAt, manual: true);
                await SubmitAsync(r, id, ct).ConfigureAwait(false);
                PraisonTelemetry.SlotFired(r.Name, "manual", request.RequestedAt, time.GetUtcNow());
                runs.Add(new ScheduleRunEntry(id, request.RequestedAt, now, "manual"));
            }
            // The counters move in the same write as the pointers: a look whose write loses (the record changed) counts nothing,
            // and the later look that submits the same slots again counts them once.
            var next = r.WithRuns(runs) with
            {
                NextFireAt = plan.NextFireAt, BufferedSlot = plan.BufferedSlot, Requests = [],
                FiredCount = r.FiredCount + runs.Count, SkippedCount = r.SkippedCount + plan.Skipped,
            };
            return new Prepared(new ScheduleLooked(r.Name, null, runs.Count, null), next, null);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            return new Prepared(new ScheduleLooked(r.Name, null, 0, ex.GetBaseException().Message), null, ex);
        }
    }

    /// <summary>Submits each slot's task; returns the runs and how many of their tasks were new (not already stored).</summary>
    private async Task<(List<ScheduleRunEntry> Runs, int Created)> FireSlotsAsync(ScheduleRecord r,
        IReadOnlyList<(DateTimeOffset Slot, string Reason)> slots, DateTimeOffset now, CancellationToken ct)
    {
        var runs = new List<ScheduleRunEntry>();
        var fresh = 0;
        foreach (var (slot, reason) in slots)
        {
            var id = SchedulePlanner.TaskIdFor(r.Name, slot);
            var created = await SubmitAsync(r, id, ct).ConfigureAwait(false);
            if (created) fresh++;
            if (AfterSlotSubmitted is { } hook) await hook(id, created).ConfigureAwait(false);
            PraisonTelemetry.SlotFired(r.Name, reason, slot, time.GetUtcNow());
            runs.Add(new ScheduleRunEntry(id, slot, now, reason));
        }
        return (runs, fresh);
    }

    /// <summary>Submits one run with its derived id; an id already stored returns the existing task (Created false), never a second one.</summary>
    private async Task<bool> SubmitAsync(ScheduleRecord r, string taskId, CancellationToken ct)
    {
        try
        {
            var handle = await runner.RunBackgroundAsync(r.Recipe, new RecipeRunOptions
            {
                TaskId = taskId,
                ScheduleName = r.Name,
                Input = r.InputJson is null ? null : JsonSerializer.Deserialize<JsonElement>(r.InputJson),
                Config = r.ConfigJson is null ? null : JsonSerializer.Deserialize<Dictionary<string, object?>>(r.ConfigJson),
                SessionId = r.SessionId,
                Timeout = r.TimeoutMs is { } ms ? TimeSpan.FromMilliseconds(ms) : null,
                Retry = r.Retry,
            }, ct).ConfigureAwait(false);
            return handle.Created;
        }
        catch (TaskRejectedException)
        {
            // The store refused a second Submitted for an id it holds (a finished task no longer in memory, where
            // the store does not answer with the existing task): the slot already has its task.
            if (await StatusAsync(taskId, ct).ConfigureAwait(false) is not null) return false;
            throw;
        }
    }

    private async Task<BackgroundTaskStatus?> StatusAsync(string taskId, CancellationToken ct)
    {
        try
        {
            return (await runner.GetStatusAsync(taskId, ct).ConfigureAwait(false)).Status;
        }
        catch (TaskNotFoundException)
        {
            return null;
        }
    }

    public static ScheduleExpression Expression(ScheduleRecord r) =>
        ScheduleExpression.Parse(r.Expression, ScheduleExpression.ResolveZone(r.TimeZone), r.AnchoredAt ?? r.CreatedAt);

    public static ScheduleInfo ToInfo(ScheduleRecord r) => new(r.Name, r.Recipe, r.Expression, r.TimeZone, r.CatchUp, r.CatchUpWindow,
        r.Overlap, r.Jitter, r.Paused, r.NextFireAt, r.CreatedAt, r.SessionId, r.InputJson,
        r.Runs.Count > 0 ? r.Runs[0].SlotAt : null, r.LastTaskId)
    {
        Timeout = r.TimeoutMs is { } ms ? TimeSpan.FromMilliseconds(ms) : null,
        MaxAttempts = r.Retry?.MaxAttempts,
        ConfigJson = r.ConfigJson,
    };

    [GeneratedRegex("^[A-Za-z0-9_.-]{1,64}$")]
    private static partial Regex ValidName();
}
