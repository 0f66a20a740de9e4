using Akka.Actor;
using System.Collections.Concurrent;
using Praison.Actors.Messages;
using Praison.Actors.Persistence;
using Xunit;
using Xunit.Abstractions;

namespace Praison.Actors.Tests.Persistence;

/// <summary>
/// The node's journal writer: writes that arrive while a batch is being stored go out together as the next batch,
/// each write is answered once its batch is stored, and a failed batch answers each of its writes with the error.
/// </summary>
public class TaskJournalSpecs(ITestOutputHelper output) : RuntimeTestKit(output)
{
    private static WriteTaskEvent Write(string id) => new(id, 1, new TaskCancelled("x", DateTimeOffset.UtcNow));

    [Fact]
    public async Task Writes_arriving_during_a_batch_go_out_together_as_the_next_one()
    {
        var batches = new ConcurrentQueue<IReadOnlyList<JournalRowWrite>>();
        var firstCall = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var journal = Sys.ActorOf(TaskJournal.Props(null, sql: new FakeSql(async (rows, _) =>
        {
            batches.Enqueue(rows);
            firstCall.TrySetResult();
            await gate.Task;
        })));

        journal.Tell(Write("a"), TestActor);
        await firstCall.Task.WaitAsync(Long);
        journal.Tell(Write("b"), TestActor);
        journal.Tell(Write("c"), TestActor);
        journal.Tell(Write("d"), TestActor);
        ExpectNoMsg(TimeSpan.FromMilliseconds(200)); // nothing is answered before its batch is stored
        gate.SetResult();

        var answered = Enumerable.Range(0, 4).Select(_ => ExpectMsg<TaskEventWritten>()).ToList();
        Assert.All(answered, w => Assert.Null(w.Error));
        Assert.Equal(new[] { "a", "b", "c", "d" }, answered.Select(w => w.TaskId));
        Assert.Equal(new[] { 1, 3 }, batches.Select(b => b.Count));
        Assert.Equal(new[] { "task-b", "task-c", "task-d" }, batches.Last().Select(r => r.PersistenceId));
        Assert.All(batches.SelectMany(b => b), r => Assert.Equal("tx", r.Manifest));
    }

    [Fact]
    public void A_failed_batch_answers_each_of_its_writes_with_the_error_and_the_next_batch_still_goes()
    {
        var calls = 0;
        var journal = Sys.ActorOf(TaskJournal.Props(null, sql: new FakeSql((_, _) =>
            Interlocked.Increment(ref calls) == 1 ? Task.FromException(new IOException("disk full")) : Task.CompletedTask)));

        journal.Tell(Write("a"), TestActor);
        var failed = ExpectMsg<TaskEventWritten>();
        Assert.Equal("a", failed.TaskId);
        Assert.Equal("disk full", failed.Error!.Message);

        journal.Tell(Write("b"), TestActor);
        var stored = ExpectMsg<TaskEventWritten>();
        Assert.Equal("b", stored.TaskId);
        Assert.Null(stored.Error);
    }

    [Fact]
    public async Task With_several_batches_allowed_in_flight_writes_go_out_at_once_up_to_the_limit_and_are_answered_as_each_is_stored()
    {
        var batches = new ConcurrentQueue<IReadOnlyList<JournalRowWrite>>();
        var gates = new ConcurrentDictionary<string, TaskCompletionSource>();
        var started = new SemaphoreSlim(0);
        TaskCompletionSource Gate(string firstId) => gates.GetOrAdd(firstId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        var journal = Sys.ActorOf(TaskJournal.Props(null, sql: new FakeSql(async (rows, _) =>
        {
            batches.Enqueue(rows);
            started.Release();
            await Gate(rows[0].PersistenceId).Task;
        }, concurrentBatches: 2)));

        journal.Tell(Write("a"), TestActor);
        Assert.True(await started.WaitAsync(Long));
        journal.Tell(Write("b"), TestActor);
        Assert.True(await started.WaitAsync(Long)); // a second batch while the first is being stored
        journal.Tell(Write("c"), TestActor);
        journal.Tell(Write("d"), TestActor);

        // The second batch is answered first when it is stored first; the waiting writes then go out together.
        Gate("task-b").SetResult();
        Assert.Equal("b", ExpectMsg<TaskEventWritten>().TaskId);
        Assert.True(await started.WaitAsync(Long));
        Assert.Equal(new[] { "task-c", "task-d" }, batches.Last().Select(r => r.PersistenceId));
        Gate("task-c").SetResult();
        Gate("task-a").SetResult();
        var rest = Enumerable.Range(0, 3).Select(_ => ExpectMsg<TaskEventWritten>()).ToList();
        Assert.All(rest, w => Assert.Null(w.Error));
        Assert.Equal(new[] { "a", "c", "d" }, rest.Select(w => w.TaskId).Order());
        Assert.Equal(new[] { 1, 1, 2 }, batches.Select(b => b.Count));
    }

    /// <summary>Batch writes go to <paramref name="write"/>; no database is ever opened.</summary>
    private sealed class FakeSql(Func<IReadOnlyList<JournalRowWrite>, CancellationToken, Task> write, int concurrentBatches = 1)
        : SqlJournalAccess(() => throw new InvalidOperationException("no database"), () => throw new InvalidOperationException("no database"), postgres: false)
    {
        public override int ConcurrentBatches => concurrentBatches;

        public override async Task<WriteOutcome> WriteEventsAsync(IReadOnlyList<JournalRowWrite> rows, CancellationToken cancellationToken)
        {
            await write(rows, cancellationToken);
            return WriteOutcome.AllStored;
        }
    }
}
