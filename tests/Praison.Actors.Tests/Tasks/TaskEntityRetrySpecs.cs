using Akka.Actor;
using Akka.Persistence;
using Akka.TestKit;
using Praison.Actors.Messages;
using Praison.Actors.Persistence;
using Praison.Actors.Tasks;
using Xunit;
using Xunit.Abstractions;

namespace Praison.Actors.Tests.Tasks;

/// <summary>
/// Retries in the event-sourced entity (the cluster's shard entity), with probes for its journal and node supervisor:
/// a failed attempt stores its wait and leaves its slot; when the wait is over it asks for a slot again; a replay
/// during the wait resumes it from the stored time.
/// </summary>
public class TaskEntityRetrySpecs(ITestOutputHelper output) : RuntimeTestKit(output)
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(300);

    private static TaskSpec Spec(TimeSpan delay) => new("e", TaskKind.Recipe, "flaky", "flaky", null, null, null, 60_000, 3_600_000,
        Retry: new RetryPolicy { MaxAttempts = 2, InitialDelay = delay, MaxDelay = delay, Backoff = RetryBackoff.Fixed });

    private (IActorRef Entity, TestProbe Supervisor, TestProbe Journal) Start()
    {
        var supervisor = CreateTestProbe();
        var journal = CreateTestProbe();
        var recipes = new RecipeRegistry().Register("name: flaky\n", ctx =>
            ctx.Attempt == 1 ? throw new InvalidOperationException("flake") : Task.FromResult<object?>("ok"));
        var settings = new TaskActorSettings(recipes, 1 << 20, null, true, TimeSpan.FromMinutes(5), supervisor.Ref, null, journal.Ref);
        return (Sys.ActorOf(TaskEntity.Props("e", settings)), supervisor, journal);
    }

    private static void Replay(TestProbe journal, params ITaskEvent[] events)
    {
        var replay = journal.ExpectMsg<ReplayTaskEvents>();
        for (var i = 0; i < events.Length; i++)
            replay.ReplyTo.Tell(new ReplayedMessage(new Persistent(events[i], i + 1, TaskPersistenceIds.For("e"))));
        replay.ReplyTo.Tell(new RecoverySuccess(events.Length));
    }

    private static T Stored<T>(TestProbe journal) where T : ITaskEvent
    {
        var w = journal.ExpectMsg<WriteTaskEvent>();
        journal.Reply(new TaskEventWritten(w.TaskId, w.SequenceNr, w.Event, null));
        return Assert.IsType<T>(w.Event);
    }

    [Fact]
    public void A_failed_attempt_stores_its_wait_leaves_its_slot_then_asks_for_one_again_and_runs_attempt_two()
    {
        var (entity, supervisor, journal) = Start();
        var waiter = CreateTestProbe();
        Replay(journal, new TaskSubmitted(Spec(TimeSpan.Zero), DateTimeOffset.UtcNow));
        supervisor.ExpectMsg<TaskEnqueued>();
        entity.Tell(new WaitForTask("e"), waiter.Ref);
        entity.Tell(new StartTask("e"));
        Stored<TaskStarted>(journal);
        supervisor.ExpectMsg<TaskStatusChanged>(); // running
        var retry = Stored<TaskRetryScheduled>(journal);
        Assert.Equal("flake", retry.Error.Message);

        var left = supervisor.ExpectMsg<TaskStatusChanged>().Task;     // the slot is freed: pending, with its next attempt
        Assert.Equal((BackgroundTaskStatus.Pending, retry.NextAttemptAt), (left.Status, left.NextAttemptAt));
        var again = supervisor.ExpectMsg<TaskEnqueued>().Task;         // the (zero) wait is over: a slot, please
        Assert.Equal(1, again.Attempt);
        entity.Tell(new StartTask("e"));
        Assert.Equal(2, Stored<TaskStarted>(journal).Attempt);
        Stored<TaskCompleted>(journal);
        Assert.Equal(BackgroundTaskStatus.Completed, waiter.ExpectMsg<TaskOutcome>().Task.Status); // waited through the retry
    }

    [Fact]
    public void A_replay_during_the_wait_resumes_it_from_the_stored_time()
    {
        var (entity, supervisor, journal) = Start();
        var at = DateTimeOffset.UtcNow.AddMinutes(-1);
        var next = DateTimeOffset.UtcNow.AddHours(1);
        Replay(journal, new TaskSubmitted(Spec(TimeSpan.FromHours(1)), at), new TaskStarted(1, at),
            new TaskRetryScheduled(1, new TaskError(TaskErrorKind.Exception, "flake"), next, at));
        supervisor.ExpectNoMsg(Short); // no slot asked for before the stored time
        entity.Tell(new GetTaskStatus("e"));
        Assert.Equal(next, ExpectMsg<TaskStatusReply>().Task.NextAttemptAt);

        entity.Tell(new CancelTask("e"));
        Stored<TaskCancelled>(journal);
        Assert.True(ExpectMsg<CancelReply>().Cancelled);
    }
}
