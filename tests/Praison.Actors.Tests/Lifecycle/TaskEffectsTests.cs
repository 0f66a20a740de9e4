using Praison.Actors.Lifecycle;
using Praison.Actors.Messages;
using Xunit;

namespace Praison.Actors.Tests.Lifecycle;

/// <summary>The reactions to each stored event, from the one pure function every actor uses.</summary>
public class TaskEffectsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly TaskSpec Spec = new("t1", TaskKind.Delegate, "n", null, null, null, null, 60_000, 10_000);

    private static (TaskState Before, TaskState After, TaskEffects Effects) Store(TaskState before, ITaskEvent e, bool removing = false)
    {
        var after = before.Apply(e);
        return (before, after, TaskEffects.Of(before, after, e, removing));
    }

    private static TaskState Pending => TaskState.Empty("t1").Apply(new TaskSubmitted(Spec, T0));

    private static TaskState Running => Pending.Apply(new TaskStarted(1, T0));

    [Fact]
    public void Submitted_answers_the_submitter_and_queues_the_task_and_nothing_else()
    {
        var (_, _, fx) = Store(TaskState.Empty("t1"), new TaskSubmitted(Spec, T0));
        Assert.Equal(new TaskEffects(TaskReplyEffect.Accepted, AnswerWaiters: false, Publish: false, Enqueue: true, FreeSlot: false,
            StartWork: false, StopWork: false, CleanupAt: null, DeleteNow: false), fx);
    }

    [Fact]
    public void Started_runs_the_work_and_tells_subscribers()
    {
        var (_, _, fx) = Store(Pending, new TaskStarted(1, T0));
        Assert.True(fx.StartWork);
        Assert.True(fx.Publish);
        Assert.False(fx.Enqueue || fx.FreeSlot || fx.AnswerWaiters || fx.StopWork);
        Assert.Equal(TaskReplyEffect.None, fx.Reply);
    }

    [Fact]
    public void Requeued_after_a_restart_queues_again_and_tells_subscribers()
    {
        var (_, _, fx) = Store(Running, new TaskRequeued("restart", T0));
        Assert.True(fx.Enqueue);
        Assert.True(fx.Publish);
        Assert.False(fx.StartWork || fx.FreeSlot || fx.AnswerWaiters);
    }

    [Fact]
    public void Completed_answers_waiters_frees_the_slot_stops_the_work_and_plans_the_cleanup()
    {
        var (_, after, fx) = Store(Running, new TaskCompleted("1", T0.AddSeconds(5)));
        Assert.True(fx.AnswerWaiters);
        Assert.True(fx.Publish);
        Assert.True(fx.FreeSlot);
        Assert.True(fx.StopWork);
        Assert.Equal(T0.AddSeconds(15), fx.CleanupAt);
        Assert.Equal(after.CleanupAt, fx.CleanupAt);
        Assert.False(fx.DeleteNow);
        Assert.Equal(TaskReplyEffect.None, fx.Reply);
    }

    [Fact]
    public void Cancelled_while_pending_answers_the_canceller_and_leaves_the_queue_with_no_work_to_stop()
    {
        var (_, _, fx) = Store(Pending, new TaskCancelled("by user", T0));
        Assert.Equal(TaskReplyEffect.Cancelled, fx.Reply);
        Assert.True(fx.FreeSlot);
        Assert.True(fx.AnswerWaiters);
        Assert.False(fx.StopWork);
    }

    [Fact]
    public void Cancelled_to_be_removed_deletes_now_instead_of_planning_a_cleanup()
    {
        var (_, _, fx) = Store(Running, new TaskCancelled(TaskLifecycle.RemovedReason, T0), removing: true);
        Assert.True(fx.DeleteNow);
        Assert.Null(fx.CleanupAt);
        Assert.True(fx.StopWork);
        Assert.True(fx.AnswerWaiters);
    }

    [Fact]
    public void Failed_on_recovery_answers_no_requester()
    {
        var (_, _, fx) = Store(Running, new TaskFailed(new TaskError(TaskErrorKind.Interrupted, "x"), T0));
        Assert.Equal(TaskReplyEffect.None, fx.Reply);
        Assert.True(fx.AnswerWaiters && fx.FreeSlot);
    }

    [Fact]
    public void Every_terminal_event_of_a_task_with_a_webhook_notifies_the_dispatcher_and_nothing_else_does()
    {
        var hooked = TaskState.Empty("t1").Apply(new TaskSubmitted(Spec with { WebhookUrl = "https://example.com/h" }, T0));
        var running = hooked.Apply(new TaskStarted(1, T0));
        ITaskEvent[] terminal =
        [
            new TaskCompleted("1", T0), new TaskFailed(new TaskError(TaskErrorKind.Timeout, "late"), T0), new TaskCancelled("asked", T0),
        ];
        foreach (var e in terminal)
        {
            Assert.True(Store(running, e).Effects.NotifyWebhook, e.GetType().Name);
            Assert.False(Store(Running, e).Effects.NotifyWebhook, e.GetType().Name + " without a webhook");
        }
        Assert.True(Store(hooked, new TaskCancelled("while queued", T0)).Effects.NotifyWebhook);
        Assert.False(Store(hooked, new TaskStarted(1, T0)).Effects.NotifyWebhook);
        Assert.False(Store(TaskState.Empty("t1"), new TaskSubmitted(Spec with { WebhookUrl = "https://example.com/h" }, T0)).Effects.NotifyWebhook);
    }
}
