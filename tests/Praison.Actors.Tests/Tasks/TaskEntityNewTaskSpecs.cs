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
/// A sharded entity on a journal that claims ids: a submission that is its first message is stored at once, with no
/// replay; any other start (a remembered entity restarted with no message, a query) replays first; and an id the
/// store already holds (the claim answers TaskSubmitDuplicate) is read back and answered as the existing task.
/// </summary>
public class TaskEntityNewTaskSpecs(ITestOutputHelper output) : RuntimeTestKit(output)
{
    private static readonly DateTimeOffset At0 = DateTimeOffset.UtcNow;
    private const string ShardPassivate = "passivate-me";

    private static TaskSpec Spec() => new("e", TaskKind.Recipe, "r", "r", null, null, null, 60_000, 3_600_000);

    /// <summary>A stand-in shard: creates the entity when the first message for it arrives and tells it that message at once.</summary>
    private (IActorRef Shard, TestProbe Supervisor, TestProbe Journal) Start(bool claims = true)
    {
        var supervisor = CreateTestProbe();
        var journal = CreateTestProbe();
        var settings = new TaskActorSettings(new RecipeRegistry(), 1 << 20, null, Executes: true, TimeSpan.FromMinutes(5),
            supervisor.Ref, ShardPassivate, journal.Ref, JournalClaimsIds: claims);
        return (Sys.ActorOf(Props.Create(() => new Shard(TaskEntity.Props("e", settings)))), supervisor, journal);
    }

    private static void Replay(ReplayTaskEvents replay, params ITaskEvent[] events)
    {
        for (var i = 0; i < events.Length; i++)
            replay.ReplyTo.Tell(new ReplayedMessage(new Persistent(events[i], i + 1, TaskPersistenceIds.For("e"))));
        replay.ReplyTo.Tell(new RecoverySuccess(events.Length));
    }

    [Fact]
    public void A_submission_as_first_message_is_stored_without_a_replay()
    {
        var (shard, supervisor, journal) = Start();
        shard.Tell(new CreateTask(Spec()));

        var write = journal.ExpectMsg<WriteTaskEvent>(); // the first thing the journal hears: no ReplayTaskEvents before it
        Assert.Equal((1L, typeof(TaskSubmitted)), (write.SequenceNr, write.Event.GetType()));
        journal.Reply(new TaskEventWritten("e", 1, write.Event, null));
        Assert.Equal("e", supervisor.ExpectMsg<TaskEnqueued>().Task.TaskId);
        Assert.True(ExpectMsg<TaskAccepted>().Created);
        // Nor later: the entity's own fallback replay was cancelled by the submission.
        journal.ExpectNoMsg(TimeSpan.FromMilliseconds(300));

        shard.Tell(new StartTask("e"));
        Assert.Equal(2, journal.ExpectMsg<WriteTaskEvent>().SequenceNr);
    }

    [Fact]
    public void A_remembered_entity_restarted_with_no_message_replays_and_queues_its_pending_task()
    {
        var (shard, supervisor, journal) = Start();
        shard.Tell(Shard.StartOnly);

        Replay(journal.ExpectMsg<ReplayTaskEvents>(TimeSpan.FromSeconds(5)), new TaskSubmitted(Spec(), At0));
        Assert.Equal(BackgroundTaskStatus.Pending, supervisor.ExpectMsg<TaskEnqueued>().Task.Status);
    }

    [Fact]
    public void A_query_as_first_message_waits_for_a_replay()
    {
        var (shard, _, journal) = Start();
        shard.Tell(new GetTaskStatus("e"));

        Replay(journal.ExpectMsg<ReplayTaskEvents>(), new TaskSubmitted(Spec(), At0), new TaskStarted(1, At0), new TaskCompleted("1", At0));
        Assert.Equal(BackgroundTaskStatus.Completed, ExpectMsg<TaskStatusReply>().Task.Status);
    }

