using System.Globalization;
using System.Text.RegularExpressions;
using Cronos;

namespace Praison.Actors.Scheduling;

/// <summary>
/// A parsed schedule expression, PraisonAI's grammar (<c>praisonai schedule</c>'s <c>ScheduleParser</c>) plus cron and
/// one-shots: <c>hourly</c>, <c>daily</c>, <c>weekly</c>, <c>*/30s</c>, <c>*/15m</c>, <c>*/6h</c>, <c>*/N</c> (seconds,
/// as PraisonAI), a plain number of seconds, <c>cron:EXPR</c> (5 or 6 fields, Cronos, stepped in the schedule's time
/// zone), <c>at:ISO-8601</c> and <c>in N minutes</c> (one shot). Pure: no clock; every instant comes in as an argument.
/// </summary>
/// <remarks>
/// Intervals count from the schedule's anchor (its creation time), as PraisonAI's scheduler counts from its start:
/// the slots are anchor + k × period, k ≥ 1, so they do not drift however late a slot fires. Interval slots are in
/// elapsed time and ignore the time zone; cron slots follow the zone's wall clock (Cronos: a spring-forward gap fires
/// once at the jump, a fall-back repeat fires once unless the expression names each second/minute of the hour).
/// </remarks>
internal sealed partial class ScheduleExpression
{
    private readonly TimeSpan _period;
    private readonly CronExpression? _cron;
    private readonly DateTimeOffset _anchor;
    private readonly DateTimeOffset? _once;

    private ScheduleExpression(string text, ScheduleExpressionKind kind, TimeZoneInfo zone, DateTimeOffset anchor,
        TimeSpan period = default, CronExpression? cron = null, DateTimeOffset? once = null)
    {
        Text = text;
        Kind = kind;
        Zone = zone;
        _anchor = anchor;
        _period = period;
        _cron = cron;
        _once = once;
    }

    /// <summary>The expression as given (trimmed).</summary>
    public string Text { get; }

    /// <summary>Interval, cron or one shot.</summary>
    public ScheduleExpressionKind Kind { get; }

    /// <summary>The zone cron slots and local <c>at:</c> times are read in.</summary>
    public TimeZoneInfo Zone { get; }

    /// <summary>True for <c>at:</c> and <c>in …</c>: one slot only.</summary>
    public bool IsOneShot => Kind == ScheduleExpressionKind.Once;

    /// <summary>The interval of an interval expression; zero otherwise.</summary>
    public TimeSpan Period => _period;

    /// <summary>The one slot of a one-shot expression.</summary>
    public DateTimeOffset? OnceAt => _once;

    /// <summary>The first slot strictly after <paramref name="instant"/>, in UTC; null when there is none (a one shot already past).</summary>
    public DateTimeOffset? NextAfter(DateTimeOffset instant)
    {
        switch (Kind)
        {
            case ScheduleExpressionKind.Interval:
                if (instant < _anchor) return _anchor + _period;
                var k = (instant - _anchor).Ticks / _period.Ticks + 1;
                return (_anchor + TimeSpan.FromTicks(_period.Ticks * k)).ToUniversalTime();
            case ScheduleExpressionKind.Cron:
                return _cron!.GetNextOccurrence(instant.ToUniversalTime(), Zone, inclusive: false)?.ToUniversalTime();
            default:
                return _once > instant ? _once.Value.ToUniversalTime() : null;
        }
    }

    /// <summary>The slots in (<paramref name="after"/>, <paramref name="until"/>], oldest first, at most <paramref name="max"/>.</summary>
    public List<DateTimeOffset> SlotsBetween(DateTimeOffset after, DateTimeOffset until, int max)
    {
        var slots = new List<DateTimeOffset>();
        var at = after;
        while (slots.Count < max && NextAfter(at) is { } next && next <= until)
        {
            slots.Add(next);
            at = next;
        }
        return slots;
    }

