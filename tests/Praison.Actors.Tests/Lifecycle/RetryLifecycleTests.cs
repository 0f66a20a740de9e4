using Praison.Actors.Lifecycle;
using Praison.Actors.Messages;
using Praison.Actors.Persistence;
using Xunit;

namespace Praison.Actors.Tests.Lifecycle;

/// <summary>Retries in the pure core: which ending is retried, the stored wait, each attempt's own deadline, the end of the retries.</summary>
public class RetryLifecycleTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TaskError Boom = new(TaskErrorKind.Exception, "boom", "System.Exception", "at x");

    private static RetryPolicy Policy(int attempts = 3, RetryOn on = RetryOn.All, RetryBackoff backoff = RetryBackoff.Exponential) =>
        new() { MaxAttempts = attempts, RetryOn = on, Backoff = backoff, InitialDelay = TimeSpan.FromSeconds(10), MaxDelay = TimeSpan.FromSeconds(25) };

    private static TaskSpec Spec(RetryPolicy? retry, TaskKind kind = TaskKind.Recipe) =>
        new("t1", kind, "r", kind == TaskKind.Recipe ? "r" : null, null, null, null, 60_000, 1000, Retry: retry);

    private static (TaskState State, ITaskEvent Event) Run(TaskState state, TaskIntent intent, DateTimeOffset now)
    {
        var p = Assert.IsType<TaskDecision.Persist>(TaskLifecycle.Decide(state, intent, now));
        return (state.Apply(p.Event), p.Event);
    }

    private static TaskState Running(RetryPolicy? retry, DateTimeOffset at)
    {
        var s = Run(TaskState.Empty("t1"), new TaskIntent.Submit(Spec(retry)), T0).State;
        return Run(s, new TaskIntent.Start(), at).State;
    }

    [Fact]
    public void A_failed_attempt_with_attempts_left_stores_its_wait_and_goes_back_to_pending()
    {
        var (s, e) = Run(Running(Policy(), T0), new TaskIntent.Fail(Boom), T0.AddSeconds(5));
        var retry = Assert.IsType<TaskRetryScheduled>(e);
        Assert.Equal(1, retry.Attempt);
        Assert.Equal(Boom, retry.Error);
        Assert.Equal(T0.AddSeconds(15), retry.NextAttemptAt); // 10 s after the failure
        Assert.Equal(BackgroundTaskStatus.Pending, s.Status);
        Assert.True(s.WaitingForRetry);
        Assert.Equal([Boom], s.AttemptErrors);
        Assert.Null(s.Deadline);
        var info = s.ToInfo();
        Assert.Equal((1, 3, T0.AddSeconds(15)), (info.Attempt, info.MaxAttempts, info.NextAttemptAt));
        Assert.Equal(Boom, info.LastError);
        Assert.Null(info.Error); // not failed: only the attempt did
    }

    [Fact]
    public void Each_attempt_has_its_own_start_deadline_and_number_and_the_first_start_stays()
    {
        var s = Run(Running(Policy(), T0), new TaskIntent.Fail(Boom), T0.AddSeconds(5)).State;
        var (second, e) = Run(s, new TaskIntent.Start(), T0.AddSeconds(20));
        Assert.Equal(2, Assert.IsType<TaskStarted>(e).Attempt);
        Assert.Equal(T0.AddSeconds(80), second.Deadline); // 60 s from this attempt's start
        Assert.Equal(T0, second.FirstStartedAt);
        Assert.Null(second.NextAttemptAt);
        Assert.Equal([Boom], second.AttemptErrors);
    }

    [Fact]
    public void The_last_attempt_failing_fails_the_task_with_retries_exhausted_and_keeps_every_error()
    {
        var s = Running(Policy(attempts: 2), T0);
        s = Run(s, new TaskIntent.Fail(Boom), T0.AddSeconds(1)).State;
        s = Run(s, new TaskIntent.Start(), T0.AddSeconds(11)).State;
        var last = new TaskError(TaskErrorKind.Exception, "again", "System.InvalidOperationException");
        var (done, e) = Run(s, new TaskIntent.Fail(last), T0.AddSeconds(12));
        Assert.IsType<TaskRetriesExhausted>(e);
        Assert.Equal(BackgroundTaskStatus.Failed, done.Status);
        Assert.Equal(TaskErrorKind.RetriesExhausted, done.Error!.Kind);
        Assert.Contains("again", done.Error.Message);
        Assert.Equal("System.InvalidOperationException", done.Error.ErrorType);
        Assert.Equal([Boom, last], done.AttemptErrors);
        Assert.Equal(T0.AddSeconds(13), done.CleanupAt);
    }

    [Fact]
    public void A_timeout_is_retried_only_when_retry_on_names_it()
    {
        var timedOut = T0.AddSeconds(61);
        Assert.IsType<TaskRetryScheduled>(Run(Running(Policy(on: RetryOn.Timeout), T0), new TaskIntent.TimeOut(), timedOut).Event);
        var failed = Assert.IsType<TaskFailed>(Run(Running(Policy(on: RetryOn.Failed), T0), new TaskIntent.TimeOut(), timedOut).Event);
        Assert.Equal(TaskErrorKind.Timeout, failed.Error.Kind);
        Assert.IsType<TaskFailed>(Run(Running(Policy(on: RetryOn.Timeout), T0), new TaskIntent.Fail(Boom), T0.AddSeconds(1)).Event);
    }

    [Fact]
    public void Without_a_policy_or_with_one_attempt_a_failure_is_plain()
    {
        Assert.IsType<TaskFailed>(Run(Running(null, T0), new TaskIntent.Fail(Boom), T0).Event);
        Assert.IsType<TaskFailed>(Run(Running(Policy(attempts: 1), T0), new TaskIntent.Fail(Boom), T0).Event);
    }

    [Fact]
    public void An_interruption_is_never_retried()
    {
        var interrupted = new TaskError(TaskErrorKind.Interrupted, "gone");
        Assert.IsType<TaskFailed>(Run(Running(Policy(), T0), new TaskIntent.Fail(interrupted), T0).Event);
    }

    [Fact]
    public void Cancel_during_the_wait_cancels_the_task()
    {
        var s = Run(Running(Policy(), T0), new TaskIntent.Fail(Boom), T0.AddSeconds(1)).State;
        var (cancelled, e) = Run(s, new TaskIntent.Cancel("stop"), T0.AddSeconds(2));
        Assert.IsType<TaskCancelled>(e);
        Assert.Equal(BackgroundTaskStatus.Cancelled, cancelled.Status);
        Assert.False(cancelled.WaitingForRetry);
    }

    [Fact]
    public void Recovering_a_task_that_waits_for_its_retry_changes_nothing_so_the_stored_wait_goes_on()
    {
        var s = Run(Running(Policy(), T0), new TaskIntent.Fail(Boom), T0.AddSeconds(1)).State;
        Assert.IsType<TaskDecision.None>(TaskLifecycle.Decide(s, new TaskIntent.Recover(), T0.AddSeconds(3)));
        Assert.Equal(T0.AddSeconds(11), s.NextAttemptAt);
    }

    [Fact]
    public void A_rerun_after_a_restart_past_the_attempts_deadline_is_retried_as_a_timeout()
    {
        var spec = Spec(Policy()) with { RerunOnRestart = true };
        var s = Run(TaskState.Empty("t1"), new TaskIntent.Submit(spec), T0).State;
        s = Run(s, new TaskIntent.Start(), T0).State;
        var (after, e) = Run(s, new TaskIntent.Recover(), T0.AddSeconds(61));
        var retry = Assert.IsType<TaskRetryScheduled>(e);
        Assert.Equal(TaskErrorKind.Timeout, retry.Error.Kind);
        Assert.True(after.WaitingForRetry);
    }

    [Theory]
    [InlineData(RetryBackoff.Exponential, 1, 10)]
    [InlineData(RetryBackoff.Exponential, 2, 20)]
    [InlineData(RetryBackoff.Exponential, 3, 25)] // capped by MaxDelay
    [InlineData(RetryBackoff.Exponential, 60, 25)]
    [InlineData(RetryBackoff.Fixed, 1, 10)]
    [InlineData(RetryBackoff.Fixed, 5, 10)]
    public void Backoff_grows_as_the_policy_says(RetryBackoff backoff, int attempt, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), TaskLifecycle.RetryDelay(Policy(backoff: backoff), "t1", attempt));

    [Fact]
    public void Jitter_shortens_the_wait_by_at_most_half_the_same_way_every_time()
    {
        var policy = Policy() with { Jitter = true };
        var delays = Enumerable.Range(0, 50).Select(i => TaskLifecycle.RetryDelay(policy, "task-" + i, 1)).ToList();
        Assert.All(delays, d => Assert.InRange(d, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10)));
        Assert.True(delays.Distinct().Count() > 10, "jitter should spread tasks apart");
        Assert.Equal(delays[7], TaskLifecycle.RetryDelay(policy, "task-7", 1));
    }

    [Fact]
    public void A_retry_frees_the_slot_stops_the_work_and_keeps_waiters_waiting()
    {
        var before = Running(Policy(), T0);
        var e = new TaskRetryScheduled(1, Boom, T0.AddSeconds(10), T0);
        var fx = TaskEffects.Of(before, before.Apply(e), e);
        Assert.True(fx.FreeSlot && fx.StopWork && fx.Publish);
        Assert.False(fx.AnswerWaiters || fx.Enqueue || fx.StartWork);
        Assert.Equal(T0.AddSeconds(10), fx.RetryAt);
        Assert.Null(fx.CleanupAt);

        var x = new TaskRetriesExhausted(3, Boom, T0);
        var end = TaskEffects.Of(before, before.Apply(x), x);
        Assert.True(end.AnswerWaiters && end.FreeSlot);
        Assert.Null(end.RetryAt);
    }

    [Fact]
    public void The_row_shows_the_wait_and_appends_each_attempts_error()
    {
        var retry = TaskRowChange.Of("t1", 3, new TaskRetryScheduled(1, Boom, T0.AddSeconds(10), T0));
        Assert.Equal((BackgroundTaskStatus.Pending, 1, T0.AddSeconds(10)), (retry.Status, retry.Attempt!.Value, retry.NextAttemptAt!.Value));
        var last = new TaskError(TaskErrorKind.Timeout, "late");
        var exhausted = TaskRowChange.Of("t1", 5, new TaskRetriesExhausted(2, last, T0.AddSeconds(30)));
        Assert.Equal(TaskErrorKind.RetriesExhausted, exhausted.Error!.Kind);
        var both = TaskRowChange.Coalesce([retry, TaskRowChange.Of("t1", 4, new TaskStarted(2, T0.AddSeconds(10))), exhausted]).Single();
        Assert.Equal([Boom, last], TaskRowChange.ParseErrorLines(both.AttemptErrorLines));
        Assert.Equal(BackgroundTaskStatus.Failed, both.Status);
    }

    [Fact]
    public void Invalid_policies_are_named()
    {
        Assert.Contains("MaxAttempts", new RetryPolicy { MaxAttempts = 0 }.Problem("Retry"));
        Assert.Contains("MaxDelay", new RetryPolicy { InitialDelay = TimeSpan.FromMinutes(10), MaxDelay = TimeSpan.FromMinutes(1) }.Problem("Retry"));
        Assert.Null(new RetryPolicy().Problem("Retry"));
    }
}
