using Praison.Actors.Scheduling;
using Xunit;

namespace Praison.Actors.Tests.Scheduling;

public class ScheduleExpressionTests
{
    private static readonly DateTimeOffset Anchor = new(2026, 1, 10, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeZoneInfo Berlin = ScheduleExpression.ResolveZone("Europe/Berlin");

    private static ScheduleExpression Parse(string text, TimeZoneInfo? zone = null) =>
        ScheduleExpression.Parse(text, zone ?? TimeZoneInfo.Utc, Anchor);

    private static DateTimeOffset Utc(int y, int mo, int d, int h, int mi, int s = 0) => new(y, mo, d, h, mi, s, TimeSpan.Zero);

    [Theory]
    [InlineData("hourly", 3600)]
    [InlineData("daily", 86400)]
    [InlineData("weekly", 604800)]
    [InlineData("HOURLY ", 3600)]
    [InlineData("*/30s", 30)]
    [InlineData("*/15m", 900)]
    [InlineData("*/6h", 21600)]
    [InlineData("*/2d", 172800)]
    [InlineData("*/45", 45)] // PraisonAI: */N without a unit is seconds
    [InlineData("3600", 3600)]
    [InlineData("1", 1)]
    public void Intervals_follow_PraisonAI_and_count_from_the_anchor(string text, int seconds)
    {
        var e = Parse(text);
        Assert.Equal(ScheduleExpressionKind.Interval, e.Kind);
        Assert.Equal(TimeSpan.FromSeconds(seconds), e.Period);
        Assert.Equal(Anchor.AddSeconds(seconds), e.NextAfter(Anchor));
        // However late it is asked, the next slot stays on the anchor's grid (no drift).
        Assert.Equal(Anchor.AddSeconds(seconds * 3L), e.NextAfter(Anchor.AddSeconds(seconds * 2L + 0.5)));
        Assert.Equal(Anchor.AddSeconds(seconds * 3L), e.NextAfter(Anchor.AddSeconds(seconds * 2L)));
    }

    [Fact]
    public void A_cron_expression_is_stepped_in_its_time_zone()
    {
        var e = Parse("cron:0 9 * * *", Berlin);
        Assert.Equal(ScheduleExpressionKind.Cron, e.Kind);
        Assert.Equal(Utc(2026, 1, 11, 8, 0), e.NextAfter(Anchor)); // 09:00 CET = 08:00Z
        Assert.Equal(Utc(2026, 7, 1, 7, 0), e.NextAfter(Utc(2026, 6, 30, 12, 0))); // 09:00 CEST = 07:00Z
    }

    [Fact]
    public void Spring_forward_in_Berlin_fires_a_slot_in_the_skipped_hour_once_at_the_jump()
    {
        // 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00Z); 02:30 does not exist that day.
        var e = Parse("cron:30 2 * * *", Berlin);
        Assert.Equal(Utc(2026, 3, 28, 1, 30), e.NextAfter(Utc(2026, 3, 27, 12, 0))); // 02:30 CET
        Assert.Equal(Utc(2026, 3, 29, 1, 0), e.NextAfter(Utc(2026, 3, 28, 12, 0)));  // the jump, 03:00 CEST
        Assert.Equal(Utc(2026, 3, 30, 0, 30), e.NextAfter(Utc(2026, 3, 29, 12, 0))); // 02:30 CEST
        // An hourly cron has no 02:00 that day: 01:00 CET is followed by 03:00 CEST, one hour later in UTC.
        var hourly = Parse("cron:0 * * * *", Berlin);
        Assert.Equal(Utc(2026, 3, 29, 1, 0), hourly.NextAfter(Utc(2026, 3, 29, 0, 0)));
    }

    [Fact]
    public void Fall_back_in_Berlin_fires_a_daily_slot_once_and_an_every_half_hour_slot_in_both_repeated_hours()
    {
        // 2026-10-25: 03:00 CEST falls back to 02:00 CET (01:00Z); 02:30 happens at 00:30Z and again at 01:30Z.
        var daily = Parse("cron:30 2 * * *", Berlin);
        Assert.Equal(Utc(2026, 10, 25, 0, 30), daily.NextAfter(Utc(2026, 10, 24, 12, 0)));
        Assert.Equal(Utc(2026, 10, 26, 1, 30), daily.NextAfter(Utc(2026, 10, 25, 0, 30))); // not again at 01:30Z
        var halfHourly = Parse("cron:*/30 * * * *", Berlin);
        var slots = halfHourly.SlotsBetween(Utc(2026, 10, 24, 23, 45), Utc(2026, 10, 25, 2, 0), 10);
        Assert.Equal([Utc(2026, 10, 25, 0, 0), Utc(2026, 10, 25, 0, 30), Utc(2026, 10, 25, 1, 0), Utc(2026, 10, 25, 1, 30), Utc(2026, 10, 25, 2, 0)], slots);
    }

    [Fact]
    public void Six_field_cron_has_seconds_first()
    {
        var e = Parse("cron:*/15 * * * * *");
        Assert.Equal(Anchor.AddSeconds(15), e.NextAfter(Anchor));
    }

    [Fact]
    public void At_reads_a_local_time_in_the_zone_and_an_offset_as_given()
    {
        Assert.Equal(Utc(2026, 12, 24, 17, 0), Parse("at:2026-12-24T18:00", Berlin).NextAfter(Anchor));
        Assert.Equal(Utc(2026, 12, 24, 18, 0), Parse("at:2026-12-24T18:00Z", Berlin).NextAfter(Anchor));
        Assert.Equal(Utc(2026, 12, 24, 16, 0), Parse("at:2026-12-24T18:00+02:00", Berlin).NextAfter(Anchor));
        Assert.Equal(Utc(2026, 12, 23, 23, 0), Parse("at:2026-12-24", Berlin).NextAfter(Anchor)); // a date: local midnight
        // A repeated local time (fall-back) is its first occurrence, CEST.
        Assert.Equal(Utc(2026, 10, 25, 0, 30), Parse("at:2026-10-25T02:30", Berlin).NextAfter(Anchor));
        var once = Parse("at:2026-12-24T18:00Z");
        Assert.True(once.IsOneShot);
        Assert.Null(once.NextAfter(Utc(2026, 12, 24, 18, 0))); // one slot only
    }

    [Theory]
    [InlineData("in 10 minutes", 600)]
    [InlineData("in 1 minute", 60)]
    [InlineData("IN 2 hours", 7200)]
    [InlineData("in 30s", 30)]
    [InlineData("in 3 days", 259200)]
    public void In_is_a_one_shot_relative_to_the_anchor(string text, int seconds)
    {
        var e = Parse(text);
        Assert.True(e.IsOneShot);
        Assert.Equal(Anchor.AddSeconds(seconds), e.NextAfter(Anchor));
        Assert.Null(e.NextAfter(Anchor.AddSeconds(seconds)));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("every day", "expected hourly")]
    [InlineData("*/0m", "at least 1")]
    [InlineData("0", "at least 1")]
    [InlineData("*/xm", "whole number")]
    [InlineData("*/", "whole number")]
    [InlineData("cron:1 2 3", "5 fields")]
    [InlineData("cron:99 * * * *", "cron:99")]
    [InlineData("at:not-a-date", "not an ISO-8601 time")]
    [InlineData("at:2026-03-29T02:30", "does not exist in Europe/Berlin")]
    [InlineData("in 0 minutes", "at least 1")]
    [InlineData("in 5 fortnights", "expected hourly")]
    [InlineData("*/99999999999d", "ten years")]
    public void Bad_expressions_name_the_problem(string text, string expected)
    {
        var ex = Assert.Throws<ScheduleException>(() => Parse(text, Berlin));
        Assert.Contains(expected, ex.Message);
        Assert.StartsWith("Invalid schedule expression", ex.Message);
    }

    [Fact]
    public void An_unknown_time_zone_is_named()
    {
        var ex = Assert.Throws<ScheduleException>(() => ScheduleExpression.ResolveZone("Mars/Olympus"));
        Assert.Contains("Unknown time zone 'Mars/Olympus'", ex.Message);
        Assert.Same(TimeZoneInfo.Utc, ScheduleExpression.ResolveZone(null));
    }
}