    /// <summary>
    /// How many slots lie in [<paramref name="from"/>, <paramref name="to"/>] (both inclusive), at most
    /// <paramref name="max"/>: by arithmetic for intervals (a */1s schedule down for a year costs nothing), by walking for cron.
    /// </summary>
    public long CountBetween(DateTimeOffset from, DateTimeOffset to, long max)
    {
        if (to < from) return 0;
        switch (Kind)
        {
            case ScheduleExpressionKind.Interval:
                // Slots are anchor + k × period, k >= 1.
                var p = _period.Ticks;
                var kMin = Math.Max(1, CeilDiv((from - _anchor).Ticks, p));
                var kMax = FloorDiv((to - _anchor).Ticks, p);
                return Math.Clamp(kMax - kMin + 1, 0, max);
            case ScheduleExpressionKind.Cron:
                long n = 0;
                var at = from - TimeSpan.FromTicks(1);
                while (n < max && NextAfter(at) is { } next && next <= to)
                {
                    n++;
                    at = next;
                }
                return n;
            default:
                return _once is { } once && once >= from && once <= to ? Math.Min(1, max) : 0;
        }
    }

    private static long FloorDiv(long a, long b) => a >= 0 ? a / b : -((-a + b - 1) / b);
    private static long CeilDiv(long a, long b) => -FloorDiv(-a, b);

