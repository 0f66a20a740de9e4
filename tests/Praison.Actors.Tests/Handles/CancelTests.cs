using Xunit;
using Xunit.Abstractions;

namespace Praison.Actors.Tests.Handles;

public class CancelTests(ITestOutputHelper output) : RuntimeTestKit(output)
{
    [Fact]
    public async Task A_pending_task_is_cancelled_and_never_starts()
    {
        var runner = CreateRunner(maxConcurrent: 1);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var blocker = await runner.SubmitAsync(async ctx => { await gate.Task.WaitAsync(ctx.CancellationToken); return 0; });
        var started = 0;
        var pending = await runner.SubmitAsync(_ => { Interlocked.Increment(ref started); return Task.FromResult(1); });

        Assert.Equal(BackgroundTaskStatus.Pending, (await pending.StatusAsync()).Status);
        Assert.True(await pending.CancelAsync());
        Assert.Equal(BackgroundTaskStatus.Cancelled, (await pending.StatusAsync()).Status);

        gate.SetResult();
        Assert.Equal(0, await blocker.WaitAsync(Long));
        await Assert.ThrowsAsync<TaskCanceledException>(() => pending.WaitAsync(Long));
        // A later task gets the freed slot and runs, so the cancelled one had its chance and did not take it.
        Assert.Equal(2, await (await runner.SubmitAsync(_ => Task.FromResult(2))).WaitAsync(Long));
        Assert.Equal(0, started);
        Assert.Null((await pending.StatusAsync()).StartedAt);
    }

    [Fact]
    public async Task A_running_task_sees_its_token_cancelled_and_ends_cancelled()
    {
        var runner = CreateRunner();
        var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var observed = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var h = await runner.SubmitAsync(async ctx =>
        {
            ctx.CancellationToken.Register(() => observed.TrySetResult(true));
            running.SetResult();
            await Task.Delay(Timeout.Infinite, ctx.CancellationToken);
            return "never";
        });
        await running.Task.WaitAsync(Long);

        Assert.True(await h.CancelAsync());
        Assert.True(await observed.Task.WaitAsync(Long));
        Assert.Equal(BackgroundTaskStatus.Cancelled, (await h.StatusAsync()).Status);
        await Assert.ThrowsAsync<TaskCanceledException>(() => h.WaitAsync(Long));
    }

    [Fact]
    public async Task Cancelling_a_finished_task_returns_false()
    {
        var runner = CreateRunner();
        var h = await runner.SubmitAsync(_ => Task.FromResult("done"));
        Assert.Equal("done", await h.WaitAsync(Long));
        Assert.False(await h.CancelAsync());
        Assert.False(await runner.CancelAsync(h.TaskId));
        Assert.Equal(BackgroundTaskStatus.Completed, (await h.StatusAsync()).Status);
    }
}
