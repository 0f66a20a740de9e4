using System.Collections.Concurrent;
using Akka.Actor;
using Microsoft.Extensions.Time.Testing;
using Praison.Actors.Messages;
using Praison.Actors.Scheduling;
using Xunit;
using Xunit.Abstractions;

namespace Praison.Actors.Tests.Scheduling;

/// <summary>
/// The scheduler end to end on the ephemeral store: a real runner runs the recipe; time is a FakeTimeProvider the
/// test advances, and a <see cref="SchedulerTick"/> makes the actor look (its own timer only decides when, in real time).
/// </summary>
public class SchedulerTests(ITestOutputHelper output) : RuntimeTestKit(output)
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(T0);
    private readonly ConcurrentQueue<string> _runs = new();
    private TaskCompletionSource _gate = CompletedGate();

    private static TaskCompletionSource CompletedGate()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        gate.SetResult();
        return gate;
    }

    private (BackgroundRunner Runner, ScheduleService Service) Start(bool withActor = true)
    {
        var runner = CreateRunner(recipes: Recipes(("name: job\n", async ctx =>
        {
            _runs.Enqueue(ctx.TaskId);
            await _gate.Task.WaitAsync(ctx.CancellationToken);
            return "done";
        })));
        var service = new ScheduleService(runner, ScheduleStore.For(null, Sys), _time, fires: true);
        if (withActor) service.Actor = Sys.ActorOf(SchedulerActor.Props(service));
        return (runner, service);
    }

    private async Task<IReadOnlyList<TaskStatusInfo>> TasksAsync(BackgroundRunner runner, int expected)
    {
        await AwaitAssertAsync(async () => Assert.Equal(expected, (await runner.ListAsync()).Count), Long);
        return await runner.ListAsync();
    }

    private async Task TickAfter(ScheduleService service, TimeSpan advance)
    {
        _time.Advance(advance);
        service.Actor!.Tell(SchedulerTick.Instance);
        await Task.Yield();
    }

    [Fact]
    public async Task History_on_the_ephemeral_store_lists_every_change_newest_first_and_outlives_a_delete()
    {
        var (_, service) = Start();
        var handle = await service.ScheduleAsync("h", "job", "*/10s");
        await handle.PauseAsync();
        await handle.UpdateAsync(new ScheduleUpdate { Expression = "*/5m" });
        await handle.ResumeAsync();
        await TickAfter(service, TimeSpan.FromMinutes(5));
        await AwaitAssertAsync(async () => Assert.Equal("fired", (await handle.HistoryAsync())[0].Kind), Long);
        Assert.True(await handle.DeleteAsync());

        var history = await handle.HistoryAsync();
        Assert.Equal(["deleted", "fired", "resumed", "updated", "paused", "created"], history.Select(h => h.Kind));
        Assert.Equal([6L, 5, 4, 3, 2, 1], history.Select(h => h.Sequence));
        Assert.Equal("updated expression */5m", history[3].Summary);
        Assert.Contains("→ task " + SchedulePlanner.TaskIdFor("h", T0.AddMinutes(5)), history[1].Summary);
        Assert.Equal(["deleted", "fired"], (await handle.HistoryAsync(2)).Select(h => h.Kind));
        await Assert.ThrowsAsync<ScheduleNotFoundException>(() => service.GetHandle("never").HistoryAsync());
        await Assert.ThrowsAsync<ScheduleException>(() => handle.HistoryAsync(0));

        // The name again continues the sequence.
        await service.ScheduleAsync("h", "job", "daily");
        var again = (await handle.HistoryAsync(1))[0];
        Assert.Equal((7L, "created"), (again.Sequence, again.Kind));
    }

    [Fact]
    public async Task Each_due_slot_submits_one_recipe_task_with_its_derived_id()
    {
        var (runner, service) = Start();
        var handle = await service.ScheduleAsync("every10", "job", "*/10s", new ScheduleOptions { Input = new { n = 1 } });
        Assert.Equal(T0.AddSeconds(10), (await handle.InfoAsync()).NextFireAt);

        await TickAfter(service, TimeSpan.FromSeconds(10));
        var tasks = await TasksAsync(runner, 1);
        Assert.Equal(SchedulePlanner.TaskIdFor("every10", T0.AddSeconds(10)), tasks[0].TaskId);
        Assert.Equal("job", tasks[0].RecipeName);
        await AwaitAssertAsync(async () => Assert.Equal(T0.AddSeconds(20), (await handle.InfoAsync()).NextFireAt), Long);
        // The first run must have ended: with the default overlap (skip) a slot due while it still runs is skipped.
        await AwaitAssertAsync(async () => Assert.Equal(BackgroundTaskStatus.Completed, (await runner.GetStatusAsync(tasks[0].TaskId)).Status), Long);

        await TickAfter(service, TimeSpan.FromSeconds(10));
        tasks = await TasksAsync(runner, 2);
        Assert.Contains(tasks, t => t.TaskId == SchedulePlanner.TaskIdFor("every10", T0.AddSeconds(20)));
        await AwaitAssertAsync(async () =>
        {
            var runs = await handle.RunsAsync();
            Assert.Equal([T0.AddSeconds(20), T0.AddSeconds(10)], runs.Select(r => r.SlotAt));
            Assert.All(runs, r => Assert.Equal(BackgroundTaskStatus.Completed, r.Status));
        }, Long);
    }

    [Fact]
    public async Task Fired_tasks_carry_their_schedule_name_and_list_filters_by_it()
    {
        var (runner, service) = Start();
        await service.ScheduleAsync("alpha", "job", "*/10s");
        await service.ScheduleAsync("beta", "job", "*/10s");
        await runner.RunBackgroundAsync("job", new RecipeRunOptions { TaskId = "direct" });

        await TickAfter(service, TimeSpan.FromSeconds(10));
        var tasks = await TasksAsync(runner, 3);
        Assert.Equal("alpha", tasks.Single(t => t.TaskId == SchedulePlanner.TaskIdFor("alpha", T0.AddSeconds(10))).ScheduleName);
        Assert.Null(tasks.Single(t => t.TaskId == "direct").ScheduleName);

        var alpha = await runner.ListAsync(new TaskQuery { ScheduleName = "alpha" });
        Assert.Equal([SchedulePlanner.TaskIdFor("alpha", T0.AddSeconds(10))], alpha.Select(t => t.TaskId));
        Assert.Empty(await runner.ListAsync(new TaskQuery { ScheduleName = "gamma" }));

        _time.Advance(TimeSpan.FromSeconds(1)); // the manual run fires after the slot's run
        var manual = await service.GetHandle("beta").TriggerAsync();
        Assert.Equal("beta", (await runner.GetStatusAsync(manual)).ScheduleName);
        await AwaitAssertAsync(async () =>
        {
            var runs = await service.GetHandle("beta").RunsAsync();
            Assert.Equal([manual, SchedulePlanner.TaskIdFor("beta", T0.AddSeconds(10))], runs.Select(r => r.TaskId));
            Assert.Equal(["manual", "slot"], runs.Select(r => r.Reason));
        }, Long);
    }

    [Fact]
    public async Task Update_changes_a_schedule_recomputes_its_next_slot_and_bad_input_changes_nothing()
    {
        var (runner, service) = Start();
        var handle = await service.ScheduleAsync("upd", "job", "*/10s");
        Assert.Equal(T0.AddSeconds(10), (await handle.InfoAsync()).NextFireAt);

        _time.Advance(TimeSpan.FromSeconds(3));
        var updated = await handle.UpdateAsync(new ScheduleUpdate
        {
            Expression = "*/1m", Timeout = TimeSpan.FromSeconds(30), Retry = new RetryPolicy { MaxAttempts = 4 }, Overlap = ScheduleOverlap.Allow,
            Input = new { n = 2 },
        });
        // The interval now counts from the update (whole seconds), so the next slot is a minute after it.
        Assert.Equal(("*/1m", T0.AddSeconds(63), TimeSpan.FromSeconds(30), 4, ScheduleOverlap.Allow, """{"n":2}"""),
            (updated.Expression, updated.NextFireAt, updated.Timeout, updated.MaxAttempts, updated.Overlap, updated.InputJson));

        var before = await handle.InfoAsync();
        await Assert.ThrowsAsync<ScheduleException>(() => handle.UpdateAsync(new ScheduleUpdate { Expression = "sometimes" }));
        await Assert.ThrowsAsync<ScheduleException>(() => handle.UpdateAsync(new ScheduleUpdate { TimeZone = "Mars/Base" }));
        await Assert.ThrowsAsync<ScheduleException>(() => handle.UpdateAsync(new ScheduleUpdate { Expression = "at:2020-01-01T00:00Z" }));
        await Assert.ThrowsAsync<ScheduleNotFoundException>(() => service.GetHandle("ghost").UpdateAsync(new ScheduleUpdate { Enabled = false }));
        Assert.Equal(before, await handle.InfoAsync());

        // The slot fires with the new settings: its task carries the retry policy.
        await TickAfter(service, TimeSpan.FromSeconds(60));
        var task = Assert.Single(await TasksAsync(runner, 1));
        Assert.Equal(SchedulePlanner.TaskIdFor("upd", T0.AddSeconds(63)), task.TaskId);
        Assert.Equal(4, task.MaxAttempts);

        var paused = await handle.UpdateAsync(new ScheduleUpdate { Enabled = false });
        Assert.True(paused.Paused);
        _time.Advance(TimeSpan.FromMinutes(5));
        var resumed = await handle.UpdateAsync(new ScheduleUpdate { Enabled = true });
        Assert.False(resumed.Paused);
        Assert.True(resumed.NextFireAt > _time.GetUtcNow()); // slots passed while paused are not caught up
    }

    [Fact]
    public async Task Update_clear_sets_settings_back_to_their_defaults_and_set_plus_clear_is_refused()
    {
        var (_, service) = Start(withActor: false);
        var handle = await service.ScheduleAsync("clr", "job", "daily", new ScheduleOptions
        {
            TimeZone = "Europe/Berlin", Input = new { n = 1 }, Timeout = TimeSpan.FromSeconds(30), Retry = new RetryPolicy { MaxAttempts = 3 },
            Jitter = TimeSpan.FromSeconds(5),
        });
        var before = await handle.InfoAsync();
        var refused = await Assert.ThrowsAsync<ScheduleException>(() =>
            handle.UpdateAsync(new ScheduleUpdate { Timeout = TimeSpan.FromSeconds(5), Clear = ScheduleFields.Timeout | ScheduleFields.Jitter }));
        Assert.Contains("Both set and cleared: timeout", refused.Message);
        Assert.Equal(before, await handle.InfoAsync());

        var cleared = await handle.UpdateAsync(new ScheduleUpdate { Clear = ScheduleFields.Timeout | ScheduleFields.Retry | ScheduleFields.Input });
        Assert.Equal((null, null, null, "Europe/Berlin", TimeSpan.FromSeconds(5)),
            (cleared.Timeout, cleared.MaxAttempts, cleared.InputJson, cleared.TimeZone, cleared.Jitter));
        cleared = await handle.UpdateAsync(new ScheduleUpdate { Clear = ScheduleFields.TimeZone | ScheduleFields.Jitter });
        Assert.Equal(("UTC", TimeSpan.Zero), (cleared.TimeZone, cleared.Jitter));
        Assert.Equal(_time.GetUtcNow().Date.AddDays(1), cleared.NextFireAt); // the next slot recomputed in UTC
    }

    [Fact]
    public async Task The_same_slot_looked_at_twice_is_one_task()
    {
        // A crash between firing and recording, or two hosts: the same record (same pointer) is looked at twice.
        var (runner, service) = Start(withActor: false);
        await service.ScheduleAsync("dup", "job", "*/1m");
        var record = await service.GetAsync("dup", default);
        _time.Advance(TimeSpan.FromMinutes(1));

        var first = await service.LookAsync(record, _time.GetUtcNow(), default);
        var second = await service.LookAsync(record, _time.GetUtcNow(), default); // stale version: its record write loses

        Assert.Equal(1, first.Fired);
        Assert.Equal(1, second.Fired); // it submitted again ...
        var tasks = await TasksAsync(runner, 1); // ... and found the task already there
        Assert.Equal(SchedulePlanner.TaskIdFor("dup", T0.AddMinutes(1)), tasks[0].TaskId);
        await AwaitAssertAsync(() => Assert.Single(_runs), Long);
        Assert.Equal(T0.AddMinutes(2), (await service.GetAsync("dup", default)).NextFireAt);
    }

    [Fact]
    public async Task Catch_up_after_downtime_follows_the_policy()
    {
        var (runner, service) = Start();
        await service.ScheduleAsync("skip", "job", "*/1m", new ScheduleOptions { CatchUp = ScheduleCatchUp.Skip });
        await service.ScheduleAsync("once", "job", "*/1m", new ScheduleOptions { CatchUp = ScheduleCatchUp.Once });
        await service.ScheduleAsync("all", "job", "*/1m", new ScheduleOptions
        {
            CatchUp = ScheduleCatchUp.All, Overlap = ScheduleOverlap.Allow, CatchUpWindow = TimeSpan.FromMinutes(4),
        });

        // Nothing looked for 10.5 minutes: slots 1..10 passed; 10 is 30 s late (on time), 1..9 missed.
        await TickAfter(service, TimeSpan.FromMinutes(10.5));
        var tasks = await TasksAsync(runner, 1 + 1 + 4);
        string Id(string name, int minute) => SchedulePlanner.TaskIdFor(name, T0.AddMinutes(minute));
        var ids = tasks.Select(t => t.TaskId).ToHashSet();
        Assert.Contains(Id("skip", 10), ids);
        Assert.Contains(Id("once", 10), ids);
        Assert.Equal(new[] { 7, 8, 9, 10 }.Select(m => Id("all", m)).ToHashSet(), ids.Where(i => i.StartsWith(Id("all", 0)[..21])).ToHashSet());

        // Missed by more than the grace: skip runs nothing, once runs one.
        await service.ScheduleAsync("skip2", "job", "*/5m", new ScheduleOptions { CatchUp = ScheduleCatchUp.Skip });
        await service.ScheduleAsync("once2", "job", "*/5m", new ScheduleOptions { CatchUp = ScheduleCatchUp.Once });
        await TickAfter(service, TimeSpan.FromMinutes(13));
        await AwaitAssertAsync(async () =>
        {
            Assert.Null((await runner.ListAsync()).FirstOrDefault(t => t.TaskId.StartsWith("sch-" + SchedulePlanner.NamePrefix("skip2"))));
            Assert.Single(await runner.ListAsync(), t => t.TaskId.StartsWith("sch-" + SchedulePlanner.NamePrefix("once2")));
        }, Long);
    }

    [Theory]
    [InlineData(ScheduleOverlap.Skip)]
    [InlineData(ScheduleOverlap.BufferOne)]
    [InlineData(ScheduleOverlap.Allow)]
    [InlineData(ScheduleOverlap.CancelPrevious)]
    public async Task A_slot_due_while_the_previous_run_is_unfinished_follows_the_overlap_policy(ScheduleOverlap overlap)
    {
        _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (runner, service) = Start();
        await service.ScheduleAsync("o", "job", "*/1m", new ScheduleOptions { Overlap = overlap });
        string Id(int minute) => SchedulePlanner.TaskIdFor("o", T0.AddMinutes(minute));

        await TickAfter(service, TimeSpan.FromMinutes(1));
        await AwaitAssertAsync(() => Assert.Single(_runs), Long); // slot 1 runs and waits on the gate
        await AwaitAssertAsync(async () => Assert.Equal(T0.AddMinutes(2), (await service.GetAsync("o", default)).NextFireAt), Long);
        await TickAfter(service, TimeSpan.FromMinutes(1)); // slot 2 is due while slot 1 runs
        await AwaitAssertAsync(async () => Assert.Equal(T0.AddMinutes(3), (await service.GetAsync("o", default)).NextFireAt), Long);

        switch (overlap)
        {
            case ScheduleOverlap.Skip:
                Assert.Single(await runner.ListAsync());
                break;
            case ScheduleOverlap.BufferOne:
                Assert.Single(await runner.ListAsync());
                Assert.Equal(T0.AddMinutes(2), (await service.GetAsync("o", default)).BufferedSlot);
                _gate.SetResult(); // slot 1 ends; the buffered slot 2 runs at the next look
                await AwaitAssertAsync(async () => Assert.Equal(BackgroundTaskStatus.Completed, (await runner.GetStatusAsync(Id(1))).Status), Long);
                await TickAfter(service, TimeSpan.FromSeconds(1));
                await AwaitAssertAsync(async () => Assert.Equal(BackgroundTaskStatus.Completed, (await runner.GetStatusAsync(Id(2))).Status), Long);
                Assert.Null((await service.GetAsync("o", default)).BufferedSlot);
                break;
            case ScheduleOverlap.Allow:
                await AwaitAssertAsync(() => Assert.Equal(2, _runs.Count), Long); // both run at once
                break;
            case ScheduleOverlap.CancelPrevious:
                await AwaitAssertAsync(async () => Assert.Equal(BackgroundTaskStatus.Cancelled, (await runner.GetStatusAsync(Id(1))).Status), Long);
                await AwaitAssertAsync(() => Assert.Equal(2, _runs.Count), Long);
                Assert.Equal(BackgroundTaskStatus.Running, (await runner.GetStatusAsync(Id(2))).Status);
                break;
        }
        _gate.TrySetResult();
    }

    [Fact]
    public async Task Pause_stops_firing_and_resume_starts_from_the_next_slot()
    {
        var (runner, service) = Start();
        var handle = await service.ScheduleAsync("p", "job", "*/1m");
        await handle.PauseAsync();
        await TickAfter(service, TimeSpan.FromMinutes(5.5));
        await handle.ResumeAsync();
        Assert.Equal(T0.AddMinutes(6), (await handle.InfoAsync()).NextFireAt); // the paused slots are not caught up
        await TickAfter(service, TimeSpan.FromMinutes(0.5));
        var tasks = await TasksAsync(runner, 1);
        Assert.Equal(SchedulePlanner.TaskIdFor("p", T0.AddMinutes(6)), tasks[0].TaskId);
    }

    [Fact]
    public async Task PauseAsync_returns_only_after_a_look_that_read_the_unpaused_row_has_submitted_everything()
    {
        // The race: a look reads the unpaused row, the pause is stored, the look goes on submitting. The pause must not
        // return before that look ends, so nothing is submitted after it returns.
        var (runner, service) = Start();
        var handle = await service.ScheduleAsync("inflight", "job", "*/1m",
            new ScheduleOptions { CatchUp = ScheduleCatchUp.All, Overlap = ScheduleOverlap.Allow });
        var first = SchedulePlanner.TaskIdFor("inflight", T0.AddMinutes(1));
        var second = SchedulePlanner.TaskIdFor("inflight", T0.AddMinutes(2));
        var submitted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var secondSubmitted = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        Task? pause = null;
        ScheduleService.AfterSlotSubmitted = async (taskId, _) =>
        {
            if (taskId == first)
            {
                submitted.TrySetResult();
                await release.Task; // the look holds here, between its two slots
            }
            else if (taskId == second) secondSubmitted.TrySetResult(Volatile.Read(ref pause)!.IsCompleted);
        };
        try
        {
            await TickAfter(service, TimeSpan.FromMinutes(2)); // two slots due: one look submits both
            await submitted.Task.WaitAsync(Long);
            Volatile.Write(ref pause, handle.PauseAsync());
            await AwaitAssertAsync(async () => Assert.True((await handle.InfoAsync()).Paused), Long); // stored
            release.TrySetResult();
            Assert.False(await secondSubmitted.Task.WaitAsync(Long), "the pause returned while a look of the unpaused row was still submitting");
            await pause!.WaitAsync(Long);
        }
        finally
        {
            ScheduleService.AfterSlotSubmitted = null;
            release.TrySetResult();
        }
        Assert.Equal(2, (await runner.ListAsync()).Count);
    }

    [Fact]
    public async Task Trigger_runs_now_and_backfill_runs_each_slot_of_a_range_once()
    {
        var (runner, service) = Start(withActor: false);
        var handle = await service.ScheduleAsync("b", "job", "hourly");
        _time.Advance(TimeSpan.FromHours(5));
        var manual = await handle.TriggerAsync();
        Assert.Equal(SchedulePlanner.TaskIdFor("b", _time.GetUtcNow(), manual: true), manual);

        var ids = await handle.BackfillAsync(T0, T0.AddHours(3));
        Assert.Equal([1, 2, 3], ids.Select(id => (int)((DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(id.Split('-')[^1])) - T0).TotalHours)));
        var again = await handle.BackfillAsync(T0.AddHours(2), T0.AddHours(4)); // slot 3 again, slot 4 new
        Assert.Equal(2, again.Count);
        var tasks = await TasksAsync(runner, 1 + 3 + 1);
        Assert.Contains(tasks, t => t.TaskId == manual);
        Assert.Equal(1 + 3 + 1, (await handle.StatsAsync()).Fired); // slot 3 backfilled twice is one run
        await Assert.ThrowsAsync<ScheduleException>(() => handle.BackfillAsync(T0, T0.AddHours(6))); // the future
    }

    [Fact]
    public async Task Bad_input_names_the_problem_and_stores_nothing()
    {
        var (_, service) = Start(withActor: false);
        async Task<string> Refused(string name, string recipe, string expression, ScheduleOptions? o = null) =>
            (await Assert.ThrowsAsync<ScheduleException>(() => service.ScheduleAsync(name, recipe, expression, o))).Message;

        Assert.Contains("Invalid schedule expression 'sometimes'", await Refused("a", "job", "sometimes"));
        Assert.Contains("Unknown time zone 'Nowhere/City'", await Refused("a", "job", "daily", new ScheduleOptions { TimeZone = "Nowhere/City" }));
        Assert.Contains("Unknown recipe 'nope'", await Refused("a", "nope", "daily"));
        Assert.Contains("is in the past", await Refused("a", "job", "at:2020-01-01T00:00Z"));
        Assert.Contains("schedule name", await Refused("bad name", "job", "daily"));
        Assert.Empty(await service.ListAsync());

        await service.ScheduleAsync("a", "job", "daily");
        Assert.Contains("already exists", await Refused("a", "job", "hourly"));
        Assert.Equal("daily", Assert.Single(await service.ListAsync()).Expression);
        await Assert.ThrowsAsync<ScheduleNotFoundException>(() => service.GetHandle("ghost").PauseAsync());
    }

    [Fact]
    public async Task A_one_shot_fires_once_and_then_has_no_next_slot()
    {
        var (runner, service) = Start();
        var handle = await service.ScheduleAsync("later", "job", "in 10 minutes");
        await TickAfter(service, TimeSpan.FromMinutes(10));
        await TasksAsync(runner, 1);
        await AwaitAssertAsync(async () => Assert.Null((await handle.InfoAsync()).NextFireAt), Long);
        await TickAfter(service, TimeSpan.FromMinutes(10));
        Assert.Single(await runner.ListAsync());
    }

    [Fact]
    public async Task The_runner_of_a_host_fires_its_schedules_through_its_own_scheduler()
    {
        var runner = CreateRunner(recipes: Recipes(("name: job\n", _ => Task.FromResult<object?>("ok"))));
        var handle = await runner.ScheduleAsync("soon", "job", "*/1s");
        Assert.Same(runner.Scheduler, runner.Scheduler);
        // Real time here: the host's scheduler fires the first slots within a few seconds.
        await AwaitAssertAsync(async () => Assert.NotEmpty(await handle.RunsAsync()), Long);
        Assert.True(await handle.DeleteAsync());
        Assert.Empty(await runner.Scheduler.ListAsync());
    }
}
