using Xunit;
using Xunit.Abstractions;

namespace Praison.Actors.Tests.Handles;

public class TimeoutTests(ITestOutputHelper output) : RuntimeTestKit(output)
{
    [Fact]
    public async Task A_task_past_its_timeout_fails_with_TaskTimedOutException_and_its_token_is_cancelled()
    {
        var runner = CreateRunner();
        var tokenCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var h = await runner.SubmitAsync(async ctx =>
        {
            ctx.CancellationToken.Register(() => tokenCancelled.TrySetResult());
            await Task.Delay(Timeout.Infinite, ctx.CancellationToken);
            return 0;
        }, new TaskOptions { Timeout = TimeSpan.FromMilliseconds(300) });

        var ex = await Assert.ThrowsAsync<TaskTimedOutException>(() => h.WaitAsync(Long));
        Assert.Equal(TaskErrorKind.Timeout, ex.Error.Kind);
        await tokenCancelled.Task.WaitAsync(Long);
        var status = await h.StatusAsync();
        Assert.Equal(BackgroundTaskStatus.Failed, status.Status);
        Assert.Equal(TaskErrorKind.Timeout, status.Error!.Kind);
    }

    [Fact]
    public async Task Polling_status_every_10ms_does_not_delay_the_timeout()
    {
        // ReceiveTimeout is an idle timer: if status polls counted as activity it would never fire, and the
        // task would run until the test's wait expired. It must fire while the polling goes on.
        var runner = CreateRunner();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var h = await runner.SubmitAsync(async ctx =>
        {
            started.SetResult();
            await Task.Delay(Timeout.Infinite, ctx.CancellationToken);
            return 0;
        }, new TaskOptions { Timeout = TimeSpan.FromSeconds(2) });
        await started.Task.WaitAsync(Long);

        // Started is stored before the work runs, so polls from here see Running until the deadline; the loop
        // ends only if the timeout fires while the polling goes on (or the test's own give-up expires).
        var runningPolls = 0;
        TaskStatusInfo status;
        using var giveUp = new CancellationTokenSource(Long);
        while (true)
        {
            status = await h.StatusAsync(giveUp.Token);
            if (status.IsTerminal) break;
            Assert.Equal(BackgroundTaskStatus.Running, status.Status);
            runningPolls++;
            await Task.Delay(10, giveUp.Token);
        }

        Assert.Equal(BackgroundTaskStatus.Failed, status.Status);
        Assert.Equal(TaskErrorKind.Timeout, status.Error!.Kind);
        Assert.True(runningPolls > 0, "no poll was answered while the task ran");
        await Assert.ThrowsAsync<TaskTimedOutException>(() => h.WaitAsync(Long));
    }

    [Fact]
    public async Task Progress_reports_do_not_delay_the_timeout_either()
    {
        var runner = CreateRunner();
        var h = await runner.SubmitAsync(async ctx =>
        {
            while (true)
            {
                ctx.ReportProgress(0.5, "still going");
                await Task.Delay(5, ctx.CancellationToken);
            }
#pragma warning disable CS0162 // the loop only ends by cancellation
            return 0;
#pragma warning restore CS0162
        }, new TaskOptions { Timeout = TimeSpan.FromMilliseconds(400) });

        await Assert.ThrowsAsync<TaskTimedOutException>(() => h.WaitAsync(Long));
    }
}
