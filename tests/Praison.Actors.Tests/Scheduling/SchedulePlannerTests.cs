using Praison.Actors.Messages;
using Praison.Actors.Scheduling;
using Xunit;

namespace Praison.Actors.Tests.Scheduling;

/// <summary>The pure policy core: catch-up, overlap, jitter and derived ids, with plain instants (no clock).</summary>
public class SchedulePlannerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>A */1m schedule created at T0 whose pointer is at T0+1m.</summary>
    private static (ScheduleRecord, ScheduleExpression) Minutely(ScheduleCatchUp catchUp = ScheduleCatchUp.Once,
        ScheduleOverlap overlap = ScheduleOverlap.Skip, TimeSpan? window = null)
    {
        var r = new ScheduleRecord
        {
            Name = "m", Recipe = "r", Expression = "*/1m", CreatedAt = T0, NextFireAt = T0.AddMinutes(1), CatchUp = catchUp, Overlap = overlap,
            CatchUpWindowMs = (long)(window ?? TimeSpan.FromDays(1)).TotalMilliseconds,
        };
        return (r, ScheduleExpression.Parse(r.Expression, TimeZoneInfo.Utc, T0));
    }

    private static DateTimeOffset M(int minutes, int seconds = 0) => T0.AddMinutes(minutes).AddSeconds(seconds);

    [Fact]
    public void Nothing_is_due_before_the_next_slot()
    {
        var (r, e) = Minutely();
        var plan = SchedulePlanner.Plan(r, e, M(0, 59), previousActive: false);
        Assert.Empty(plan.Fire);
        Assert.Equal(M(1), plan.NextFireAt);
        Assert.False(plan.Changes(r));
    }

    [Fact]
    public void A_slot_on_time_fires_and_the_pointer_moves_to_the_next()
    {
        var (r, e) = Minutely();
        var plan = SchedulePlanner.Plan(r, e, M(1, 2), previousActive: false);
        Assert.Equal([(M(1), "slot")], plan.Fire);
        Assert.Equal(M(2), plan.NextFireAt);
    }

    [Fact]
    public void Catch_up_skip_drops_missed_slots_but_runs_the_one_just_due()
    {
        var (r, e) = Minutely(ScheduleCatchUp.Skip);
        // Down from 00:01 to 00:10:30: slots 1..10 are due; 10 is 30 s late, within the grace.
        var plan = SchedulePlanner.Plan(r, e, M(10, 30), previousActive: false);
        Assert.Equal([(M(10), "slot")], plan.Fire);
        Assert.Equal(M(11), plan.NextFireAt);
        // Up only at 00:12:30 after a slot at 00:10 (the last due one is 00:12, within grace) vs. late by more than the grace:
        var late = SchedulePlanner.Plan(r with { Expression = "*/5m", NextFireAt = M(5) }, ScheduleExpression.Parse("*/5m", TimeZoneInfo.Utc, T0),
            M(13), previousActive: false);
        Assert.Empty(late.Fire); // 00:05 and 00:10 are missed (3 minutes late): nothing runs
        Assert.Equal(M(15), late.NextFireAt);
    }

    [Fact]
    public void Catch_up_once_runs_one_run_for_all_missed_slots()
    {
        var (r, e) = Minutely(ScheduleCatchUp.Once);
        var plan = SchedulePlanner.Plan(r, e, M(10, 30), previousActive: false);
        Assert.Equal([(M(10), "slot")], plan.Fire);
        var late = SchedulePlanner.Plan(r, e, M(10, 0).AddHours(1), previousActive: false);
        Assert.Equal([(M(70), "slot")], late.Fire);
        var missedOnly = SchedulePlanner.Plan(r with { Expression = "*/5m", NextFireAt = M(5) }, ScheduleExpression.Parse("*/5m", TimeZoneInfo.Utc, T0),
            M(13), previousActive: false);
        Assert.Equal([(M(10), "catch-up")], missedOnly.Fire); // 3 minutes late: still one run
        Assert.Equal(M(15), missedOnly.NextFireAt);
    }

    [Fact]
    public void Catch_up_all_runs_every_missed_slot_within_the_window()
    {
        var (r, e) = Minutely(ScheduleCatchUp.All, ScheduleOverlap.Allow, window: TimeSpan.FromMinutes(5));
        var plan = SchedulePlanner.Plan(r, e, M(10, 30), previousActive: false);
        // Slots 1..10 are due; the window (5 min before 00:10:30) keeps 6..10.
        Assert.Equal([M(6), M(7), M(8), M(9), M(10)], plan.Fire.Select(f => f.Slot));
        Assert.Equal(["catch-up", "catch-up", "catch-up", "catch-up", "slot"], plan.Fire.Select(f => f.Reason));
        Assert.Equal(M(11), plan.NextFireAt);
    }

    [Fact]
    public void Catch_up_all_without_overlap_runs_missed_slots_one_at_a_time()
    {
        var (r, e) = Minutely(ScheduleCatchUp.All, ScheduleOverlap.Skip);
        var first = SchedulePlanner.Plan(r, e, M(3, 10), previousActive: false);
        Assert.Equal([(M(1), "catch-up")], first.Fire);
        Assert.Equal(M(2), first.NextFireAt);
        var waiting = SchedulePlanner.Plan(r with { NextFireAt = first.NextFireAt }, e, M(3, 20), previousActive: true);
        Assert.Empty(waiting.Fire); // the previous run is still going: wait, drop nothing
        Assert.Equal(M(2), waiting.NextFireAt);
        var second = SchedulePlanner.Plan(r with { NextFireAt = first.NextFireAt }, e, M(3, 30), previousActive: false);
        Assert.Equal([(M(2), "catch-up")], second.Fire);
    }

    [Fact]
    public void A_slot_older_than_the_window_never_runs()
    {
        var (r, e) = Minutely(ScheduleCatchUp.Once, window: TimeSpan.FromMinutes(2));
        var plan = SchedulePlanner.Plan(r with { Expression = "hourly", NextFireAt = T0.AddHours(1) }, ScheduleExpression.Parse("hourly", TimeZoneInfo.Utc, T0),
            T0.AddHours(1).AddMinutes(30), previousActive: false);
        Assert.Empty(plan.Fire);
        Assert.Equal(T0.AddHours(2), plan.NextFireAt);
    }

    [Fact]
    public void Overlap_skip_drops_the_slot_while_the_previous_run_is_unfinished()
    {
        var (r, e) = Minutely(overlap: ScheduleOverlap.Skip);
        var plan = SchedulePlanner.Plan(r, e, M(1), previousActive: true);
        Assert.Empty(plan.Fire);
        Assert.Null(plan.BufferedSlot);
        Assert.Equal(M(2), plan.NextFireAt);
    }

    [Fact]
    public void Overlap_buffer_one_keeps_the_newest_slot_and_runs_it_when_the_previous_ends()
    {
        var (r, e) = Minutely(overlap: ScheduleOverlap.BufferOne);
        var first = SchedulePlanner.Plan(r, e, M(1), previousActive: true);
        Assert.Empty(first.Fire);
        Assert.Equal(M(1), first.BufferedSlot);
        var second = SchedulePlanner.Plan(r with { NextFireAt = first.NextFireAt, BufferedSlot = first.BufferedSlot }, e, M(2), previousActive: true);
        Assert.Empty(second.Fire);
        Assert.Equal(M(2), second.BufferedSlot); // the newer one replaces it
        var done = SchedulePlanner.Plan(r with { NextFireAt = second.NextFireAt, BufferedSlot = second.BufferedSlot }, e, M(2, 30), previousActive: false);
        Assert.Equal([(M(2), "buffered")], done.Fire);
        Assert.Null(done.BufferedSlot);
        Assert.Equal(M(3), done.NextFireAt);
    }

    [Fact]
    public void Overlap_allow_fires_regardless()
    {
        var (r, e) = Minutely(overlap: ScheduleOverlap.Allow);
        Assert.Equal([(M(1), "slot")], SchedulePlanner.Plan(r, e, M(1), previousActive: true).Fire);
    }

    [Fact]
    public void Overlap_cancel_previous_cancels_then_fires()
    {
        var (r, e) = Minutely(overlap: ScheduleOverlap.CancelPrevious);
        var plan = SchedulePlanner.Plan(r, e, M(1), previousActive: true);
        Assert.True(plan.CancelPrevious);
        Assert.Equal([(M(1), "slot")], plan.Fire);
        Assert.False(SchedulePlanner.Plan(r, e, M(1), previousActive: false).CancelPrevious);
    }

    [Fact]
    public void A_paused_schedule_and_a_finished_one_shot_plan_nothing()
    {
        var (r, e) = Minutely();
        Assert.Empty(SchedulePlanner.Plan(r with { Paused = true }, e, M(5), false).Fire);
        var once = r with { Expression = "in 1 minute" };
        var oe = ScheduleExpression.Parse(once.Expression, TimeZoneInfo.Utc, T0);
        var fired = SchedulePlanner.Plan(once, oe, M(1), false);
        Assert.Equal([(M(1), "slot")], fired.Fire);
        Assert.Null(fired.NextFireAt);
        Assert.Empty(SchedulePlanner.Plan(once with { NextFireAt = null }, oe, M(9), false).Fire);
    }

    [Fact]
    public void Jitter_delays_each_slot_by_a_fixed_amount_below_the_bound()
    {
        var (r, e) = Minutely();
        var jittered = r with { JitterMs = 20_000 };
        var delays = Enumerable.Range(1, 50).Select(i => SchedulePlanner.FireTime(jittered, M(i)) - M(i)).ToList();
        Assert.All(delays, d => Assert.InRange(d, TimeSpan.Zero, TimeSpan.FromSeconds(20)));
        Assert.True(delays.Distinct().Count() > 1, "the spread differs between slots");
        Assert.Equal(SchedulePlanner.FireTime(jittered, M(3)), SchedulePlanner.FireTime(jittered, M(3))); // fixed per slot
        var fireAt = SchedulePlanner.FireTime(jittered, M(1));
        Assert.Empty(SchedulePlanner.Plan(jittered, e, fireAt.AddTicks(-1), false).Fire);
        Assert.Equal([(M(1), "slot")], SchedulePlanner.Plan(jittered, e, fireAt, false).Fire);
    }

    [Fact]
    public void A_slot_always_derives_the_same_valid_task_id()
    {
        var id = SchedulePlanner.TaskIdFor("nightly-report", M(1));
        Assert.Equal(id, SchedulePlanner.TaskIdFor("nightly-report", M(1)));
        Assert.NotEqual(id, SchedulePlanner.TaskIdFor("nightly-report", M(2)));
        Assert.NotEqual(id, SchedulePlanner.TaskIdFor("nightly-report2", M(1)));
        Assert.NotEqual(id, SchedulePlanner.TaskIdFor("nightly-report", M(1), manual: true));
        Assert.Null(TaskIds.Problem(id));
        Assert.Null(TaskIds.Problem(SchedulePlanner.TaskIdFor(new string('x', 64), DateTimeOffset.MaxValue, manual: true)));
    }

    [Fact]
    public void A_look_counts_the_slots_it_drops_by_catch_up_overlap_and_window()
    {
        // Catch-up once: ten slots due (1..10), one run; nine dropped.
        var (once, e) = Minutely(ScheduleCatchUp.Once);
        var collapsed = SchedulePlanner.Plan(once, e, M(10, 30), previousActive: false);
        Assert.Single(collapsed.Fire);
        Assert.Equal(9, collapsed.Skipped);

        // Catch-up skip: on time keeps the last; late by more than the grace drops every due slot.
        var (skip, _) = Minutely(ScheduleCatchUp.Skip);
        Assert.Equal(9, SchedulePlanner.Plan(skip, e, M(10, 30), previousActive: false).Skipped);
        var late = SchedulePlanner.Plan(skip, e, M(10, 0).AddMinutes(2).AddSeconds(30), previousActive: false); // 1..12 due, 12 is 30 s late
        Assert.Equal(11, late.Skipped);
        var allLate = SchedulePlanner.Plan(skip with { Expression = "*/5m", NextFireAt = M(5) }, ScheduleExpression.Parse("*/5m", TimeZoneInfo.Utc, T0),
            M(13), previousActive: false);
        Assert.Empty(allLate.Fire);
        Assert.Equal(2, allLate.Skipped); // 00:05 and 00:10, both missed

        // Overlap skip: the one slot due while the previous run is unfinished is dropped.
        var (overlap, _) = Minutely(overlap: ScheduleOverlap.Skip);
        var dropped = SchedulePlanner.Plan(overlap, e, M(1, 2), previousActive: true);
        Assert.Empty(dropped.Fire);
        Assert.Equal(1, dropped.Skipped);
        Assert.True(dropped.Changes(overlap));

        // Buffer-one: the first slot waits (nothing dropped); a newer one replaces it (the older one is dropped).
        var (buffer, _) = Minutely(overlap: ScheduleOverlap.BufferOne);
        var first = SchedulePlanner.Plan(buffer, e, M(1, 2), previousActive: true);
        Assert.Equal((M(1), 0L), (first.BufferedSlot!.Value, first.Skipped));
        var second = SchedulePlanner.Plan(buffer with { NextFireAt = first.NextFireAt, BufferedSlot = first.BufferedSlot }, e, M(2, 2), previousActive: true);
        Assert.Equal((M(2), 1L), (second.BufferedSlot!.Value, second.Skipped));

        // Outside the catch-up window: every slot older than the window is counted, none walked; all runs the rest.
        var (all, _) = Minutely(ScheduleCatchUp.All, ScheduleOverlap.Allow, window: TimeSpan.FromMinutes(5));
        var windowed = SchedulePlanner.Plan(all, e, M(10, 30), previousActive: false);
        Assert.Equal(5, windowed.Fire.Count); // 6..10
        Assert.Equal(5, windowed.Skipped);    // 1..5
        var year = SchedulePlanner.Plan(all, e, M(1).AddDays(365), previousActive: false);
        Assert.Equal(5, year.Fire.Count);
        Assert.Equal(365L * 24 * 60 + 1 - 5, year.Skipped); // of the year's 525,601 slots every one but the five in the window
        Assert.Equal(0, SchedulePlanner.Plan(all, e, M(1, 2), previousActive: false).Skipped);
    }

    [Theory]
    [InlineData("*/7m", "UTC")]
    [InlineData("cron:*/7 * * * *", "Europe/Berlin")]
    [InlineData("at:2026-05-01T03:00Z", "UTC")]
    public void Counting_slots_agrees_with_walking_them(string expression, string zone)
    {
        var e = ScheduleExpression.Parse(expression, ScheduleExpression.ResolveZone(zone), T0);
        foreach (var (from, to) in new[] { (T0, T0.AddHours(5)), (T0.AddMinutes(7), T0.AddMinutes(21)), (T0.AddMinutes(8), T0.AddMinutes(13)), (T0.AddHours(2), T0) })
        {
            var walked = e.SlotsBetween(from - TimeSpan.FromTicks(1), to, int.MaxValue).Count;
            Assert.Equal(walked, e.CountBetween(from, to, long.MaxValue));
        }
        Assert.Equal(2, ScheduleExpression.Parse("*/7m", TimeZoneInfo.Utc, T0).CountBetween(T0, T0.AddHours(5), 2));
    }
}
