using Xunit;
using Xunit.Abstractions;

namespace Praison.Actors.Tests.Runner;

/// <summary>
/// SubmitAsync has a generic overload (work with a result) and a non-generic one (work without). The declared
/// handle types below are what the compiler picked: a wrong pick would not compile or would fail the type checks.
/// </summary>
public class SubmitOverloadTests(ITestOutputHelper output) : RuntimeTestKit(output)
{
    [Fact]
    public async Task An_async_lambda_returning_a_value_gets_a_typed_handle()
    {
        var runner = CreateRunner();
#pragma warning disable CS1998 // the point is the shape `async ctx => 42`, an async lambda with no await
        ActorHandle<int> h = await runner.SubmitAsync(async ctx => 42);
#pragma warning restore CS1998
        Assert.Equal(42, await h.WaitAsync(Long));
    }

    [Fact]
    public async Task A_lambda_returning_Task_of_T_gets_a_typed_handle()
    {
        var runner = CreateRunner();
        ActorHandle<string> h = await runner.SubmitAsync(ctx => Task.FromResult("x"));
        Assert.Equal("x", await h.WaitAsync(Long));
    }

    [Fact]
    public async Task An_async_lambda_without_a_value_gets_an_untyped_handle_whose_wait_returns_null()
    {
        var runner = CreateRunner();
        var ran = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var h = await runner.SubmitAsync(async ctx =>
        {
            await Task.Delay(10, ctx.CancellationToken);
            ran.SetResult(ctx.TaskId);
        });

        Assert.Equal(typeof(ActorHandle), h.GetType());
        Assert.Null(await h.WaitAsync(Long));
        Assert.Equal(h.TaskId, await ran.Task.WaitAsync(Long));
        var status = await h.StatusAsync();
        Assert.Equal(BackgroundTaskStatus.Completed, status.Status);
        Assert.Equal(TaskKind.Delegate, status.Kind);
    }

    [Fact]
    public async Task Method_groups_pick_the_overload_of_their_return_type()
    {
        var runner = CreateRunner();
        ActorHandle<int> typed = await runner.SubmitAsync(CountAsync);
        var untyped = await runner.SubmitAsync(NothingAsync);

        Assert.Equal(3, await typed.WaitAsync(Long));
        Assert.Equal(typeof(ActorHandle), untyped.GetType());
        Assert.Null(await untyped.WaitAsync(Long));
    }

    [Fact]
    public async Task Work_without_a_value_takes_the_options_and_throws_as_any_task()
    {
        var runner = CreateRunner();
        var failed = await runner.SubmitAsync(ctx => Task.FromException(new InvalidOperationException("no disk")),
            new TaskOptions { Name = "fails", SessionId = "s1" });
        Assert.Equal("fails", failed.Name);
        Assert.Equal("s1", failed.SessionId);
        var ex = await Assert.ThrowsAsync<BackgroundTaskFailedException>(() => failed.WaitAsync(Long));
        Assert.Contains("no disk", ex.Message);
        Assert.Equal(failed.TaskId, ex.TaskId);

        var slow = await runner.SubmitAsync(ctx => Task.Delay(Timeout.Infinite, ctx.CancellationToken),
            new TaskOptions { Timeout = TimeSpan.FromMilliseconds(300) });
        await Assert.ThrowsAsync<TaskTimedOutException>(() => slow.WaitAsync(Long));

        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var waiting = await runner.SubmitAsync(ctx => release.Task.WaitAsync(ctx.CancellationToken));
        await Assert.ThrowsAsync<TimeoutException>(() => waiting.WaitAsync(TimeSpan.FromMilliseconds(200)));
        Assert.False((await waiting.StatusAsync()).IsTerminal);
        Assert.True(await waiting.CancelAsync());
        await Assert.ThrowsAsync<TaskCanceledException>(() => waiting.WaitAsync(Long));
    }

    [Fact]
    public async Task Bad_options_on_work_without_a_value_store_nothing()
    {
        var runner = CreateRunner();
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            runner.SubmitAsync(ctx => Task.CompletedTask, new TaskOptions { Timeout = TimeSpan.Zero }));
        await Assert.ThrowsAsync<ArgumentException>(() =>
            runner.SubmitAsync(ctx => Task.CompletedTask, new TaskOptions { Name = " " }));
        await Assert.ThrowsAsync<ArgumentNullException>(() => runner.SubmitAsync((Func<TaskContext, Task>)null!));
        Assert.Empty(await runner.ListAsync());
    }

    private static Task<int> CountAsync(TaskContext ctx) => Task.FromResult(3);

    private static Task NothingAsync(TaskContext ctx) => Task.CompletedTask;
}
