using Akka.Actor;
using Akka.Persistence;
using Xunit;
using Xunit.Abstractions;

namespace Praison.Actors.Tests.Runner;

public class CleanupTests(ITestOutputHelper output) : RuntimeTestKit(output)
{
    [Fact]
    public async Task After_the_cleanup_delay_the_id_is_not_found_and_the_journal_holds_no_events()
    {
        var runner = CreateRunner(cleanupDelay: TimeSpan.FromMilliseconds(300));
        var h = await runner.SubmitAsync(_ => Task.FromResult("x"));
        Assert.Equal("x", await h.WaitAsync(Long));
        Assert.Equal(3, await CountStoredEvents(h.TaskId)); // submitted, started, completed

        await AwaitAssertAsync(() => Assert.ThrowsAsync<TaskNotFoundException>(() => h.StatusAsync()), Long);
        await Assert.ThrowsAsync<TaskNotFoundException>(() => h.WaitAsync(Long));
        Assert.Empty(await runner.ListAsync());
        Assert.Equal(0, await CountStoredEvents(h.TaskId));
    }

    [Fact]
    public async Task A_result_is_kept_until_the_cleanup_delay()
    {
        var runner = CreateRunner(cleanupDelay: TimeSpan.FromHours(1));
        var h = await runner.SubmitAsync(_ => Task.FromResult("kept"));
        await h.WaitAsync(Long);
        Assert.Equal("kept", await h.WaitAsync(Long));
        Assert.Equal(BackgroundTaskStatus.Completed, (await runner.GetStatusAsync(h.TaskId)).Status);
    }

    [Fact]
    public async Task Clear_removes_finished_tasks_only_unless_asked_for_all()
    {
        var runner = CreateRunner();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var done = await runner.SubmitAsync(_ => Task.FromResult(1));
        await done.WaitAsync(Long);
        var active = await runner.SubmitAsync(async ctx => { await gate.Task.WaitAsync(ctx.CancellationToken); return 2; });
        await AwaitAssertAsync(async () => Assert.Equal(BackgroundTaskStatus.Running, (await active.StatusAsync()).Status), Long);

        Assert.Equal(1, await runner.ClearAsync());
        await AwaitAssertAsync(() => Assert.ThrowsAsync<TaskNotFoundException>(() => done.StatusAsync()), Long);
        Assert.Equal(BackgroundTaskStatus.Running, (await active.StatusAsync()).Status);

        Assert.Equal(1, await runner.ClearAsync(includeActive: true));
        await AwaitAssertAsync(() => Assert.ThrowsAsync<TaskNotFoundException>(() => active.StatusAsync()), Long);
        Assert.Empty(await runner.ListAsync());
        Assert.Equal(0, await CountStoredEvents(active.TaskId));
    }

    /// <summary>Replays a task's persistence id with a fresh actor and counts the events it gets.</summary>
    private async Task<int> CountStoredEvents(string taskId)
    {
        var probe = Sys.ActorOf(Props.Create(typeof(EventCounter), "task-" + taskId));
        var count = await probe.Ask<int>(EventCounter.Count.Instance, Long);
        Sys.Stop(probe);
        return count;
    }

    private sealed class EventCounter(string persistenceId) : UntypedPersistentActor
    {
        private int _events;

        public sealed class Count
        {
            public static readonly Count Instance = new();
        }

        public override string PersistenceId { get; } = persistenceId;

        protected override void OnRecover(object message)
        {
            if (message is not RecoveryCompleted) _events++;
        }

        protected override void OnCommand(object message)
        {
            if (message is Count) Sender.Tell(_events);
        }
    }
}

public class RemoveTests(ITestOutputHelper output) : RuntimeTestKit(output)
{
    [Fact]
    public async Task RemoveAsync_deletes_a_finished_task_before_it_returns()
    {
        var runner = CreateRunner();
        var h = await runner.SubmitAsync(_ => Task.FromResult(1));
        await h.WaitAsync(Long);
        await runner.RemoveAsync(h.TaskId);
        await Assert.ThrowsAsync<TaskNotFoundException>(() => h.StatusAsync());
        Assert.Empty(await runner.ListAsync());
        await Assert.ThrowsAsync<TaskNotFoundException>(() => runner.RemoveAsync(h.TaskId));
    }

    [Fact]
    public async Task RemoveAsync_refuses_an_active_task_unless_asked_to_cancel_it()
    {
        var runner = CreateRunner();
        var h = await runner.SubmitAsync(async ctx => { await Task.Delay(Timeout.Infinite, ctx.CancellationToken); return 0; });
        await AwaitAssertAsync(async () => Assert.Equal(BackgroundTaskStatus.Running, (await h.StatusAsync()).Status), Long);

        var ex = await Assert.ThrowsAsync<TaskRejectedException>(() => runner.RemoveAsync(h.TaskId));
        Assert.Contains("cancel it first", ex.Message);
        Assert.Equal(BackgroundTaskStatus.Running, (await h.StatusAsync()).Status);

        await runner.RemoveAsync(h.TaskId, cancelIfActive: true);
        await Assert.ThrowsAsync<TaskNotFoundException>(() => h.StatusAsync());
    }
}
