using Xunit;
using Xunit.Abstractions;

namespace Praison.Actors.Tests.Runner;

public class ListingTests(ITestOutputHelper output) : RuntimeTestKit(output)
{
    [Fact]
    public async Task Sessions_and_listing_are_exact()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var runner = CreateRunner(maxConcurrent: 1, recipes: Recipes(("name: echo\n", ctx => Task.FromResult<object?>(ctx.GetInputString("q")))));

        var a1 = await runner.RunBackgroundAsync("echo", new RecipeRunOptions { Input = new { q = "1" }, SessionId = "session_a" });
        var a2 = await runner.RunBackgroundAsync("echo", new RecipeRunOptions { Input = new { q = "2" }, SessionId = "session_a" });
        await a2.WaitAsync(Long);
        var blocker = await runner.SubmitAsync(async ctx => { await gate.Task.WaitAsync(ctx.CancellationToken); return 0; },
            new TaskOptions { Name = "blocker", SessionId = "session_b" });
        var queued = await runner.SubmitAsync(_ => Task.FromResult(0), new TaskOptions { Name = "queued", SessionId = "session_b" });
        await AwaitAssertAsync(async () => Assert.Equal(BackgroundTaskStatus.Running, (await blocker.StatusAsync()).Status), Long);

        Assert.Equal("1", await a1.WaitAsync(Long));
        Assert.Equal("session_a", a1.SessionId);
        Assert.Equal("echo", a1.RecipeName);

        var all = await runner.ListAsync();
        Assert.Equal(new[] { a1.TaskId, a2.TaskId, blocker.TaskId, queued.TaskId }, all.Select(t => t.TaskId));
        Assert.Equal(new[] { a1.TaskId, a2.TaskId }, (await runner.ListAsync(new TaskQuery(SessionId: "session_a"))).Select(t => t.TaskId));
        Assert.Equal(new[] { blocker.TaskId, queued.TaskId }, (await runner.ListAsync(new TaskQuery(SessionId: "session_b"))).Select(t => t.TaskId));
        Assert.Empty(await runner.ListAsync(new TaskQuery(SessionId: "session_c")));
        Assert.Equal(new[] { blocker.TaskId }, (await runner.ListAsync(new TaskQuery(Status: BackgroundTaskStatus.Running))).Select(t => t.TaskId));
        Assert.Equal(new[] { queued.TaskId }, (await runner.ListAsync(new TaskQuery(Status: BackgroundTaskStatus.Pending))).Select(t => t.TaskId));
        Assert.Equal(new[] { a1.TaskId, a2.TaskId }, (await runner.ListAsync(new TaskQuery(Name: "echo"))).Select(t => t.TaskId));
        Assert.Equal(new[] { queued.TaskId }, (await runner.ListAsync(new TaskQuery(Name: "queued", SessionId: "session_b"))).Select(t => t.TaskId));

        var echo = all[0];
        Assert.Equal(TaskKind.Recipe, echo.Kind);
        Assert.Equal("echo", echo.RecipeName);
        Assert.Equal(BackgroundTaskStatus.Completed, echo.Status);
        Assert.NotNull(echo.FinishedAt);
        Assert.Equal(TaskKind.Delegate, all[2].Kind);
        gate.SetResult();
    }
}
