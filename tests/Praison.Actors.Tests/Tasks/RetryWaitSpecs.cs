using Akka.Actor;
using Akka.TestKit;
using Praison.Actors.Lifecycle;
using Praison.Actors.Messages;
using Praison.Actors.Persistence;
using Praison.Actors.Tasks;
using Xunit;
using Xunit.Abstractions;

namespace Praison.Actors.Tests.Tasks;

/// <summary>
/// The stored wait between two attempts, with the journal as a probe: the retry is stored before anything else
/// happens, the slot is free meanwhile, a restart resumes the wait from the stored time (neither restarting nor
/// skipping it), and a cancel during the wait cancels the task.
/// </summary>
public class RetryWaitSpecs(ITestOutputHelper output) : RuntimeTestKit(output)
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(300);

    private static readonly RetryPolicy HourLong = new() { MaxAttempts = 3, InitialDelay = TimeSpan.FromHours(1), MaxDelay = TimeSpan.FromHours(1) };

    private (IActorRef Supervisor, TestProbe Journal) Start(int maxConcurrent = 1, IReadOnlyList<StoredTask>? recovered = null)
    {
        var journal = CreateTestProbe();
        var recipes = new RecipeRegistry();
        recipes.Register("name: r", _ => Task.FromResult<object?>("ok"));
        var settings = new SupervisorSettings(maxConcurrent, 100,
            new TaskActorSettings(recipes, 1 << 20, null, Journal: journal.Ref), recovered);
        return (Sys.ActorOf(TaskSupervisor.Props(settings)), journal);
    }

    private static TaskSpec Spec(string id, RetryPolicy? retry = null, TaskKind kind = TaskKind.Delegate) =>
        new(id, kind, "r", kind == TaskKind.Recipe ? "r" : null, null, null, null, 60_000, 3_600_000, Retry: retry);

    private static void Stored(TestProbe journal, WriteTaskEvent w) =>
        journal.Reply(new TaskEventWritten(w.TaskId, w.SequenceNr, w.Event, null));

    private static T Expect<T>(TestProbe journal) where T : ITaskEvent
    {
        var w = journal.ExpectMsg<WriteTaskEvent>();
        Assert.IsType<T>(w.Event);
        Stored(journal, w);
        return (T)w.Event;
    }

    /// <summary>A recipe task as the store holds it after attempt 1 failed, waiting until <paramref name="next"/>.</summary>
    private static StoredTask WaitingInStore(string id, DateTimeOffset next)
    {
        var at = DateTimeOffset.UtcNow.AddMinutes(-5);
        var state = TaskState.Empty(id)
            .Apply(new TaskSubmitted(Spec(id, HourLong, TaskKind.Recipe), at))
            .Apply(new TaskStarted(1, at))
            .Apply(new TaskRetryScheduled(1, new TaskError(TaskErrorKind.Exception, "boom"), next, at.AddSeconds(1)));
        return new StoredTask(state.ToInfo(), null) { State = state, SequenceNr = 3 };
    }

    [Fact]
    public void A_failed_attempt_stores_its_wait_frees_the_slot_and_a_cancel_during_the_wait_cancels_the_task()
    {
        var (supervisor, journal) = Start(maxConcurrent: 1);
        supervisor.Tell(new SubmitTask(Spec("a", HourLong), _ => throw new InvalidOperationException("boom")));
        Expect<TaskSubmitted>(journal);
        ExpectMsg<TaskAccepted>();
        supervisor.Tell(new WaitForTask("a"));
        Expect<TaskStarted>(journal);
        var retry = Expect<TaskRetryScheduled>(journal);
        Assert.Equal("boom", retry.Error.Message);
        Assert.InRange(retry.NextAttemptAt - retry.At, TimeSpan.FromMinutes(59), TimeSpan.FromHours(1));

        // The slot is free: another task starts while the first one waits.
        supervisor.Tell(new SubmitTask(Spec("b"), _ => new TaskCompletionSource<object?>().Task));
        Expect<TaskSubmitted>(journal);
        ExpectMsg<TaskAccepted>();
        Assert.Equal("b", journal.ExpectMsg<WriteTaskEvent>().TaskId); // b's Started

        supervisor.Tell(new GetTaskStatus("a"));
        var waiting = ExpectMsg<TaskStatusReply>().Task;
        Assert.Equal((BackgroundTaskStatus.Pending, 1, 3, retry.NextAttemptAt), (waiting.Status, waiting.Attempt, waiting.MaxAttempts, waiting.NextAttemptAt));

        supervisor.Tell(new CancelTask("a"));
        Expect<TaskCancelled>(journal);
        Assert.True(ExpectMsg<CancelReply>().Cancelled);
        Assert.Equal(BackgroundTaskStatus.Cancelled, ExpectMsg<TaskOutcome>().Task.Status); // the waiter from before the retry
        journal.ExpectNoMsg(Short);
    }

    [Fact]
    public void After_a_restart_a_wait_whose_stored_time_has_passed_runs_the_next_attempt()
    {
        var (_, journal) = Start(recovered: [WaitingInStore("a", DateTimeOffset.UtcNow.AddSeconds(-1))]);
        var started = journal.ExpectMsg<WriteTaskEvent>();
        Assert.Equal(4, started.SequenceNr);
        Assert.Equal(2, Assert.IsType<TaskStarted>(started.Event).Attempt);
    }

    [Fact]
    public void After_a_restart_a_wait_whose_stored_time_is_ahead_goes_on_until_then()
    {
        var next = DateTimeOffset.UtcNow.AddHours(1);
        var (supervisor, journal) = Start(recovered: [WaitingInStore("a", next)]);
        journal.ExpectNoMsg(Short); // not started at once: the stored wait is not skipped
        supervisor.Tell(new GetTaskStatus("a"));
        var info = ExpectMsg<TaskStatusReply>().Task;
        Assert.Equal((BackgroundTaskStatus.Pending, next), (info.Status, info.NextAttemptAt)); // nor restarted from now
        Assert.Equal("boom", info.LastError!.Message);
    }
}
