using Xunit;
using Xunit.Abstractions;

namespace Praison.Actors.Tests.Handles;

public class WaitTests(ITestOutputHelper output) : RuntimeTestKit(output)
{
    [Fact]
    public async Task WaitAsync_returns_the_result_of_a_completed_task()
    {
        var runner = CreateRunner();
        var h = await runner.SubmitAsync(_ => Task.FromResult(new Answer("AI", 42)));
        var r = await h.WaitAsync(Long);
        Assert.Equal(new Answer("AI", 42), r);
        Assert.Equal(new Answer("AI", 42), await runner.WaitForTaskAsync<Answer>(h.TaskId, Long));
        Assert.Equal(BackgroundTaskStatus.Completed, (await h.StatusAsync()).Status);
    }

    [Fact]
    public async Task Untyped_wait_returns_plain_values()
    {
        var runner = CreateRunner();
        var s = await runner.SubmitAsync(_ => Task.FromResult("text"));
        Assert.Equal("text", await runner.GetHandle(s.TaskId).WaitAsync(Long));
        var n = await runner.SubmitAsync(_ => Task.FromResult(7));
        Assert.Equal(7L, await runner.GetHandle(n.TaskId).WaitAsync(Long));
    }

    [Fact]
    public async Task A_failed_task_throws_with_the_original_message()
    {
        var runner = CreateRunner();
        var h = await runner.SubmitAsync<int>(_ => throw new InvalidOperationException("the model is offline"));
        var ex = await Assert.ThrowsAsync<BackgroundTaskFailedException>(() => h.WaitAsync(Long));
        Assert.Contains("the model is offline", ex.Message);
        Assert.Equal(typeof(InvalidOperationException).FullName, ex.Error.ErrorType);
        Assert.Equal(TaskErrorKind.Exception, ex.Error.Kind);
        var status = await h.StatusAsync();
        Assert.Equal(BackgroundTaskStatus.Failed, status.Status);
        Assert.Equal("the model is offline", status.Error!.Message);
    }

    [Fact]
    public async Task Work_that_throws_BudgetExceededException_fails_with_kind_BudgetExceeded()
    {
        var runner = CreateRunner();
        var h = await runner.SubmitAsync<int>(_ => throw new BudgetExceededException("spent 0.02 of 0.01 USD"));
        var ex = await Assert.ThrowsAsync<BackgroundTaskFailedException>(() => h.WaitAsync(Long));
        Assert.Equal(TaskErrorKind.BudgetExceeded, ex.Error.Kind);
        Assert.Equal("spent 0.02 of 0.01 USD", ex.Error.Message);
        Assert.Equal(TaskErrorKind.BudgetExceeded, (await h.StatusAsync()).Error!.Kind);
    }

    [Fact]
    public async Task A_failed_recipe_throws_RecipeException_with_the_original_message()
    {
        var runner = CreateRunner(recipes: Recipes(("name: broken\n", _ => throw new IOException("disk full"))));
        var h = await runner.RunBackgroundAsync("broken");
        var ex = await Assert.ThrowsAsync<RecipeException>(() => h.WaitAsync(Long));
        Assert.Contains("disk full", ex.Message);
        Assert.Equal("broken", ex.RecipeName);
        Assert.Equal(typeof(IOException).FullName, ex.Error!.ErrorType);
    }

    [Fact]
    public async Task An_expired_wait_throws_TimeoutException_and_the_task_keeps_running()
    {
        var runner = CreateRunner();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var h = await runner.SubmitAsync(async ctx =>
        {
            await release.Task.WaitAsync(ctx.CancellationToken);
            return "late";
        });

        await Assert.ThrowsAsync<TimeoutException>(() => h.WaitAsync(TimeSpan.FromMilliseconds(200)));
        Assert.Equal(BackgroundTaskStatus.Running, (await h.StatusAsync()).Status);

        release.SetResult();
        Assert.Equal("late", await h.WaitAsync(Long));
    }

    [Fact]
    public async Task A_wait_timeout_that_is_not_positive_is_refused()
    {
        var runner = CreateRunner();
        var h = await runner.SubmitAsync(_ => Task.FromResult(1));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => h.WaitAsync(TimeSpan.Zero));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => h.WaitAsync(TimeSpan.FromSeconds(-1)));
    }

    public sealed record Answer(string Topic, int Value);
}
