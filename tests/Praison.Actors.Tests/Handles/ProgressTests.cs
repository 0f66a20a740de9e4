using Xunit;
using Xunit.Abstractions;

namespace Praison.Actors.Tests.Handles;

public class ProgressTests(ITestOutputHelper output) : RuntimeTestKit(output)
{
    [Fact]
    public async Task Two_subscribers_see_the_same_ordered_events_and_status_reports_the_last_progress()
    {
        var runner = CreateRunner();
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reported = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var finish = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var h = await runner.SubmitAsync(async ctx =>
        {
            await go.Task.WaitAsync(ctx.CancellationToken);
            for (var i = 1; i <= 4; i++) ctx.ReportProgress(i / 4.0, $"step {i}");
            reported.SetResult();
            await finish.Task.WaitAsync(ctx.CancellationToken);
            return "ok";
        });

        var firstSeen = new[] { new TaskCompletionSource(), new TaskCompletionSource() };
        async Task<List<TaskUpdate>> Watch(int i)
        {
            var seen = new List<TaskUpdate>();
            await foreach (var u in h.WatchAsync())
            {
                seen.Add(u);
                firstSeen[i].TrySetResult();
            }
            return seen;
        }
        var a = Watch(0);
        var b = Watch(1);
        await Task.WhenAll(firstSeen[0].Task, firstSeen[1].Task).WaitAsync(Long);
        go.SetResult();
        await reported.Task.WaitAsync(Long);

        await AwaitAssertAsync(async () =>
        {
            var s = await h.StatusAsync();
            Assert.Equal(1.0, s.Progress!.Fraction);
            Assert.Equal("step 4", s.Progress.Message);
        }, Long);
        finish.SetResult();

        var seenA = await a.WaitAsync(Long);
        var seenB = await b.WaitAsync(Long);
        static string[] Steps(List<TaskUpdate> seen) =>
            seen.Where(u => u.Status == BackgroundTaskStatus.Running && u.Progress is not null).Select(u => u.Progress!.Message!).ToArray();
        Assert.Equal(new[] { "step 1", "step 2", "step 3", "step 4" }, Steps(seenA));
        Assert.Equal(Steps(seenA), Steps(seenB));
        Assert.True(seenA.Last().IsFinal);
        Assert.Equal(BackgroundTaskStatus.Completed, seenA.Last().Status);
        Assert.Equal(BackgroundTaskStatus.Completed, seenB.Last().Status);
        foreach (var seen in new[] { seenA, seenB })
            Assert.Equal(seen.Select(u => u.Sequence).Order(), seen.Select(u => u.Sequence));
    }

    [Fact]
    public async Task Watching_a_finished_task_yields_its_final_state_once()
    {
        var runner = CreateRunner();
        var h = await runner.SubmitAsync(_ => Task.FromResult(1));
        await h.WaitAsync(Long);
        var updates = new List<TaskUpdate>();
        await foreach (var u in h.WatchAsync()) updates.Add(u);
        var only = Assert.Single(updates);
        Assert.True(only.IsFinal);
        Assert.Equal(BackgroundTaskStatus.Completed, only.Status);
    }

    [Fact]
    public async Task Watching_an_unknown_task_throws_TaskNotFoundException()
    {
        var runner = CreateRunner();
        await Assert.ThrowsAsync<TaskNotFoundException>(async () =>
        {
            await foreach (var _ in runner.GetHandle("nope").WatchAsync()) { }
        });
    }
}
