using Praison.Actors.Lifecycle;
using Praison.Actors.Messages;
using Xunit;

namespace Praison.Actors.Tests.Lifecycle;

public class TaskLifecycleTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static TaskSpec Spec(TaskKind kind = TaskKind.Recipe, bool rerun = false, long timeoutMs = 60_000) =>
        new("t1", kind, "r", kind == TaskKind.Recipe ? "r" : null, "s", null, null, timeoutMs, 1000, null, rerun);

    private static TaskState Run(TaskState state, TaskIntent intent, DateTimeOffset now)
    {
        var d = TaskLifecycle.Decide(state, intent, now);
        var p = Assert.IsType<TaskDecision.Persist>(d);
        return state.Apply(p.Event);
    }

    private static TaskState Pending(TaskSpec? spec = null) => Run(TaskState.Empty("t1"), new TaskIntent.Submit(spec ?? Spec()), T0);

    [Fact]
    public void Submit_start_complete_walks_the_lifecycle()
    {
        var s = Pending();
        Assert.Equal(BackgroundTaskStatus.Pending, s.Status);
        Assert.Equal(T0, s.SubmittedAt);
        s = Run(s, new TaskIntent.Start(), T0.AddSeconds(1));
        Assert.Equal(BackgroundTaskStatus.Running, s.Status);
        Assert.Equal(1, s.Attempt);
        Assert.Equal(T0.AddSeconds(61), s.Deadline);
        s = Run(s, new TaskIntent.Complete("42"), T0.AddSeconds(2));
        Assert.Equal(BackgroundTaskStatus.Completed, s.Status);
        Assert.Equal("42", s.ResultJson);
        Assert.Equal(T0.AddSeconds(3), s.CleanupAt);
    }

    [Fact]
    public void Nothing_but_submit_is_accepted_before_the_task_exists()
    {
        var empty = TaskState.Empty("t1");
        Assert.False(empty.Exists);
        Assert.IsType<TaskDecision.Refuse>(TaskLifecycle.Decide(empty, new TaskIntent.Start(), T0));
        Assert.IsType<TaskDecision.Refuse>(TaskLifecycle.Decide(empty, new TaskIntent.Cancel("x"), T0));
        Assert.IsType<TaskDecision.Refuse>(TaskLifecycle.Decide(Pending(), new TaskIntent.Submit(Spec()), T0));
    }

    [Fact]
    public void A_pending_task_can_be_cancelled_but_not_completed()
    {
        var s = Pending();
        Assert.IsType<TaskDecision.Refuse>(TaskLifecycle.Decide(s, new TaskIntent.Complete(null), T0));
        s = Run(s, new TaskIntent.Cancel("by user"), T0);
        Assert.Equal(BackgroundTaskStatus.Cancelled, s.Status);
        Assert.Null(s.FirstStartedAt);
    }

    [Fact]
    public void A_terminal_task_refuses_every_change()
    {
        var done = Run(Run(Pending(), new TaskIntent.Start(), T0), new TaskIntent.Fail(new TaskError(TaskErrorKind.Exception, "boom")), T0);
        foreach (TaskIntent i in new TaskIntent[] { new TaskIntent.Start(), new TaskIntent.Cancel("x"), new TaskIntent.Complete("1"), new TaskIntent.TimeOut() })
        {
            var refuse = Assert.IsType<TaskDecision.Refuse>(TaskLifecycle.Decide(done, i, T0));
            Assert.Contains("already failed", refuse.Reason);
        }
        Assert.IsType<TaskDecision.None>(TaskLifecycle.Decide(done, new TaskIntent.Recover(), T0));
    }

    [Fact]
    public void Timeout_is_refused_before_the_deadline_and_fails_the_task_after_it()
    {
        var running = Run(Pending(Spec(timeoutMs: 5000)), new TaskIntent.Start(), T0);
        Assert.IsType<TaskDecision.Refuse>(TaskLifecycle.Decide(running, new TaskIntent.TimeOut(), T0.AddSeconds(4.9)));
        var s = Run(running, new TaskIntent.TimeOut(), T0.AddSeconds(5));
        Assert.Equal(BackgroundTaskStatus.Failed, s.Status);
        Assert.Equal(TaskErrorKind.Timeout, s.Error!.Kind);
    }

    [Fact]
    public void A_recovered_running_delegate_fails_as_interrupted()
    {
        var running = Run(Pending(Spec(TaskKind.Delegate)), new TaskIntent.Start(), T0);
        var s = Run(running, new TaskIntent.Recover(), T0.AddSeconds(1));
        Assert.Equal(BackgroundTaskStatus.Failed, s.Status);
        Assert.Equal(TaskErrorKind.Interrupted, s.Error!.Kind);
        Assert.Contains("cannot be resumed", s.Error.Message);
    }

    [Fact]
    public void A_recovered_running_recipe_fails_unless_it_declares_rerun()
    {
        var plain = Run(Run(Pending(Spec(rerun: false)), new TaskIntent.Start(), T0), new TaskIntent.Recover(), T0.AddSeconds(1));
        Assert.Equal(TaskErrorKind.Interrupted, plain.Error!.Kind);
        Assert.Contains("on_restart: rerun", plain.Error.Message);

        var rerun = Run(Run(Pending(Spec(rerun: true)), new TaskIntent.Start(), T0), new TaskIntent.Recover(), T0.AddSeconds(1));
        Assert.Equal(BackgroundTaskStatus.Pending, rerun.Status);
        var again = Run(rerun, new TaskIntent.Start(), T0.AddSeconds(2));
        Assert.Equal(2, again.Attempt);
        Assert.Equal(T0, again.FirstStartedAt); // the deadline still counts from the first start
        Assert.Equal(T0.AddSeconds(60), again.Deadline);
    }

    [Fact]
    public void A_rerun_never_gets_a_fresh_timeout()
    {
        var rerun = Run(Run(Pending(Spec(rerun: true, timeoutMs: 10_000)), new TaskIntent.Start(), T0), new TaskIntent.Recover(), T0.AddSeconds(1));
        var s = Run(rerun, new TaskIntent.Start(), T0.AddSeconds(11));
        Assert.Equal(BackgroundTaskStatus.Failed, s.Status);
        Assert.Equal(TaskErrorKind.Timeout, s.Error!.Kind);

        var late = Run(Run(Pending(Spec(rerun: true, timeoutMs: 10_000)), new TaskIntent.Start(), T0), new TaskIntent.Recover(), T0.AddSeconds(30));
        Assert.Equal(TaskErrorKind.Timeout, late.Error!.Kind);
    }

    [Fact]
    public void A_recovered_pending_recipe_needs_no_event_but_a_pending_delegate_fails()
    {
        Assert.IsType<TaskDecision.None>(TaskLifecycle.Decide(Pending(), new TaskIntent.Recover(), T0));
        var s = Run(Pending(Spec(TaskKind.Delegate)), new TaskIntent.Recover(), T0);
        Assert.Equal(BackgroundTaskStatus.Failed, s.Status);
        Assert.Equal(TaskErrorKind.Interrupted, s.Error!.Kind);
        Assert.Contains("before this task started", s.Error.Message);
    }

    [Fact]
    public void Remove_deletes_a_finished_task_refuses_an_active_one_and_cancels_it_first_when_asked()
    {
        var done = Run(Run(Pending(), new TaskIntent.Start(), T0), new TaskIntent.Complete("1"), T0);
        Assert.IsType<TaskDecision.Delete>(TaskLifecycle.Decide(done, new TaskIntent.Remove(CancelIfActive: false), T0));

        var reject = Assert.IsType<TaskDecision.Reject>(TaskLifecycle.Decide(Pending(), new TaskIntent.Remove(CancelIfActive: false), T0));
        Assert.Contains("is pending; cancel it first", reject.Reason);

        var cancelled = Run(Pending(), new TaskIntent.Remove(CancelIfActive: true), T0);
        Assert.Equal(BackgroundTaskStatus.Cancelled, cancelled.Status);
        Assert.IsType<TaskDecision.Refuse>(TaskLifecycle.Decide(TaskState.Empty("t1"), new TaskIntent.Remove(true), T0));
    }

    [Fact]
    public void A_process_that_does_not_execute_never_cancels_or_removes_a_running_task_but_may_a_pending_one()
    {
        var running = Run(Pending(), new TaskIntent.Start(), T0);
        var cancel = Assert.IsType<TaskDecision.Reject>(TaskLifecycle.Decide(running, new TaskIntent.Cancel("x"), T0, executes: false));
        Assert.Equal(TaskLifecycle.RunningElsewhereCancelMessage("t1"), cancel.Reason);
        var remove = Assert.IsType<TaskDecision.Reject>(TaskLifecycle.Decide(running, new TaskIntent.Remove(true), T0, executes: false));
        Assert.Contains("running in a host process; remove it through that host", remove.Reason);

        Assert.IsType<TaskDecision.Persist>(TaskLifecycle.Decide(running, new TaskIntent.Cancel("x"), T0, executes: true));
        var p = Assert.IsType<TaskDecision.Persist>(TaskLifecycle.Decide(Pending(), new TaskIntent.Cancel("x"), T0, executes: false));
        Assert.IsType<TaskCancelled>(p.Event);
    }

    [Fact]
    public void A_runs_ending_becomes_fail_cancel_or_complete()
    {
        var error = new TaskError(TaskErrorKind.Exception, "boom");
        Assert.Equal(new TaskIntent.Fail(error), TaskIntent.FromWork(new WorkFinished(1, null, error, false)));
        Assert.IsType<TaskIntent.Cancel>(TaskIntent.FromWork(new WorkFinished(1, null, null, true)));
        Assert.Equal(new TaskIntent.Complete("42"), TaskIntent.FromWork(new WorkFinished(1, "42", null, false)));
    }
}
