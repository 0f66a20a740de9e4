using Akka.Actor;
using Akka.TestKit;
using Praison.Actors.Messages;
using Praison.Actors.Tasks;
using Xunit;
using Xunit.Abstractions;

namespace Praison.Actors.Tests.Tasks;

/// <summary>
/// The supervisor's protocol with its journal as a probe: a client hears only after what it is told is stored;
/// commands that arrive while a write is in flight wait for it, in order; a failed write is refused (a submission)
/// or retried (anything else) while the task answers with its last stored status.
/// </summary>
public class TaskSupervisorSpecs(ITestOutputHelper output) : RuntimeTestKit(output)
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(300);

    private (IActorRef Supervisor, TestProbe Journal) Start(int maxConcurrent = 1)
    {
        var journal = CreateTestProbe();
        var settings = new SupervisorSettings(maxConcurrent, 100,
            new TaskActorSettings(new RecipeRegistry(), 1 << 20, null, Journal: journal.Ref));
        return (Sys.ActorOf(TaskSupervisor.Props(settings)), journal);
    }

    private static TaskSpec Spec(string id) => new(id, TaskKind.Delegate, "n", null, null, null, null, 60_000, 3_600_000);

    private static TaskWork Blocking() => async ctx =>
    {
        await Task.Delay(Timeout.Infinite, ctx.CancellationToken);
        return null;
    };

    private static void Stored(TestProbe journal, WriteTaskEvent w, Exception? error = null) =>
        journal.Reply(new TaskEventWritten(w.TaskId, w.SequenceNr, w.Event, error));

    [Fact]
    public void A_submission_is_accepted_only_once_its_event_is_stored_then_the_task_starts()
    {
        var (supervisor, journal) = Start();
        supervisor.Tell(new SubmitTask(Spec("a"), Blocking()));

        var submitted = journal.ExpectMsg<WriteTaskEvent>();
        Assert.Equal(1, submitted.SequenceNr);
        Assert.IsType<TaskSubmitted>(submitted.Event);
        ExpectNoMsg(Short); // nothing is stored yet, so the client hears nothing

        Stored(journal, submitted);
        Assert.Equal(BackgroundTaskStatus.Pending, ExpectMsg<TaskAccepted>().Task.Status);
        var started = journal.ExpectMsg<WriteTaskEvent>(); // from the task's runner, as the slot is free
        Assert.Equal(2, started.SequenceNr);
        Assert.IsType<TaskStarted>(started.Event);
    }

    [Fact]
    public void Commands_arriving_while_a_write_is_in_flight_wait_for_it_in_order()
    {
        var (supervisor, journal) = Start();
        supervisor.Tell(new SubmitTask(Spec("a"), Blocking()));
        var submitted = journal.ExpectMsg<WriteTaskEvent>();
        supervisor.Tell(new GetTaskStatus("a"));   // the task does not exist until Submitted is stored
        supervisor.Tell(new CancelTask("a"));
        ExpectNoMsg(Short);

        Stored(journal, submitted);
        ExpectMsg<TaskAccepted>();
        Assert.Equal(BackgroundTaskStatus.Pending, ExpectMsg<TaskStatusReply>().Task.Status);
        var started = journal.ExpectMsg<WriteTaskEvent>();
        Assert.IsType<TaskStarted>(started.Event);
        Stored(journal, started);                   // the cancel waited in the runner for Started
        var cancelled = journal.ExpectMsg<WriteTaskEvent>();
        Assert.Equal(3, cancelled.SequenceNr);
        Assert.IsType<TaskCancelled>(cancelled.Event);
        ExpectNoMsg(Short);                         // answered only once stored

        Stored(journal, cancelled);
        var reply = ExpectMsg<CancelReply>();
        Assert.True(reply.Cancelled);
        Assert.Equal(BackgroundTaskStatus.Cancelled, reply.Status);
    }

    [Fact]
    public void A_failed_submission_is_refused_and_the_id_stays_unknown()
    {
        var (supervisor, journal) = Start();
        supervisor.Tell(new SubmitTask(Spec("a"), Blocking()));
        supervisor.Tell(new WaitForTask("a"));
        Stored(journal, journal.ExpectMsg<WriteTaskEvent>(), new InvalidOperationException("no disk"));

        Assert.Contains("no disk", ExpectMsg<TaskRejected>().Reason);
        ExpectMsg<TaskNotFound>();                  // the wait that queued behind the submission
        supervisor.Tell(new GetTaskStatus("a"));
        ExpectMsg<TaskNotFound>();
        supervisor.Tell(GetStoreHealth.Instance);
        var health = ExpectMsg<StoreHealth>();
        Assert.False(health.Healthy);
        Assert.Equal("no disk", health.LastError);
    }

    [Fact]
    public void A_failed_start_is_sent_again_with_the_same_number_while_the_task_shows_pending_with_the_error()
    {
        var (supervisor, journal) = Start();
        supervisor.Tell(new SubmitTask(Spec("a"), Blocking()));
        Stored(journal, journal.ExpectMsg<WriteTaskEvent>());
        ExpectMsg<TaskAccepted>();
        var started = journal.ExpectMsg<WriteTaskEvent>();
        Stored(journal, started, new InvalidOperationException("no disk"));

        // The retry comes after the backoff; meanwhile status answers at once, from the stored state.
        AwaitAssert(() =>
        {
            supervisor.Tell(new GetTaskStatus("a"));
            var status = ExpectMsg<TaskStatusReply>().Task;
            Assert.Equal(BackgroundTaskStatus.Pending, status.Status);
            Assert.Equal("no disk", status.StoreError);
        });
        var retry = journal.ExpectMsg<WriteTaskEvent>(TimeSpan.FromSeconds(5));
        Assert.Equal(started.SequenceNr, retry.SequenceNr);
        Assert.Same(started.Event, retry.Event);

        Stored(journal, retry);
        AwaitAssert(() =>
        {
            supervisor.Tell(new GetTaskStatus("a"));
            var status = ExpectMsg<TaskStatusReply>().Task;
            Assert.Equal(BackgroundTaskStatus.Running, status.Status);
            Assert.Null(status.StoreError);
        });
        supervisor.Tell(GetStoreHealth.Instance);
        Assert.True(ExpectMsg<StoreHealth>().Healthy);
    }

    [Fact]
    public void A_failed_delete_keeps_the_task_answering_and_marks_the_store_failing()
    {
        var (supervisor, journal) = Start();
        supervisor.Tell(new SubmitTask(Spec("a"), _ => Task.FromResult<object?>(7)));
        Stored(journal, journal.ExpectMsg<WriteTaskEvent>());
        ExpectMsg<TaskAccepted>();
        Stored(journal, journal.ExpectMsg<WriteTaskEvent>());   // Started
        var completed = journal.ExpectMsg<WriteTaskEvent>();
        Assert.IsType<TaskCompleted>(completed.Event);
        Stored(journal, completed);
        supervisor.Tell(new WaitForTask("a"));
        Assert.Equal("7", ExpectMsg<TaskOutcome>().ResultJson);

        supervisor.Tell(new RemoveTask("a", CancelIfActive: false));
        var delete = journal.ExpectMsg<DeleteTaskEvents>();
        Assert.Equal(3, delete.ToSequenceNr);
        journal.Reply(new TaskEventsDeleted("a", new InvalidOperationException("locked")));

        supervisor.Tell(new GetTaskStatus("a"));
        Assert.Equal(BackgroundTaskStatus.Completed, ExpectMsg<TaskStatusReply>().Task.Status);
        supervisor.Tell(GetStoreHealth.Instance);
        Assert.Equal("locked", ExpectMsg<StoreHealth>().LastError);
    }

    /// <summary>Runs a's Submitted and b's, then a's Started, all stored; returns a's Completed write (not yet answered) and who sent it.</summary>
    private (WriteTaskEvent Completed, IActorRef Runner) RunFirstOfTwo(IActorRef supervisor, TestProbe journal)
    {
        supervisor.Tell(new SubmitTask(Spec("a"), _ => Task.FromResult<object?>(7)));
        supervisor.Tell(new SubmitTask(Spec("b"), Blocking()));
        Stored(journal, journal.ExpectMsg<WriteTaskEvent>(w => w.TaskId == "a" && w.Event is TaskSubmitted));
        Stored(journal, journal.ExpectMsg<WriteTaskEvent>(w => w.TaskId == "b" && w.Event is TaskSubmitted));
        ExpectMsg<TaskAccepted>();
        ExpectMsg<TaskAccepted>();
        supervisor.Tell(new WaitForTask("a"));  // held with the pending task, handed to its runner with it
        var started = journal.ExpectMsg<WriteTaskEvent>(w => w.TaskId == "a" && w.Event is TaskStarted);
        Assert.Equal(supervisor, journal.LastSender); // the supervisor claims the start before any runner exists
        Stored(journal, started);
        var completed = journal.ExpectMsg<WriteTaskEvent>(w => w.TaskId == "a" && w.Event is TaskCompleted);
        return (completed, journal.LastSender);
    }

    [Fact]
    public void The_slot_goes_to_the_next_task_when_the_work_ends_and_the_waiter_hears_only_once_the_result_is_stored()
    {
        var (supervisor, journal) = Start(maxConcurrent: 1);
        var (completed, runner) = RunFirstOfTwo(supervisor, journal);

        // a's Completed is not stored yet, and b (one slot) is already being started.
        Assert.IsType<TaskStarted>(journal.ExpectMsg<WriteTaskEvent>(w => w.TaskId == "b").Event);
        ExpectNoMsg(Short);                          // a's waiter: nothing until Completed is stored
        supervisor.Tell(new GetTaskStatus("a"));
        Assert.Equal(BackgroundTaskStatus.Running, ExpectMsg<TaskStatusReply>().Task.Status); // its last stored status

        journal.Send(runner, new TaskEventWritten("a", completed.SequenceNr, completed.Event, null));
        var outcome = ExpectMsg<TaskOutcome>();
        Assert.Equal((BackgroundTaskStatus.Completed, "7"), (outcome.Task.Status, outcome.ResultJson));
    }

    [Fact]
    public void A_failed_terminal_write_keeps_the_task_running_with_the_error_until_the_retry_is_stored()
    {
        var (supervisor, journal) = Start(maxConcurrent: 1);
        var (completed, runner) = RunFirstOfTwo(supervisor, journal);
        Stored(journal, journal.ExpectMsg<WriteTaskEvent>(w => w.TaskId == "b" && w.Event is TaskStarted));

        journal.Send(runner, new TaskEventWritten("a", completed.SequenceNr, completed.Event, new InvalidOperationException("no disk")));
        AwaitAssert(() =>
        {
            supervisor.Tell(new GetTaskStatus("a"));
            var status = ExpectMsg<TaskStatusReply>().Task;
            Assert.Equal((BackgroundTaskStatus.Running, "no disk"), (status.Status, status.StoreError));
        });
        supervisor.Tell(GetStoreHealth.Instance);
        Assert.False(ExpectMsg<StoreHealth>().Healthy);

        var retry = journal.ExpectMsg<WriteTaskEvent>(TimeSpan.FromSeconds(5)); // after the backoff, the same event again
        Assert.Same(completed.Event, retry.Event);
        Assert.Equal(completed.SequenceNr, retry.SequenceNr);
        journal.Send(runner, new TaskEventWritten("a", retry.SequenceNr, retry.Event, null));
        var outcome = ExpectMsg<TaskOutcome>();       // the waiter, only now
        Assert.Equal((BackgroundTaskStatus.Completed, "7", null), (outcome.Task.Status, outcome.ResultJson, outcome.Task.StoreError));
        AwaitAssert(() =>
        {
            supervisor.Tell(GetStoreHealth.Instance);
            Assert.True(ExpectMsg<StoreHealth>().Healthy);
        });
    }
}
