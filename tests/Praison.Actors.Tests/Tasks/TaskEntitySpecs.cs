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
/// The event-sourced task entity with probes for its journal and supervisor: it replays its events, reconciles
/// (queues a pending task, deletes one whose cleanup time has passed), and leaves memory when idle on its own timer,
/// through its supervisor or, sharded, through its shard.
/// </summary>
public class TaskEntitySpecs(ITestOutputHelper output) : RuntimeTestKit(output)
{
    private static readonly DateTimeOffset At0 = DateTimeOffset.UtcNow;
    private const string ShardPassivate = "passivate-me";

    private static TaskSpec Spec(long cleanupMs = 3_600_000) =>
        new("e", TaskKind.Recipe, "r", "r", null, null, null, 60_000, cleanupMs);

    private (IActorRef Entity, TestProbe Supervisor, TestProbe Journal) Start(bool executes = true, bool sharded = false,
        TestProbe? shard = null)
    {
        var supervisor = CreateTestProbe();
        var journal = CreateTestProbe();
        var settings = new TaskActorSettings(new RecipeRegistry(), 1 << 20, null, executes, TimeSpan.FromMilliseconds(200),
            supervisor.Ref, sharded ? ShardPassivate : null, journal.Ref);
        var props = TaskEntity.Props("e", settings);
        var entity = sharded ? Sys.ActorOf(Props.Create(() => new Parent(props, shard!.Ref))) : Sys.ActorOf(props);
        return (entity, supervisor, journal);
    }

    private static void Replay(TestProbe journal, params ITaskEvent[] events)
    {
        var replay = journal.ExpectMsg<ReplayTaskEvents>();
        Assert.Equal("e", replay.TaskId);
        for (var i = 0; i < events.Length; i++)
            replay.ReplyTo.Tell(new ReplayedMessage(new Persistent(events[i], i + 1, TaskPersistenceIds.For("e"))));
        replay.ReplyTo.Tell(new RecoverySuccess(events.Length));
    }

    [Fact]
    public void A_replayed_pending_task_asks_for_a_slot_and_stores_started_with_the_next_number_when_given_one()
    {
        var (entity, supervisor, journal) = Start();
        entity.Tell(new GetTaskStatus("e"));            // waits for the replay
        Replay(journal, new TaskSubmitted(Spec(), At0));

        Assert.Equal("e", supervisor.ExpectMsg<TaskEnqueued>().Task.TaskId);
        Assert.Equal(BackgroundTaskStatus.Pending, ExpectMsg<TaskStatusReply>().Task.Status);
        entity.Tell(new StartTask("e"));
        var started = journal.ExpectMsg<WriteTaskEvent>();
        Assert.Equal(2, started.SequenceNr);
        Assert.IsType<TaskStarted>(started.Event);
    }

    [Fact]
    public void A_replayed_finished_task_past_its_cleanup_is_deleted_and_then_unknown()
    {
        var (entity, supervisor, journal) = Start();
        Replay(journal, new TaskSubmitted(Spec(cleanupMs: 1), At0.AddMinutes(-2)), new TaskStarted(1, At0.AddMinutes(-2)),
            new TaskCompleted("1", At0.AddMinutes(-1)));

        Assert.Equal(3, journal.ExpectMsg<DeleteTaskEvents>().ToSequenceNr);
        entity.Tell(new GetTaskStatus("e"));             // queries are answered while the delete is in flight
        Assert.Equal(BackgroundTaskStatus.Completed, ExpectMsg<TaskStatusReply>().Task.Status);
        journal.Reply(new TaskEventsDeleted("e", null));
        supervisor.ExpectMsg<TaskRemoved>();
        entity.Tell(new GetTaskStatus("e"));
        ExpectMsg<TaskNotFound>();
    }

    [Fact]
    public void In_a_process_that_does_not_execute_an_idle_entity_asks_its_supervisor_to_stop_it()
    {
        var (entity, supervisor, journal) = Start(executes: false);
        Replay(journal, new TaskSubmitted(Spec(), At0));
        entity.Tell(new GetTaskStatus("e"));
        Assert.Equal(BackgroundTaskStatus.Pending, ExpectMsg<TaskStatusReply>().Task.Status);

        var passivate = supervisor.ExpectMsg<PassivateTask>(TimeSpan.FromSeconds(5));
        Assert.Equal("e", passivate.TaskId);
        Assert.Null(passivate.CleanupAt);                 // only a host cleans up
        supervisor.ExpectNoMsg(TimeSpan.FromMilliseconds(100)); // and it never enqueues: nothing runs here
    }