    [Fact]
    public void A_reused_id_refused_by_its_claim_is_read_back_answered_as_the_existing_task_and_reconciled()
    {
        var (shard, supervisor, journal) = Start();
        shard.Tell(new CreateTask(Spec() with { Name = "second" }));
        var write = journal.ExpectMsg<WriteTaskEvent>();
        Assert.Equal(1, write.SequenceNr);
        shard.Tell(new GetTaskStatus("e"));                  // waits: nothing is known of the task yet
        journal.Reply(new TaskSubmitDuplicate("e", 1));      // the id was stored before: nothing of this submission was

        // The stored task, pending on a node that was lost, is read back: the submitter gets it, not a new one.
        Replay(journal.ExpectMsg<ReplayTaskEvents>(), new TaskSubmitted(Spec(), At0));
        var accepted = ExpectMsg<TaskAccepted>();
        Assert.False(accepted.Created);
        Assert.Equal("r", accepted.Task.Name);
        // This entity owns the id in the cluster, so it queues the task for a slot as after any restart.
        Assert.Equal("e", supervisor.ExpectMsg<TaskEnqueued>().Task.TaskId);
        Assert.Equal(BackgroundTaskStatus.Pending, ExpectMsg<TaskStatusReply>().Task.Status);
        shard.Tell(new StartTask("e"));
        Assert.Equal(2, journal.ExpectMsg<WriteTaskEvent>().SequenceNr); // after the stored event, not after the refused one
    }

    [Fact]
    public void Without_id_claims_even_a_submission_waits_for_a_replay()
    {
        var (shard, _, journal) = Start(claims: false);
        shard.Tell(new CreateTask(Spec()));

        Replay(journal.ExpectMsg<ReplayTaskEvents>());
        Assert.Equal(1, journal.ExpectMsg<WriteTaskEvent>().SequenceNr);
    }

    [Fact]
    public void With_supervisor_admission_a_full_queue_refuses_the_submission_before_anything_is_stored()
    {
        var supervisor = CreateTestProbe();
        var journal = CreateTestProbe();
        var settings = new TaskActorSettings(new RecipeRegistry(), 1 << 20, null, Executes: true, TimeSpan.FromMinutes(5),
            supervisor.Ref, ShardPassivate, journal.Ref, JournalClaimsIds: true, SupervisorAdmits: true);
        var shard = Sys.ActorOf(Props.Create(() => new Shard(TaskEntity.Props("e", settings))));
        shard.Tell(new CreateTask(Spec()));

        Assert.Equal("e", supervisor.ExpectMsg<AdmitTask>().TaskId);
        shard.Tell(new GetTaskStatus("e"));                           // waits for the decision
        supervisor.Reply(new AdmitTaskReply("e", "The task queue is full: 2 tasks are waiting and MaxQueued is 2."));

        Assert.Contains("queue is full", ExpectMsg<TaskRejected>().Reason);
        ExpectMsg<TaskNotFound>();                                    // nothing was stored
        journal.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public void With_supervisor_admission_an_admitted_submission_is_stored_and_a_duplicate_gives_its_room_back()
    {
        var supervisor = CreateTestProbe();
        var journal = CreateTestProbe();
        var settings = new TaskActorSettings(new RecipeRegistry(), 1 << 20, null, Executes: true, TimeSpan.FromMinutes(5),
            supervisor.Ref, ShardPassivate, journal.Ref, JournalClaimsIds: true, SupervisorAdmits: true);
        var shard = Sys.ActorOf(Props.Create(() => new Shard(TaskEntity.Props("e", settings))));
        shard.Tell(new CreateTask(Spec()));
        supervisor.ExpectMsg<AdmitTask>();
        supervisor.Reply(new AdmitTaskReply("e", null));

        Assert.Equal(1, journal.ExpectMsg<WriteTaskEvent>().SequenceNr);
        journal.Reply(new TaskSubmitDuplicate("e", 1));
        Assert.Equal("e", supervisor.ExpectMsg<AdmissionReleased>().TaskId);
    }

    /// <summary>Creates the entity on the first message and tells it that message right away, as a shard does.</summary>
    private sealed class Shard : ReceiveActor
    {
        public static readonly object StartOnly = "start-only";

        public Shard(Props entityProps)
        {
            IActorRef? entity = null;
            ReceiveAny(m =>
            {
                if (entity is not null && Sender.Equals(entity)) return; // the entity's Passivate: not under test here
                entity ??= Context.ActorOf(entityProps);
                if (!ReferenceEquals(m, StartOnly)) entity.Forward(m);
            });
        }
    }
}
