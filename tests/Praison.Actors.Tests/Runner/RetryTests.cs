using Xunit;
using Xunit.Abstractions;

namespace Praison.Actors.Tests.Runner;

/// <summary>
/// Retries end to end on a local runner: a waiter waits through the retries and sees the final outcome; each attempt
/// is a new start with its own number; the last failure is RetriesExhausted with every attempt's error. Delays are
/// zero (or the test cancels during a long one), so nothing waits on the clock.
/// </summary>
public class RetryTests(ITestOutputHelper output) : RuntimeTestKit(output)
{
    private static RetryPolicy Immediate(int attempts, RetryOn on = RetryOn.All) =>
        new() { MaxAttempts = attempts, InitialDelay = TimeSpan.Zero, MaxDelay = TimeSpan.Zero, RetryOn = on };

    [Fact]
    public async Task A_waiter_waits_through_failed_attempts_and_gets_the_result_of_the_one_that_succeeds()
    {
        var runner = CreateRunner();
        var attempts = new List<int>();
        var handle = await runner.SubmitAsync(ctx =>
        {
            lock (attempts) attempts.Add(ctx.Attempt);
            return ctx.Attempt < 3 ? throw new InvalidOperationException($"attempt {ctx.Attempt} failed") : Task.FromResult(42);
        }, new TaskOptions { Retry = Immediate(5) });

        Assert.Equal(42, await handle.WaitAsync(Long));
        Assert.Equal([1, 2, 3], attempts);
        var status = await handle.StatusAsync();
        Assert.Equal(BackgroundTaskStatus.Completed, status.Status);
        Assert.Equal((3, 5), (status.Attempt, status.MaxAttempts));
        Assert.Equal(["attempt 1 failed", "attempt 2 failed"], status.AttemptErrors.Select(e => e.Message));
        Assert.Null(status.NextAttemptAt);
    }

    [Fact]
    public async Task Many_tasks_retried_at_once_without_delay_all_finish()
    {
        // The next attempt's runner starts while the failed attempt's runner may still be stopping.
        var runner = CreateRunner(maxConcurrent: 8);
        var handles = new List<ActorHandle<int>>();
        for (var i = 0; i < 40; i++)
            handles.Add(await runner.SubmitAsync(ctx => ctx.Attempt < 3 ? throw new InvalidOperationException("again") : Task.FromResult(ctx.Attempt),
                new TaskOptions { Retry = Immediate(3) }));
        Assert.All(await runner.WaitAllAsync(handles, Long), attempt => Assert.Equal(3, attempt));
    }

    [Fact]
    public async Task After_the_last_attempt_the_task_fails_with_retries_exhausted_and_every_error()
    {
        var runner = CreateRunner();
        var handle = await runner.SubmitAsync<int>(ctx => throw new InvalidOperationException($"no {ctx.Attempt}"),
            new TaskOptions { Retry = Immediate(3) });

        var failed = await Assert.ThrowsAsync<BackgroundTaskFailedException>(() => handle.WaitAsync(Long));
        Assert.Equal(TaskErrorKind.RetriesExhausted, failed.Error.Kind);
        Assert.Contains("no 3", failed.Error.Message);
        var status = await handle.StatusAsync();
        Assert.Equal(BackgroundTaskStatus.Failed, status.Status);
        Assert.Equal(3, status.Attempt);
        Assert.Equal(["no 1", "no 2", "no 3"], status.AttemptErrors.Select(e => e.Message));
        Assert.Single(await runner.ListAsync(new TaskQuery(BackgroundTaskStatus.Failed))); // the dead-letter view
    }

    [Fact]
    public async Task An_attempt_that_times_out_is_retried_with_a_fresh_timeout()
    {
        var runner = CreateRunner();
        var handle = await runner.SubmitAsync(async ctx =>
        {
            if (ctx.Attempt == 1) await Task.Delay(Timeout.Infinite, ctx.CancellationToken); // stopped by its timeout
            return "second";
        }, new TaskOptions { Timeout = TimeSpan.FromMilliseconds(200), Retry = Immediate(2, RetryOn.Timeout) });

        Assert.Equal("second", await handle.WaitAsync(Long));
        var status = await handle.StatusAsync();
        Assert.Equal(TaskErrorKind.Timeout, Assert.Single(status.AttemptErrors).Kind);
    }

