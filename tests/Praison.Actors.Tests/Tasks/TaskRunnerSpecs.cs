using Akka.Actor;
using Akka.TestKit;
using Praison.Actors.Lifecycle;
using Praison.Actors.Messages;
using Praison.Actors.Tasks;
using Xunit;
using Xunit.Abstractions;

namespace Praison.Actors.Tests.Tasks;

/// <summary>
/// The local running-task actor with probes for its supervisor and journal: it stores Started before the work
/// runs, hands the finished state back, answers the waiters it was handed, and enforces the deadline however often
/// it is asked for its status.
/// </summary>
public class TaskRunnerSpecs(ITestOutputHelper output) : RuntimeTestKit(output)
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.UtcNow;

    private (IActorRef Runner, TestProbe Supervisor, TestProbe Journal) Start(TaskWork work, long timeoutMs = 60_000,
        IActorRef? waiter = null)
    {
        var supervisor = CreateTestProbe();
        var journal = CreateTestProbe();
        var spec = new TaskSpec("r", TaskKind.Delegate, "n", null, null, null, null, timeoutMs, 1_000);
        var state = TaskState.Empty("r").Apply(new TaskSubmitted(spec, T0));
        var handover = new TaskHandover(state, 1, work, waiter is null ? [] : [waiter], [], 0);
        var settings = new TaskActorSettings(new RecipeRegistry(), 1 << 20, null, Supervisor: supervisor.Ref, Journal: journal.Ref);
        return (Sys.ActorOf(TaskRunner.Props(settings, handover)), supervisor, journal);
    }

    private static void Stored(TestProbe journal, WriteTaskEvent w) =>
        journal.Reply(new TaskEventWritten(w.TaskId, w.SequenceNr, w.Event, null));

    [Fact]
    public void Stores_started_before_running_then_stores_the_result_and_hands_the_finished_task_back()
    {
        var ran = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (runner, supervisor, journal) = Start(_ =>
        {
            ran.SetResult();
            return Task.FromResult<object?>("done");
        }, waiter: TestActor);

        var started = journal.ExpectMsg<WriteTaskEvent>();
        Assert.Equal(2, started.SequenceNr);
        Assert.IsType<TaskStarted>(started.Event);
        Assert.False(ran.Task.IsCompleted); // the work waits for Started to be stored
        Stored(journal, started);
        Assert.Equal(BackgroundTaskStatus.Running, supervisor.ExpectMsg<TaskStateReport>().State.Status);

        var completed = journal.ExpectMsg<WriteTaskEvent>();
        Assert.Equal(new TaskCompleted("\"done\"", ((TaskCompleted)completed.Event).At), completed.Event);
        Assert.Equal("r", supervisor.ExpectMsg<WorkEnded>().TaskId); // the work's slot is free before Completed is stored
        Stored(journal, completed);
        var outcome = ExpectMsg<TaskOutcome>();   // the waiter handed over with the task
        Assert.Equal("\"done\"", outcome.ResultJson);
        var report = supervisor.ExpectMsg<TaskStateReport>();
        Assert.Equal(BackgroundTaskStatus.Completed, report.State.Status);
        Assert.Equal(3, report.SequenceNr);
        Assert.True(report.Effects!.FreeSlot);
        Assert.False(report.Effects.DeleteNow);

        runner.Tell(new GetTaskStatus("r"));   // until the supervisor stops it, it answers from the same state
        Assert.Equal(BackgroundTaskStatus.Completed, ExpectMsg<TaskStatusReply>().Task.Status);
    }

    [Fact]
    public async Task The_deadline_fails_the_task_while_status_is_polled()
    {
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (runner, supervisor, journal) = Start(async ctx =>
        {
            ctx.CancellationToken.Register(() => cancelled.TrySetResult());
            await Task.Delay(Timeout.Infinite, ctx.CancellationToken);
            return null;
        }, timeoutMs: 1_000);
        Stored(journal, journal.ExpectMsg<WriteTaskEvent>());
        supervisor.ExpectMsg<TaskStateReport>();

        // Poll until the runner asks to store the timeout; if polls counted as activity that would never come.
        WriteTaskEvent? failed = null;
        var polls = 0;
        while (failed is null)
        {
            runner.Tell(new GetTaskStatus("r"));
            var status = ExpectMsg<TaskStatusReply>().Task;
            Assert.Equal(BackgroundTaskStatus.Running, status.Status); // not stored yet: still Running
            polls++;
            failed = journal.ReceiveWhile<WriteTaskEvent>(TimeSpan.FromMilliseconds(20), m => (WriteTaskEvent)m, 1).FirstOrDefault();
            Assert.True(polls < 2_000, "the deadline never fired");
        }
        Assert.Equal(TaskErrorKind.Timeout, Assert.IsType<TaskFailed>(failed.Event).Error.Kind);
        Stored(journal, failed);
        Assert.Equal(TaskErrorKind.Timeout, supervisor.ExpectMsg<TaskStateReport>().State.Error!.Kind);
        await cancelled.Task.WaitAsync(TimeSpan.FromSeconds(10)); // the work's token is cancelled
    }

    [Fact]
    public void Remove_with_cancel_if_active_cancels_and_hands_the_requester_to_the_supervisor_for_the_delete()
    {
        var (runner, supervisor, journal) = Start(async ctx =>
        {
            await Task.Delay(Timeout.Infinite, ctx.CancellationToken);
            return null;
        });
        Stored(journal, journal.ExpectMsg<WriteTaskEvent>());
        supervisor.ExpectMsg<TaskStateReport>();

        runner.Tell(new RemoveTask("r", CancelIfActive: false));
        Assert.Contains("cancel it first", ExpectMsg<TaskRejected>().Reason);
        runner.Tell(new RemoveTask("r", CancelIfActive: true));
        var cancel = journal.ExpectMsg<WriteTaskEvent>();
        Assert.Equal(TaskLifecycle.RemovedReason, Assert.IsType<TaskCancelled>(cancel.Event).Reason);
        Stored(journal, cancel);

        var report = supervisor.ExpectMsg<TaskStateReport>();
        Assert.Equal(BackgroundTaskStatus.Cancelled, report.State.Status);
        Assert.True(report.Effects!.DeleteNow);
        Assert.Equal(new[] { TestActor }, report.RemoveRequesters);
    }
}
