using Xunit;
using Xunit.Abstractions;

namespace Praison.Actors.Tests.Runner;

/// <summary>Each bad input gets a clear error, and the runtime's state is unchanged afterwards.</summary>
public class BadInputTests(ITestOutputHelper output) : RuntimeTestKit(output)
{
    private BackgroundRunner Runner(int maxConcurrent = 5, int maxQueued = 100) =>
        CreateRunner(maxConcurrent, Recipes(("name: hello\n", _ => Task.FromResult<object?>("hi"))), maxQueued);

    [Fact]
    public async Task An_empty_recipe_name_is_refused()
    {
        var runner = Runner();
        var ex = await Assert.ThrowsAsync<RecipeException>(() => runner.RunBackgroundAsync(""));
        Assert.Contains("recipe name is required", ex.Message);
        Assert.Empty(await runner.ListAsync());
    }

    [Fact]
    public async Task An_unknown_recipe_is_refused_and_the_known_ones_are_listed()
    {
        var runner = Runner();
        var ex = await Assert.ThrowsAsync<RecipeException>(() => runner.RunBackgroundAsync("helo"));
        Assert.Contains("Unknown recipe 'helo'", ex.Message);
        Assert.Contains("hello", ex.Message);
        Assert.Empty(await runner.ListAsync());
    }

