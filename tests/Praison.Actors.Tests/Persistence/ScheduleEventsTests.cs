using System.Text.Json.Nodes;
using Praison.Actors.Messages;
using Praison.Actors.Persistence;
using Praison.Actors.Scheduling;
using Xunit;

namespace Praison.Actors.Tests.Persistence;

/// <summary>
/// The pure core of event-sourced schedules: <c>Apply(before, Between(before, after)) == after</c> for every kind of
/// change a schedule goes through (compared as stored JSON, and through the stored event bytes), the kinds inferred,
/// and the events staying small (a fired slot stores its new run, not the record).
/// </summary>
public class ScheduleEventsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);

    private static ScheduleRecord Created() => new()
    {
        Name = "s", Recipe = "hello", Expression = "*/1m", TimeZone = "Europe/Berlin", InputJson = """{"n":1}""", TimeoutMs = 30_000,
        Retry = new RetryPolicy { MaxAttempts = 3 }, CreatedAt = T0, NextFireAt = T0.AddMinutes(1), Version = 1,
    };

    private static ScheduleRunEntry Run(int minute, string reason = "slot") =>
        new(SchedulePlanner.TaskIdFor("s", T0.AddMinutes(minute)), T0.AddMinutes(minute), T0.AddMinutes(minute).AddMilliseconds(3), reason);

    private static string? Json(ScheduleRecord? r) => r is null ? null : ScheduleTable.Serialize(r);

    /// <summary>Each step from the one before; the kind <see cref="ScheduleEvents.Between"/> must infer for it.</summary>
    private static IEnumerable<(string Kind, ScheduleRecord? After)> Transitions()
    {
        ScheduleRecord? r = Created();
        ScheduleRecord Next(ScheduleRecord x) => x with { Version = x.Version + 1 };
        yield return ("created", r);
        yield return ("updated", r = Next(r) with { Expression = "*/5m", AnchoredAt = T0.AddSeconds(30), NextFireAt = T0.AddMinutes(5) });
        yield return ("updated", r = Next(r) with { TimeoutMs = null, InputJson = null, TimeZone = "UTC" }); // cleared
        yield return ("updated", r = Next(r) with { Retry = new RetryPolicy { MaxAttempts = 5 } }); // nested
        yield return ("paused", r = Next(r) with { Paused = true });
        yield return ("resumed", r = Next(r) with { Paused = false, NextFireAt = T0.AddMinutes(10) });
        yield return ("fired", r = Next(r).WithRuns([Run(10)]) with { NextFireAt = T0.AddMinutes(15) });
        yield return ("fired", r = Next(r).WithRuns([Run(15), Run(20, "catch-up")]) with { NextFireAt = T0.AddMinutes(25) });
        for (var m = 25; m < 25 + 5 * 60; m += 5) // past 50 runs: each look trims the oldest
            r = Next(r).WithRuns([Run(m)]) with { NextFireAt = T0.AddMinutes(m + 5) };
        yield return ("fired", r);
        yield return ("fired", r = Next(r).WithRuns([Run(400), Run(405), Run(410), Run(415)]) with { NextFireAt = T0.AddMinutes(420) });
        yield return ("requested", r = Next(r) with { Requests = [new ScheduleRequest("run-now", T0.AddMinutes(421))] });
        yield return ("requested", r = Next(r) with
        {
            Requests = [.. r.Requests, new ScheduleRequest("backfill", T0.AddMinutes(422), T0.AddMinutes(-60), T0)],
        });
        yield return ("fired", r = Next(r).WithRuns([Run(-55, "backfill"), Run(421, "manual")]) with { Requests = [] });
        yield return ("skipped", r = Next(r) with { NextFireAt = T0.AddMinutes(430) });
        yield return ("skipped", r = Next(r) with { BufferedSlot = T0.AddMinutes(430), NextFireAt = T0.AddMinutes(435) });
        yield return ("fired", r = Next(r).WithRuns([Run(430, "buffered")]) with { BufferedSlot = null });
        yield return ("changed", r = Next(r)); // stored again unchanged: only the version moves
        yield return ("skipped", r = Next(r) with { NextFireAt = null }); // a one-shot done
        yield return ("deleted", r = null);
        yield return ("created", r = Created() with { Expression = "daily", Paused = true }); // the name again
        yield return ("updated", Next(r) with { Paused = false, Overlap = ScheduleOverlap.Allow, CatchUp = ScheduleCatchUp.All });
    }

    [Fact]
    public void Apply_of_Between_gives_the_later_record_for_every_kind_of_change()
    {
        ScheduleRecord? before = null;
        var kinds = new List<string>();
        var events = new List<ScheduleEvent>();
        foreach (var (kind, after) in Transitions())
        {
            var e = ScheduleEvents.Between(before, after);
            Assert.Equal(Json(after), Json(ScheduleEvents.Apply(before, e)));
            // Through the stored bytes too: what a restart folds is what was written.
            var stored = ScheduleTable.DeserializeEvent(ScheduleTable.SerializeEvent(e));
            Assert.Equal(Json(after), Json(ScheduleEvents.Apply(before, stored)));
            Assert.Equal(after?.Version, stored.Version);
            kinds.Add(e.Kind);
            events.Add(stored);
            before = after;
        }
        Assert.Equal(Transitions().Select(t => t.Kind), kinds);
        Assert.Equal(Json(before), Json(ScheduleEvents.Fold(events)));
    }

    [Fact]
    public void Apply_of_Between_holds_over_random_changes()
    {
        var random = new Random(1234);
        ScheduleRecord? before = null;
        for (var i = 0; i < 2_000; i++)
        {
            var after = random.Next(40) == 0 ? null : Mutate(before ?? Created(), random) with { Version = (before?.Version ?? 0) + 1 };
            var e = ScheduleTable.DeserializeEvent(ScheduleTable.SerializeEvent(ScheduleEvents.Between(before, after)));
            Assert.Equal(Json(after), Json(ScheduleEvents.Apply(before, e)));
            before = after;
        }
    }

    /// <summary>
    /// Random changes stored as the table stores them (a snapshot every 7th version, through the stored bytes): the fold
    /// from the latest event that holds the whole state, from any earlier point, from the first event, and of the same
    /// events without their records (as an older version wrote them) all give the latest record.
    /// </summary>
    [Fact]
    public void A_fold_from_a_snapshot_equals_the_fold_from_the_start_and_older_events_still_fold()
    {
        var random = new Random(4321);
        ScheduleRecord? before = null;
        var events = new List<ScheduleEvent>();
        var snapshots = 0;
        for (var i = 0; i < 1_500; i++)
        {
            var after = random.Next(200) == 0 ? null : Mutate(before ?? Created(), random) with { Version = (before?.Version ?? 0) + 1 };
            var e = ScheduleEvents.Between(before, after);
            if (after is not null && before is not null && ScheduleEvents.IsSnapshotPoint(after.Version, 7))
            {
                e = ScheduleEvents.WithRecord(e, ScheduleTable.Serialize(after));
                snapshots++;
            }
            var stored = ScheduleTable.DeserializeEvent(ScheduleTable.SerializeEvent(e));
            Assert.Equal(e.Kind, stored.Kind); // the history line is the same with or without the record
            Assert.Equal(e.Patch?.ToJsonString(), stored.Patch?.ToJsonString());
            Assert.Equal(Json(after), Json(ScheduleEvents.Apply(before, stored)));
            events.Add(stored);
            before = after;

            if (i % 50 != 49) continue;
            var latest = events.FindLastIndex(ScheduleEvents.IsStart);
            Assert.True(latest >= 0);
            Assert.Equal(Json(before), Json(ScheduleEvents.Fold(events)));
            Assert.Equal(Json(before), Json(ScheduleEvents.Fold(events.Skip(latest))));
            Assert.Equal(Json(before), Json(ScheduleEvents.Fold(events.Skip(random.Next(latest + 1)))));
            var older = events.Select(x => ScheduleTable.DeserializeEvent(ScheduleTable.SerializeEvent(x with { Record = null }))).ToList();
            Assert.All(older, x => Assert.Null(x.Record));
            Assert.Equal(Json(before), Json(ScheduleEvents.Fold(older)));
        }
        Assert.True(snapshots > 100, $"only {snapshots} snapshots");
    }

    [Fact]
    public void A_snapshot_is_a_fold_start_and_the_events_before_it_are_not_read()
    {
        var r = Created();
        var paused = r with { Paused = true, Version = 2 };
        var fired = paused.WithRuns([Run(1)]) with { NextFireAt = T0.AddMinutes(2), Version = 3 };
        var snapshot = ScheduleEvents.WithRecord(ScheduleEvents.Between(paused, fired), ScheduleTable.Serialize(fired));
        Assert.True(ScheduleEvents.IsStart(snapshot));
        Assert.Equal("fired", snapshot.Kind);
        var record = Assert.IsType<JsonObject>(snapshot.Record);
        Assert.DoesNotContain(record, p => p.Value is null); // nulls and computed properties are left out
        Assert.False(record.ContainsKey("lastTaskId"));
        Assert.False(ScheduleEvents.IsStart(ScheduleEvents.Between(r, paused)));
        Assert.True(ScheduleEvents.IsStart(ScheduleEvents.Between(null, r)));
        Assert.True(ScheduleEvents.IsStart(ScheduleEvents.Between(r, null)));

        // A patch before the snapshot that would not apply (its target is gone: retention removed the events before it).
        var garbage = new ScheduleEvent("paused", 2, new JsonObject { ["paused"] = true });
        Assert.Equal(Json(fired), Json(ScheduleEvents.Fold([garbage, snapshot])));
        var resumed = fired with { Paused = false, Version = 4 };
        Assert.Equal(Json(resumed), Json(ScheduleEvents.Fold([garbage, snapshot, ScheduleEvents.Between(fired, resumed)])));

        // An event as an older version stored it (no "record" key) reads as a plain patch.
        var old = ScheduleTable.DeserializeEvent("""{"kind":"paused","version":2,"patch":{"paused":true,"version":2}}"""u8.ToArray());
        Assert.Null(old.Record);
        Assert.Equal(Json(paused), Json(ScheduleEvents.Fold([ScheduleEvents.Between(null, r), old])));
        Assert.DoesNotContain("record", System.Text.Encoding.UTF8.GetString(ScheduleTable.SerializeEvent(ScheduleEvents.Between(r, paused))));
    }

    private static ScheduleRecord Mutate(ScheduleRecord r, Random random)
    {
        for (var n = random.Next(1, 4); n > 0; n--)
        {
            var at = T0.AddSeconds(random.Next(100_000));
            r = random.Next(12) switch
            {
                0 => r with { Paused = !r.Paused },
                1 => r with { NextFireAt = random.Next(5) == 0 ? null : at },
                2 => r.WithRuns(Enumerable.Range(0, random.Next(0, 60)).Select(k => Run(random.Next(100_000) + k))),
                3 => r with { Runs = r.Runs.Skip(random.Next(3)).ToList() },
                4 => r with { Requests = [.. r.Requests, new ScheduleRequest(random.Next(2) == 0 ? "run-now" : "backfill", at, at.AddHours(-1), at)] },
                5 => r with { Requests = random.Next(2) == 0 ? [] : r.Requests.Reverse().ToList() },
                6 => r with { InputJson = random.Next(3) == 0 ? null : $$"""{"n":{{random.Next(100)}},"s":"x"}""" },
                7 => r with { Retry = random.Next(3) == 0 ? null : new RetryPolicy { MaxAttempts = random.Next(1, 9) } },
                8 => r with { BufferedSlot = random.Next(2) == 0 ? null : at },
                9 => r with { TimeoutMs = random.Next(2) == 0 ? null : random.Next(1, 100_000) },
                10 => r with { Expression = $"*/{random.Next(1, 60)}m", AnchoredAt = at },
                _ => r with { Overlap = (ScheduleOverlap)random.Next(4), CatchUp = (ScheduleCatchUp)random.Next(3) },
            };
        }
        return r;
    }

    [Fact]
    public void A_fired_slot_stores_its_new_run_and_pointer_not_the_record()
    {
        var full = Created();
        for (var m = 1; m <= ScheduleRecord.MaxRuns; m++) full = full.WithRuns([Run(m)]);
        var fired = full.WithRuns([Run(100)]) with { NextFireAt = T0.AddMinutes(101), Version = full.Version + 1 };

        var e = ScheduleEvents.Between(full, fired);
        var patch = Assert.IsType<JsonObject>(e.Patch);
        Assert.Equal(["nextFireAt", "runs", "version"], patch.Select(p => p.Key).Order());
        var runs = Assert.IsType<JsonObject>(patch["runs"]);
        Assert.Single(runs["$head"]!.AsArray()); // the new run; the 49 kept are a range of the old list
        Assert.True(ScheduleTable.SerializeEvent(e).Length < ScheduleTable.Serialize(fired).Length / 10);
        Assert.Equal(Json(fired), Json(ScheduleEvents.Apply(full, e)));
    }

    [Fact]
    public void Summaries_say_what_happened()
    {
        var r = Created();
        string Say(ScheduleRecord? before, ScheduleRecord? after) => ScheduleEvents.Summarize(ScheduleEvents.Between(before, after), T0);

        Assert.Equal("created: */1m running hello", Say(null, r));
        Assert.Equal("paused", Say(r, r with { Paused = true, Version = 2 }));
        Assert.Equal("updated expression */5m", Say(r, r with { Expression = "*/5m", Version = 2 }));
        Assert.Equal("updated cleared timeoutMs", Say(r, r with { TimeoutMs = null, Version = 2 }));
        var fired = Say(r, r.WithRuns([Run(1)]) with { NextFireAt = T0.AddMinutes(2), Version = 2 });
        Assert.Equal($"fired slot 12:01:00Z → task {SchedulePlanner.TaskIdFor("s", T0.AddMinutes(1))}", fired);
        Assert.Equal("requested run-now", Say(r, r with { Requests = [new ScheduleRequest("run-now", T0)], Version = 2 }));
        Assert.Equal("skipped, next 12:05:00Z", Say(r, r with { NextFireAt = T0.AddMinutes(5), Version = 2 }));
        Assert.Equal("deleted", Say(r, null));
    }
}