    [Fact]
    public void A_sharded_finished_entity_passivates_through_its_shard_when_idle()
    {
        var shard = CreateTestProbe();
        var (_, _, journal) = Start(sharded: true, shard: shard);
        Replay(journal, new TaskSubmitted(Spec(), At0), new TaskStarted(1, At0), new TaskCompleted("1", At0));

        Assert.Equal(ShardPassivate, shard.ExpectMsg<string>(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public void A_sharded_pending_entity_stays_while_it_waits_for_a_slot()
    {
        var shard = CreateTestProbe();
        var (_, supervisor, journal) = Start(sharded: true, shard: shard);
        Replay(journal, new TaskSubmitted(Spec(), At0));
        supervisor.ExpectMsg<TaskEnqueued>();
        shard.ExpectNoMsg(TimeSpan.FromSeconds(1)); // well past its 200 ms idle time: its node's queue holds its place
    }

    [Fact]
    public void A_sharded_entity_stopped_with_its_task_unfinished_asks_its_node_to_wake_the_task_elsewhere()
    {
        // Shards do not remember entities: a hand-off stops the entity, and the node's sweeper wakes the task on the
        // shard's new home when it hears of it.
        var stopped = CreateTestProbe();
        Sys.EventStream.Subscribe(stopped.Ref, typeof(TaskEntityStopped));
        var shard = CreateTestProbe();
        var (parent, supervisor, journal) = Start(sharded: true, shard: shard);
        Replay(journal, new TaskSubmitted(Spec(), At0));
        Assert.Equal("e", supervisor.ExpectMsg<TaskEnqueued>().Task.TaskId); // pending: queued on this node

        Sys.Stop(parent); // as a hand-off stops the shard and its entities
        Assert.Equal("e", stopped.ExpectMsg<TaskEntityStopped>().TaskId);
    }

    [Fact]
    public void A_sharded_entity_stopped_with_its_task_finished_asks_for_nothing()
    {
        var stopped = CreateTestProbe();
        Sys.EventStream.Subscribe(stopped.Ref, typeof(TaskEntityStopped));
        var shard = CreateTestProbe();
        var (parent, _, journal) = Start(sharded: true, shard: shard);
        Replay(journal, new TaskSubmitted(Spec(), At0), new TaskStarted(1, At0), new TaskCompleted("1", At0));
        Assert.Equal(ShardPassivate, shard.ExpectMsg<string>(TimeSpan.FromSeconds(5)));

        Watch(parent);
        Sys.Stop(parent);
        ExpectTerminated(parent);
        // The entity stopped before its parent did, and it would have published in its PostStop, before that.
        Assert.False(stopped.HasMessages);
    }

    [Fact]
    public void A_failed_start_is_retried_while_the_entity_answers_pending_with_the_error_and_its_supervisor_hears_of_it()
    {
        var (entity, supervisor, journal) = Start();
        Replay(journal, new TaskSubmitted(Spec(), At0));
        supervisor.ExpectMsg<TaskEnqueued>();
        entity.Tell(new StartTask("e"));
        var started = journal.ExpectMsg<WriteTaskEvent>();
        journal.Reply(new TaskEventWritten("e", started.SequenceNr, started.Event, new InvalidOperationException("no disk")));

        var failing = supervisor.ExpectMsg<TaskStoreState>();
        Assert.Equal(("e", "no disk", true), (failing.TaskId, failing.Error, failing.Retried));
        entity.Tell(new GetTaskStatus("e"));
        var status = ExpectMsg<TaskStatusReply>().Task;
        Assert.Equal((BackgroundTaskStatus.Pending, "no disk"), (status.Status, status.StoreError));

        var retry = journal.ExpectMsg<WriteTaskEvent>(TimeSpan.FromSeconds(5));
        Assert.Equal(2, retry.SequenceNr);
        Assert.Same(started.Event, retry.Event);
        journal.Reply(new TaskEventWritten("e", retry.SequenceNr, retry.Event, null));
        Assert.Null(supervisor.ExpectMsg<TaskStoreState>().Error);
        Assert.Equal(BackgroundTaskStatus.Running, supervisor.ExpectMsg<TaskStatusChanged>().Task.Status);
    }

    [Fact]
    public void A_failed_submission_is_refused_and_the_entity_asks_to_be_stopped()
    {
        var (entity, supervisor, journal) = Start(executes: false);
        Replay(journal);
        entity.Tell(new CreateTask(Spec()));
        var submitted = journal.ExpectMsg<WriteTaskEvent>();
        journal.Reply(new TaskEventWritten("e", submitted.SequenceNr, submitted.Event, new InvalidOperationException("no disk")));

        Assert.Contains("no disk", ExpectMsg<TaskRejected>().Reason);
        Assert.False(supervisor.ExpectMsg<TaskStoreState>().Retried);
        supervisor.ExpectMsg<PassivateTask>();
        entity.Tell(new GetTaskStatus("e"));
        ExpectMsg<TaskNotFound>();
    }

    /// <summary>Stands in for a shard: creates the entity, forwards it what the test sends, and hands the test what it sends up.</summary>
    private sealed class Parent : ReceiveActor
    {
        public Parent(Props child, IActorRef shard)
        {
            var entity = Context.ActorOf(child);
            ReceiveAny(m =>
            {
                if (Sender.Equals(entity)) shard.Forward(m);
                else entity.Forward(m);
            });
        }
    }
}
