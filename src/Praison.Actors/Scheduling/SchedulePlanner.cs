using System.Security.Cryptography;
using System.Text;
using Praison.Actors.Messages;

namespace Praison.Actors.Scheduling;

/// <summary>
/// What one look at a schedule decided: the slots to run now, whether to cancel the previous run, the record's new
/// pointers, and how many slots it dropped (<see cref="Skipped"/>: by the overlap policy, by catch-up <c>skip</c> or
/// <c>once</c>, or older than the catch-up window), which the look's record write adds to <see cref="ScheduleRecord.SkippedCount"/>.
/// </summary>
internal sealed record SchedulePlan(IReadOnlyList<(DateTimeOffset Slot, string Reason)> Fire, bool CancelPrevious,
    DateTimeOffset? NextFireAt, DateTimeOffset? BufferedSlot, long Skipped = 0)
{
    public bool Changes(ScheduleRecord r) =>
        Fire.Count > 0 || CancelPrevious || Skipped > 0 || NextFireAt != r.NextFireAt || BufferedSlot != r.BufferedSlot;
}

/// <summary>
/// The pure core of the scheduler: given a schedule, its expression, the time and whether its previous run is still
/// unfinished, which slots run now (catch-up and overlap policies, jitter) and where its pointers move. No clock, no I/O.
/// </summary>
internal static class SchedulePlanner
{
    /// <summary>A slot at most this late counts as on time: it fires under every catch-up policy.</summary>
    public static readonly TimeSpan OnTimeGrace = TimeSpan.FromMinutes(1);

    /// <summary>The most slots one look walks (a */1s schedule down for a day is 86,400).</summary>
    public const int MaxWalk = 200_000;

    /// <summary>The most missed slots catch-up <c>all</c> runs in one look (the oldest ones; the rest in later looks).</summary>
    public const int MaxCatchUpRuns = 1000;

    public static SchedulePlan Plan(ScheduleRecord r, ScheduleExpression e, DateTimeOffset now, bool previousActive)
    {
        if (r.Paused || (r.NextFireAt is null && r.BufferedSlot is null))
            return new SchedulePlan([], false, r.NextFireAt, r.BufferedSlot);

        var fire = new List<(DateTimeOffset, string)>();
        var active = previousActive;
        var buffered = r.BufferedSlot;
        if (buffered is { } b && !active)
        {
            fire.Add((b, "buffered"));
            buffered = null;
            active = true; // the buffered run is now the previous run of any slot due at the same time
        }

        // The due slots: from the pointer, within the catch-up window, each at its jittered time.
        var due = new List<DateTimeOffset>();
        DateTimeOffset? next = r.NextFireAt;
        long skipped = 0;
        if (next is { } n)
        {
            var windowStart = now - r.CatchUpWindow;
            // Slots older than the window never run: counted, not walked (a */1s schedule down for a year).
            if (n < windowStart) skipped += e.CountBetween(n, windowStart, long.MaxValue);
            var at = n < windowStart ? windowStart : n - TimeSpan.FromTicks(1);
            next = null;
            for (var walked = 0; walked < MaxWalk; walked++)
            {
                if (e.NextAfter(at) is not { } slot) break;
                if (FireTime(r, slot) > now)
                {
                    next = slot;
                    break;
                }
                due.Add(slot);
                at = slot;
            }
            if (due.Count == MaxWalk)
            {
                next = e.NextAfter(now); // too many to walk: the rest are dropped
                skipped += e.CountBetween(due[^1] + TimeSpan.FromTicks(1), now, long.MaxValue);
            }
        }
        if (due.Count == 0) return new SchedulePlan(fire, false, next, buffered, skipped);

        var last = due[^1];
        var onTime = now - FireTime(r, last) <= OnTimeGrace;
        var missed = due.Count > 1 || !onTime;
        var cancel = false;

        if (r.CatchUp == ScheduleCatchUp.All && due.Count > 1 && r.Overlap != ScheduleOverlap.Allow)
        {
            // Missed runs one at a time: each waits for the previous run to finish; none is dropped.
            if (!active) fire.Add((due[0], "catch-up"));
            return new SchedulePlan(fire, false, active ? due[0] : due[1], buffered, skipped);
        }

        IEnumerable<DateTimeOffset> chosen = r.CatchUp switch
        {
            ScheduleCatchUp.All => due.Take(MaxCatchUpRuns),
            ScheduleCatchUp.Once => [last],
            _ => onTime ? [last] : [],
        };
        if (r.CatchUp == ScheduleCatchUp.All && due.Count > MaxCatchUpRuns) next = due[MaxCatchUpRuns];
        var runs = chosen.Select(s => (s, missed && s != last || !onTime ? "catch-up" : "slot")).ToList();
        // Catch-up skip and once collapse the due slots (all, when skip finds them late) into at most one run.
        if (r.CatchUp != ScheduleCatchUp.All) skipped += due.Count - runs.Count;
        if (runs.Count > 0 && active)
        {
            switch (r.Overlap)
            {
                case ScheduleOverlap.Skip:
                    skipped += runs.Count;
                    runs.Clear();
                    break;
                case ScheduleOverlap.BufferOne:
                    skipped += Buffer(ref buffered, runs);
                    break;
                case ScheduleOverlap.CancelPrevious:
                    cancel = fire.Count == 0; // never cancel the buffered run just started
                    if (!cancel) skipped += Buffer(ref buffered, runs);
                    break;
            }
        }
        fire.AddRange(runs);
        return new SchedulePlan(fire, cancel, next, buffered, skipped);
    }

    /// <summary>The newest of <paramref name="runs"/> waits in the buffer; returns how many slots that drops (the others, and one it replaces).</summary>
    private static long Buffer(ref DateTimeOffset? buffered, List<(DateTimeOffset s, string)> runs)
    {
        var dropped = runs.Count - 1 + (buffered is null ? 0 : 1);
        buffered = runs[^1].s;
        runs.Clear();
        return dropped;
    }

    /// <summary>When a slot fires: the slot plus its jitter, a fixed fraction of <see cref="ScheduleRecord.Jitter"/> per (schedule, slot).</summary>
    public static DateTimeOffset FireTime(ScheduleRecord r, DateTimeOffset slot)
    {
        if (r.JitterMs <= 0) return slot;
        var h = BitConverter.ToUInt64(SHA256.HashData(Encoding.UTF8.GetBytes($"{r.Name}|{slot.UtcTicks}")), 0);
        return slot + TimeSpan.FromMilliseconds(h % (ulong)r.JitterMs);
    }

    /// <summary>
    /// The task id of a slot: <c>sch-</c>, 16 hex digits of the schedule name's SHA-256, <c>-</c>, the slot in Unix
    /// milliseconds (<c>m</c> in front for a manual run). The same slot always gives the same id, so submitting it twice
    /// (a crash between firing and recording, two hosts) finds the existing task instead of making a second one.
    /// </summary>
    public static string TaskIdFor(string name, DateTimeOffset slot, bool manual = false) =>
        $"sch-{NamePrefix(name)}-{(manual ? "m" : "")}{slot.ToUnixTimeMilliseconds()}";

    /// <summary>The part of every task id of schedule <paramref name="name"/> before the slot.</summary>
    public static string NamePrefix(string name) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(name)))[..16];
}
