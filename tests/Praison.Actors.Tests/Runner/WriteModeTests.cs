using Xunit;
using Xunit.Abstractions;

namespace Praison.Actors.Tests.Runner;

/// <summary>Batched (PersistAsync) and one-by-one (Persist) writes give the same lifecycle.</summary>
public class WriteModeTests(ITestOutputHelper output) : RuntimeTestKit(output)
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Both_write_modes_run_cancel_and_fail_tasks_alike(bool batched)
    {
        var runner = new BackgroundRunner(Sys, new BackgroundRunnerOptions
        {
            BatchedWrites = batched,
            MaxConcurrentTasks = 1,
            ActorName = "tasks-" + (batched ? "batched" : "single"),
        });
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = await runner.SubmitAsync(async ctx => { await gate.Task.WaitAsync(ctx.CancellationToken); return 1; });
        var queued = await runner.SubmitAsync(_ => Task.FromResult(2));
        var failing = await runner.SubmitAsync<int>(_ => throw new InvalidOperationException("nope"));

        Assert.True(await queued.CancelAsync());
        gate.SetResult();
        Assert.Equal(1, await first.WaitAsync(Long));
        await Assert.ThrowsAsync<TaskCanceledException>(() => queued.WaitAsync(Long));
        await Assert.ThrowsAsync<BackgroundTaskFailedException>(() => failing.WaitAsync(Long));
    }
}