    [Fact]
    public async Task A_session_id_or_name_over_its_limit_is_refused_by_the_CSharp_API_and_nothing_is_stored()
    {
        var runner = Runner();
        var longSession = new string('s', TaskLimits.MaxSessionIdLength + 1);
        var ex = await Assert.ThrowsAsync<ArgumentException>(() =>
            runner.RunBackgroundAsync("hello", new RecipeRunOptions { SessionId = longSession }));
        Assert.Contains($"limit of {TaskLimits.MaxSessionIdLength}", ex.Message);
        await Assert.ThrowsAsync<ArgumentException>(() =>
            runner.SubmitAsync(_ => Task.FromResult(1), new TaskOptions { SessionId = longSession }));
        var nameEx = await Assert.ThrowsAsync<ArgumentException>(() =>
            runner.SubmitAsync(_ => Task.FromResult(1), new TaskOptions { Name = new string('n', TaskLimits.MaxNameLength + 1) }));
        Assert.Contains($"limit of {TaskLimits.MaxNameLength}", nameEx.Message);
        Assert.Empty(await runner.ListAsync());

        // At the limit is fine.
        var ok = await runner.RunBackgroundAsync("hello", new RecipeRunOptions { SessionId = new string('s', TaskLimits.MaxSessionIdLength) });
        Assert.Equal("hi", await ok.WaitAsync(Long));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public async Task A_timeout_that_is_not_positive_is_refused(int seconds)
    {
        var runner = Runner();
        var ex = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            runner.RunBackgroundAsync("hello", new RecipeRunOptions { TimeoutSec = seconds }));
        Assert.Contains("TimeoutSec", ex.Message);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            runner.SubmitAsync(_ => Task.FromResult(1), new TaskOptions { Timeout = TimeSpan.FromSeconds(seconds) }));
        Assert.Empty(await runner.ListAsync());
    }

    [Fact]
    public async Task A_run_takes_Timeout_or_TimeoutSec_but_not_both()
    {
        var runner = Runner();
        var both = await Assert.ThrowsAsync<ArgumentException>(() => runner.RunBackgroundAsync("hello",
            new RecipeRunOptions { Timeout = TimeSpan.FromSeconds(5), TimeoutSec = 5 }));
        Assert.Contains("not both", both.Message);
        var negative = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => runner.RunBackgroundAsync("hello",
            new RecipeRunOptions { Timeout = TimeSpan.FromSeconds(-1) }));
        Assert.Contains("Timeout must be positive", negative.Message);
        Assert.Empty(await runner.ListAsync());
    }

    [Fact]
    public async Task A_run_times_out_after_its_TimeSpan_Timeout()
    {
        var runner = CreateRunner(recipes: Recipes(("name: hang\n", async ctx =>
        {
            await Task.Delay(Timeout.Infinite, ctx.CancellationToken);
            return null;
        })));
        var run = await runner.RunBackgroundAsync("hang", new RecipeRunOptions { Timeout = TimeSpan.FromMilliseconds(300) });
        await Assert.ThrowsAnyAsync<PraisonActorsException>(() => run.WaitAsync(Long));
        var status = await run.StatusAsync();
        Assert.Equal(BackgroundTaskStatus.Failed, status.Status);
        Assert.Equal(TaskErrorKind.Timeout, status.Error?.Kind);
    }

    [Fact]
    public async Task Oversized_or_unserializable_input_is_refused()
    {
        var runner = CreateRunner(recipes: Recipes(("name: hello\n", _ => Task.FromResult<object?>("hi"))));
        var huge = new string('x', runner.Options.MaxPayloadBytes + 1);
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => runner.RunBackgroundAsync("hello", new RecipeRunOptions { Input = huge }));
        Assert.Contains("over the limit", ex.Message);
        var cyclic = new Node();
        cyclic.Next = cyclic;
        var ex2 = await Assert.ThrowsAsync<ArgumentException>(() => runner.RunBackgroundAsync("hello", new RecipeRunOptions { Input = cyclic }));
        Assert.Contains("not JSON-serializable", ex2.Message);
        Assert.Empty(await runner.ListAsync());
    }

    [Fact]
    public async Task A_full_queue_rejects_the_submission_and_keeps_every_stored_task()
    {
        var runner = Runner(maxConcurrent: 1, maxQueued: 2);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = await runner.SubmitAsync(async ctx => { await gate.Task.WaitAsync(ctx.CancellationToken); return 0; });
        await AwaitAssertAsync(async () => Assert.Equal(BackgroundTaskStatus.Running, (await running.StatusAsync()).Status), Long);
        var q1 = await runner.SubmitAsync(_ => Task.FromResult(1));
        var q2 = await runner.RunBackgroundAsync("hello");

        var ex = await Assert.ThrowsAsync<TaskRejectedException>(() => runner.SubmitAsync(_ => Task.FromResult(3)));
        Assert.Contains("queue is full", ex.Message);
        Assert.Contains("MaxQueued is 2", ex.Message);
        await Assert.ThrowsAsync<TaskRejectedException>(() => runner.RunBackgroundAsync("hello"));
        Assert.Equal(3, (await runner.ListAsync()).Count);

        gate.SetResult();
        Assert.Equal(0, await running.WaitAsync(Long));
        Assert.Equal(1, await q1.WaitAsync(Long));
        Assert.Equal("hi", await q2.WaitAsync(Long));
        // Once the queue drains, submissions are accepted again.
        Assert.Equal(4, await (await runner.SubmitAsync(_ => Task.FromResult(4))).WaitAsync(Long));
    }

    [Fact]
    public async Task An_unknown_task_id_raises_TaskNotFoundException_everywhere()
    {
        var runner = Runner();
        var h = runner.GetHandle("no-such-task");
        await Assert.ThrowsAsync<TaskNotFoundException>(() => h.StatusAsync());
        await Assert.ThrowsAsync<TaskNotFoundException>(() => h.WaitAsync(Long));
        await Assert.ThrowsAsync<TaskNotFoundException>(() => h.CancelAsync());
        await Assert.ThrowsAsync<TaskNotFoundException>(() => runner.WaitForTaskAsync<int>("no-such-task", Long));
        Assert.Throws<ArgumentException>(() => runner.GetHandle(""));
        Assert.Empty(await runner.ListAsync());
    }

    [Fact]
    public async Task A_result_that_cannot_be_stored_fails_the_task_with_a_clear_error()
    {
        var runner = Runner();
        var h = await runner.SubmitAsync(_ => Task.FromResult(new string('y', runner.Options.MaxPayloadBytes)));
        var ex = await Assert.ThrowsAsync<BackgroundTaskFailedException>(() => h.WaitAsync(Long));
        Assert.Equal(TaskErrorKind.InvalidResult, ex.Error.Kind);
        Assert.Contains("over the limit", ex.Message);
    }

    private sealed class Node
    {
        public Node? Next { get; set; }
    }
}