    [Fact]
    public async Task A_failure_retry_on_does_not_name_is_not_retried()
    {
        var runner = CreateRunner();
        var handle = await runner.SubmitAsync<int>(_ => throw new InvalidOperationException("once"),
            new TaskOptions { Retry = Immediate(3, RetryOn.Timeout) });
        var failed = await Assert.ThrowsAsync<BackgroundTaskFailedException>(() => handle.WaitAsync(Long));
        Assert.Equal(TaskErrorKind.Exception, failed.Error.Kind);
        Assert.Equal(1, (await handle.StatusAsync()).Attempt);
    }

    [Fact]
    public async Task Cancelling_during_the_wait_cancels_the_task_and_frees_the_slot_meanwhile()
    {
        var runner = CreateRunner(maxConcurrent: 1);
        var failedOnce = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handle = await runner.SubmitAsync<int>(_ =>
        {
            failedOnce.TrySetResult();
            throw new InvalidOperationException("fails");
        }, new TaskOptions { Retry = new RetryPolicy { MaxAttempts = 3, InitialDelay = TimeSpan.FromHours(1), MaxDelay = TimeSpan.FromHours(1) } });
        await failedOnce.Task.WaitAsync(Long);

        // The only slot is free while the first task waits an hour for its next attempt.
        var other = await runner.SubmitAsync(_ => Task.FromResult("ran"));
        Assert.Equal("ran", await other.WaitAsync(Long));
        await AwaitAssertAsync(async () =>
        {
            var waiting = await handle.StatusAsync();
            Assert.Equal(BackgroundTaskStatus.Pending, waiting.Status);
            Assert.NotNull(waiting.NextAttemptAt);
            Assert.Equal("fails", waiting.LastError!.Message);
        }, Long);

        var wait = handle.WaitAsync(Long);
        Assert.True(await handle.CancelAsync());
        await Assert.ThrowsAsync<TaskCanceledException>(() => wait);
        Assert.Equal(BackgroundTaskStatus.Cancelled, (await handle.StatusAsync()).Status);
    }

    [Fact]
    public async Task A_watcher_sees_the_retry_as_a_pending_update_with_its_next_attempt()
    {
        var runner = CreateRunner();
        var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var second = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handle = await runner.SubmitAsync(async ctx =>
        {
            if (ctx.Attempt == 1)
            {
                await first.Task; // fails only once the watcher is subscribed
                throw new InvalidOperationException("first");
            }
            await second.Task;
            return 1;
        }, new TaskOptions { Retry = Immediate(2) });

        var seen = new List<TaskStatusInfo>();
        await foreach (var update in handle.WatchAsync().WithCancellation(new CancellationTokenSource(Long).Token))
        {
            seen.Add(update.Task);
            first.TrySetResult();
            if (update.Task is { Status: BackgroundTaskStatus.Running, Attempt: 2 }) second.TrySetResult();
            if (update.Task.IsTerminal) break;
        }
        Assert.Contains(seen, t => t.Status == BackgroundTaskStatus.Pending && t.NextAttemptAt is not null && t.Attempt == 1
            && t.LastError?.Message == "first");
        Assert.Equal(BackgroundTaskStatus.Completed, seen[^1].Status);
    }

    [Fact]
    public async Task A_recipe_takes_its_retry_policy_from_its_template_and_a_run_may_override_it()
    {
        var calls = 0;
        var recipes = Recipes(("""
            name: flaky
            runtime:
              retry:
                max_attempts: 2
                backoff: fixed
                initial_delay_sec: 0
                retry_on: [failed]
            """, ctx => Interlocked.Increment(ref calls) == 1 ? throw new InvalidOperationException("flake") : Task.FromResult<object?>("ok")));
        var runner = CreateRunner(recipes: recipes);

        var run = await runner.RunBackgroundAsync("flaky");
        Assert.Equal("ok", (await run.WaitAsync(Long))?.ToString());
        Assert.Equal(2, (await run.StatusAsync()).MaxAttempts);

        Interlocked.Exchange(ref calls, 0); // the next run fails once more
        var once = await runner.RunBackgroundAsync("flaky", new RecipeRunOptions { Retry = Immediate(1) });
        await Assert.ThrowsAnyAsync<PraisonActorsException>(() => once.WaitAsync(Long));
        Assert.Equal(1, (await once.StatusAsync()).MaxAttempts);
    }

    [Fact]
    public async Task An_invalid_policy_is_refused_before_anything_is_stored()
    {
        var runner = CreateRunner();
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => runner.SubmitAsync(_ => Task.FromResult(1),
            new TaskOptions { Retry = new RetryPolicy { MaxAttempts = 0 } }));
        Assert.Contains("MaxAttempts", ex.Message);
        Assert.Empty(await runner.ListAsync());
    }
}
