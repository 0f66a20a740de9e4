using Akka.Configuration;
using Praison.Actors.Persistence;
using Xunit;

namespace Praison.Actors.Tests.Persistence;

/// <summary>
/// On the ephemeral store a host writes no events (the supervisor holds every task), so the whole lifecycle
/// must work from its records alone: run, wait, watch progress, cancel a pending task, remove, clean up.
/// </summary>
public class EphemeralStoreTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(20);

    private static Task<PraisonRuntime> StartAsync(TimeSpan? cleanupDelay = null) =>
        PraisonRuntime.StartAsync(new PraisonRuntimeOptions
        {
            Store = TaskStore.Ephemeral,
            SystemName = "ephemeral-" + Guid.NewGuid().ToString("N")[..8],
            Config = ConfigurationFactory.ParseString("akka.loglevel = WARNING\nakka.actor.serialize-messages = on"),
            Runner = new BackgroundRunnerOptions { MaxConcurrentTasks = 1, CleanupDelay = cleanupDelay ?? TimeSpan.FromHours(1) },
        });

    [Fact]
    public async Task Tasks_run_wait_cancel_and_remove_without_a_journal()
    {
        await using var rt = await StartAsync();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = await rt.Runner.SubmitAsync(async ctx =>
        {
            ctx.ReportProgress(0.5, "half");
            await gate.Task.WaitAsync(ctx.CancellationToken);
            return "one";
        });
        var queued = await rt.Runner.SubmitAsync(_ => Task.FromResult("two"));

        await AwaitAsync(async () => (await first.StatusAsync()).Progress?.Message == "half");
        Assert.Equal(BackgroundTaskStatus.Pending, (await queued.StatusAsync()).Status);
        Assert.True(await queued.CancelAsync());
        await Assert.ThrowsAsync<TaskCanceledException>(() => queued.WaitAsync(Long));

        gate.SetResult();
        Assert.Equal("one", await first.WaitAsync(Long));
        var done = await first.StatusAsync();
        Assert.Equal(BackgroundTaskStatus.Completed, done.Status);
        Assert.Equal("half", done.Progress?.Message); // a finished task still shows the last progress it reported

        await rt.Runner.RemoveAsync(first.TaskId);
        await Assert.ThrowsAsync<TaskNotFoundException>(() => first.StatusAsync());
        Assert.Equal(new[] { queued.TaskId }, (await rt.Runner.ListAsync()).Select(t => t.TaskId));
    }

    [Fact]
    public async Task Finished_tasks_are_cleaned_up_after_their_delay()
    {
        await using var rt = await StartAsync(cleanupDelay: TimeSpan.FromMilliseconds(200));
        var h = await rt.Runner.SubmitAsync(_ => Task.FromResult(1));
        Assert.Equal(1, await h.WaitAsync(Long));
        await AwaitAsync(async () => (await rt.Runner.ListAsync()).Count == 0);
        await Assert.ThrowsAsync<TaskNotFoundException>(() => h.StatusAsync());
    }

    /// <summary>Polls a condition until it holds (no fixed sleeps standing in for the event).</summary>
    private static async Task AwaitAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + Long;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("The condition did not hold within " + Long);
            await Task.Delay(20);
        }
    }
}