    /// <summary>The IANA (or Windows) zone id <paramref name="id"/>; null or empty is UTC. Throws <see cref="ScheduleException"/> for an unknown id.</summary>
    public static TimeZoneInfo ResolveZone(string? id)
    {
        if (string.IsNullOrWhiteSpace(id) || id is "UTC" or "Etc/UTC") return TimeZoneInfo.Utc;
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(id.Trim());
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw new ScheduleException($"Unknown time zone '{id}': use an IANA zone id such as Europe/Berlin or America/New_York.");
        }
    }

    /// <summary>
    /// Parses <paramref name="text"/> for a schedule created at <paramref name="anchor"/> (intervals count from it,
    /// <c>in …</c> is relative to it) in <paramref name="zone"/>. Throws <see cref="ScheduleException"/> naming the problem.
    /// </summary>
    public static ScheduleExpression Parse(string? text, TimeZoneInfo zone, DateTimeOffset anchor)
    {
        var trimmed = text?.Trim() ?? "";
        if (trimmed.Length == 0) throw Bad(text, "it is empty");
        anchor = anchor.ToUniversalTime();
        var lower = trimmed.ToLowerInvariant();

        if (lower.StartsWith("cron:", StringComparison.Ordinal))
            return new ScheduleExpression(trimmed, ScheduleExpressionKind.Cron, zone, anchor, cron: ParseCron(trimmed, trimmed[5..].Trim()));
        if (lower.StartsWith("at:", StringComparison.Ordinal))
            return new ScheduleExpression(trimmed, ScheduleExpressionKind.Once, zone, anchor, once: ParseAt(trimmed, trimmed[3..].Trim(), zone));
        if (RelativeOnce().Match(lower) is { Success: true } rel)
        {
            var amount = Number(trimmed, rel.Groups[1].Value);
            var unit = Unit(rel.Groups[2].Value);
            return new ScheduleExpression(trimmed, ScheduleExpressionKind.Once, zone, anchor, once: anchor + Multiply(trimmed, unit, amount));
        }
        return new ScheduleExpression(trimmed, ScheduleExpressionKind.Interval, zone, anchor, period: ParseInterval(trimmed, lower));
    }

    private static TimeSpan ParseInterval(string text, string lower)
    {
        switch (lower)
        {
            case "hourly": return TimeSpan.FromHours(1);
            case "daily": return TimeSpan.FromDays(1);
            case "weekly": return TimeSpan.FromDays(7);
        }
        if (lower.All(char.IsAsciiDigit)) return Positive(text, TimeSpan.FromSeconds(1), Number(text, lower));
        if (lower.StartsWith("*/", StringComparison.Ordinal))
        {
            var part = lower[2..];
            var (digits, unit) = part.Length > 0 && part[^1] is 's' or 'm' or 'h' or 'd'
                ? (part[..^1], Unit(part[^1..]))
                : (part, TimeSpan.FromSeconds(1)); // PraisonAI: */N without a unit is seconds
            if (digits.Length == 0 || !digits.All(char.IsAsciiDigit))
                throw Bad(text, "after */ comes a whole number and a unit s, m, h or d (e.g. */30s, */15m, */6h)");
            return Positive(text, unit, Number(text, digits));
        }
        throw Bad(text, "expected hourly, daily, weekly, */30s, */15m, */6h, a number of seconds, cron:EXPR, at:ISO-8601 or 'in 10 minutes'");
    }

    private static TimeSpan Positive(string text, TimeSpan unit, long amount) =>
        amount <= 0 ? throw Bad(text, "the interval must be at least 1") : Multiply(text, unit, amount);

    private static TimeSpan Multiply(string text, TimeSpan unit, long amount)
    {
        if (amount <= 0) throw Bad(text, "the amount must be at least 1");
        if (amount > TimeSpan.FromDays(3660).Ticks / unit.Ticks) throw Bad(text, "it is more than ten years");
        return TimeSpan.FromTicks(unit.Ticks * amount);
    }

    private static long Number(string text, string digits) =>
        long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw Bad(text, $"'{digits}' is not a whole number");

    private static TimeSpan Unit(string unit) => unit switch
    {
        "s" or "sec" or "secs" or "second" or "seconds" => TimeSpan.FromSeconds(1),
        "m" or "min" or "mins" or "minute" or "minutes" => TimeSpan.FromMinutes(1),
        "h" or "hr" or "hrs" or "hour" or "hours" => TimeSpan.FromHours(1),
        _ => TimeSpan.FromDays(1),
    };

    private static CronExpression ParseCron(string text, string cron)
    {
        var fields = cron.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length is not (5 or 6) && !cron.StartsWith('@'))
            throw Bad(text, $"a cron expression has 5 fields (minute hour day month weekday) or 6 (with seconds first), got {fields.Length}");
        try
        {
            return CronExpression.Parse(string.Join(' ', fields), fields.Length == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
        }
        catch (CronFormatException ex)
        {
            throw Bad(text, ex.Message);
        }
    }

    private static DateTimeOffset ParseAt(string text, string iso, TimeZoneInfo zone)
    {
        const DateTimeStyles styles = DateTimeStyles.AllowWhiteSpaces;
        if (iso.Length == 0) throw Bad(text, "at: needs an ISO-8601 time, e.g. at:2026-12-24T18:00 or at:2026-12-24T17:00Z");
        // An explicit offset or Z is taken as given; a local time is read in the schedule's zone.
        if (HasOffset().IsMatch(iso))
            return DateTimeOffset.TryParse(iso, CultureInfo.InvariantCulture, styles, out var exact)
                ? exact.ToUniversalTime()
                : throw Bad(text, $"'{iso}' is not an ISO-8601 time");
        if (!DateTime.TryParse(iso, CultureInfo.InvariantCulture, styles, out var local))
            throw Bad(text, $"'{iso}' is not an ISO-8601 time");
        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        if (zone.IsInvalidTime(local))
            throw Bad(text, $"{iso} does not exist in {zone.Id} (the clocks jump over it)");
        // A repeated local time (fall-back) is its first occurrence, the one with the larger (summer) offset.
        var offset = zone.IsAmbiguousTime(local) ? zone.GetAmbiguousTimeOffsets(local).Max() : zone.GetUtcOffset(local);
        return new DateTimeOffset(local, offset).ToUniversalTime();
    }

    private static ScheduleException Bad(string? text, string why) => new($"Invalid schedule expression '{text}': {why}.");

    [GeneratedRegex(@"^in\s+(\d+)\s*(s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?)$")]
    private static partial Regex RelativeOnce();

    [GeneratedRegex(@"[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|z|[+-]\d{2}(:?\d{2})?)$")]
    private static partial Regex HasOffset();
}

/// <summary>What kind of slots an expression has.</summary>
internal enum ScheduleExpressionKind
{
    /// <summary>Every period from the anchor.</summary>
    Interval,
    /// <summary>A cron expression in a time zone.</summary>
    Cron,
    /// <summary>One slot.</summary>
    Once,
}
