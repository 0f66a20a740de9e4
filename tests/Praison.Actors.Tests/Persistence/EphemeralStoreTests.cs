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
        // The work waits for the gate until the wait is sent: a slow client must not find the task already cleaned up.
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var h = await rt.Runner.SubmitAsync(async _ => { await gate.Task; return 1; });
        var waited = h.WaitAsync(Long); // sends WaitForTask before it returns
        gate.SetResult();
        Assert.Equal(1, await waited);
        await AwaitAsync(async () => (await rt.Runner.ListAsync()).Count == 0);
        await Assert.ThrowsAsync<TaskNotFoundException>(() => h.StatusAsync());
    }

    [Fact]
    public async Task A_running_task_is_cancelled_and_a_late_one_times_out_without_a_journal()
    {
        // Writes are stored at once on this store (no journal round trip): the runner's cancel and deadline paths.
        await using var rt = await StartAsync();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = await rt.Runner.SubmitAsync(async ctx =>
        {
            started.SetResult();
            await Task.Delay(Timeout.Infinite, ctx.CancellationToken);
            return 0;
        });
        await started.Task.WaitAsync(Long);
        Assert.True(await running.CancelAsync());
        await Assert.ThrowsAsync<TaskCanceledException>(() => running.WaitAsync(Long));
        Assert.Equal(BackgroundTaskStatus.Cancelled, (await running.StatusAsync()).Status);

        var late = await rt.Runner.SubmitAsync(async ctx =>
        {
            await Task.Delay(Timeout.Infinite, ctx.CancellationToken);
            return 0;
        }, new TaskOptions { Timeout = TimeSpan.FromMilliseconds(200) });
        await Assert.ThrowsAsync<TaskTimedOutException>(() => late.WaitAsync(Long));
        Assert.Equal(BackgroundTaskStatus.Failed, (await late.StatusAsync()).Status);
    }

    [Fact]
    public async Task A_failed_attempt_is_retried_and_the_slot_limit_holds()
    {
        await using var rt = await StartAsync();
        var attempts = 0;
        var retried = await rt.Runner.SubmitAsync(ctx =>
            Interlocked.Increment(ref attempts) == 1 ? throw new InvalidOperationException("first attempt fails") : Task.FromResult(ctx.Attempt),
            new TaskOptions { Retry = new RetryPolicy { MaxAttempts = 2, InitialDelay = TimeSpan.FromMilliseconds(10) } });
        Assert.Equal(2, await retried.WaitAsync(Long));

        // MaxConcurrentTasks = 1: with writes stored at once, no two works may overlap.
        var inside = 0;
        var most = 0;
        var handles = new List<ActorHandle<int>>();
        for (var i = 0; i < 30; i++)
            handles.Add(await rt.Runner.SubmitAsync(async _ =>
            {
                var now = Interlocked.Increment(ref inside);
                InterlockedMax(ref most, now);
                await Task.Yield();
                Interlocked.Decrement(ref inside);
                return now;
            }));
        foreach (var h in handles) await h.WaitAsync(Long);
        Assert.Equal(1, most);

        static void InterlockedMax(ref int target, int value)
        {
            for (var seen = Volatile.Read(ref target); value > seen; seen = Volatile.Read(ref target))
                if (Interlocked.CompareExchange(ref target, value, seen) == seen) return;
        }
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
