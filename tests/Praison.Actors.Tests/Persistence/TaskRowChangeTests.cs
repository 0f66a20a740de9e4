using Praison.Actors.Lifecycle;
using Praison.Actors.Messages;
using Praison.Actors.Persistence;
using Xunit;

namespace Praison.Actors.Tests.Persistence;

/// <summary>What each stored event changes in the task table, without a database.</summary>
public class TaskRowChangeTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 2, 8, 0, 0, TimeSpan.Zero);
    private static readonly TaskSpec Spec = new("t1", TaskKind.Recipe, "hello", "hello", "s1", "{}", null, 300_000, 60_000);

    [Fact]
    public void Submitted_inserts_a_pending_row_with_the_spec()
    {
        var c = TaskRowChange.Of("t1", 1, new TaskSubmitted(Spec, At));
        Assert.True(c.Inserts);
        Assert.Equal(BackgroundTaskStatus.Pending, c.Status);
        Assert.Equal(Spec, c.Spec);
        Assert.Equal(At, c.SubmittedAt);
        Assert.Equal(0, c.Attempt);
        Assert.Equal(1, c.SequenceNr);
        Assert.Null(c.CleanupAt);
    }

    [Fact]
    public void Started_sets_running_attempt_and_start_and_updates()
    {
        var c = TaskRowChange.Of("t1", 2, new TaskStarted(2, At.AddSeconds(1)));
        Assert.False(c.Inserts);
        Assert.Equal(BackgroundTaskStatus.Running, c.Status);
        Assert.Equal(2, c.Attempt);
        Assert.Equal(At.AddSeconds(1), c.StartedAt);
        Assert.Null(c.FinishedAt);
    }

    [Fact]
    public void Requeued_sets_pending_and_nothing_else()
    {
        var c = TaskRowChange.Of("t1", 3, new TaskRequeued("restart", At));
        Assert.Equal(BackgroundTaskStatus.Pending, c.Status);
        Assert.Null(c.Attempt);
        Assert.Null(c.StartedAt);
        Assert.Null(c.FinishedAt);
    }

    [Fact]
    public void Terminal_events_set_status_finish_error_and_result_size()
    {
        var completed = TaskRowChange.Of("t1", 3, new TaskCompleted("\"héllo\"", At.AddSeconds(2)));
        Assert.Equal(BackgroundTaskStatus.Completed, completed.Status);
        Assert.Equal(At.AddSeconds(2), completed.FinishedAt);
        Assert.Equal(8, completed.ResultBytes); // UTF-8: é is two bytes
        Assert.Null(completed.Error);

        Assert.Equal(0, TaskRowChange.Of("t1", 3, new TaskCompleted(null, At)).ResultBytes);

        var error = new TaskError(TaskErrorKind.Timeout, "too slow");
        var failed = TaskRowChange.Of("t1", 3, new TaskFailed(error, At.AddSeconds(3)));
        Assert.Equal(BackgroundTaskStatus.Failed, failed.Status);
        Assert.Equal(error, failed.Error);
        Assert.Equal(At.AddSeconds(3), failed.FinishedAt);
        Assert.Null(failed.ResultBytes);

        var cancelled = TaskRowChange.Of("t1", 2, new TaskCancelled("asked", At.AddSeconds(4)));
        Assert.Equal(BackgroundTaskStatus.Cancelled, cancelled.Status);
        Assert.Equal(At.AddSeconds(4), cancelled.FinishedAt);
    }

    [Fact]
    public void Events_of_one_task_in_one_batch_coalesce_to_what_the_state_holds()
    {
        ITaskEvent[] events =
        [
            new TaskSubmitted(Spec, At), new TaskStarted(1, At.AddSeconds(1)), new TaskRequeued("restart", At.AddSeconds(2)),
            new TaskStarted(2, At.AddSeconds(3)), new TaskFailed(new TaskError(TaskErrorKind.Exception, "boom"), At.AddSeconds(4)),
        ];
        var other = TaskRowChange.Of("t2", 1, new TaskStarted(1, At));
        var changes = events.Select((e, i) => TaskRowChange.Of("t1", i + 1, e)).Prepend(other).ToList();

        var coalesced = TaskRowChange.Coalesce(changes);

        Assert.Equal(new[] { "t2", "t1" }, coalesced.Select(c => c.TaskId));
        Assert.Same(other, coalesced[0]);
        var row = coalesced[1];
        var state = events.Aggregate(TaskState.Empty("t1"), (s, e) => s.Apply(e));
        Assert.True(row.Inserts);
        Assert.Equal(5, row.SequenceNr);
        Assert.Equal(state.Status, row.Status);
        Assert.Equal(state.Attempt, row.Attempt);
        Assert.Equal(state.FirstStartedAt, row.StartedAt); // the first start stays
        Assert.Equal(state.FinishedAt, row.FinishedAt);
        Assert.Equal(state.Error, row.Error);
        Assert.Equal(state.CleanupAt, row.CleanupAt);
    }
}
