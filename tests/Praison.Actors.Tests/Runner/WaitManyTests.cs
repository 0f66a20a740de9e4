using Xunit;
using Xunit.Abstractions;

namespace Praison.Actors.Tests.Runner;

/// <summary>WaitAllAsync and WaitAnyAsync follow WaitAsync's rules for each task, like Task.WhenAll / Task.WhenAny.</summary>
public class WaitManyTests(ITestOutputHelper output) : RuntimeTestKit(output)
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(300);

    [Fact]
    public async Task WaitAll_returns_results_in_input_order_whatever_order_the_tasks_finish_in()
    {
        var runner = CreateRunner();
        var gates = Gates(3);
        var handles = new List<ActorHandle<int>>();
        for (var i = 0; i < 3; i++)
        {
            var n = i;
            handles.Add(await runner.SubmitAsync(async ctx => { await gates[n].Task.WaitAsync(ctx.CancellationToken); return n * 10; }));
        }

        var all = runner.WaitAllAsync(handles, Long);
        for (var i = 2; i >= 0; i--)
        {
            gates[i].SetResult();
            await handles[i].WaitAsync(Long);
        }
        Assert.Equal(new[] { 0, 10, 20 }, await all);
    }

    [Fact]
    public async Task WaitAll_throws_the_exception_of_the_first_failed_task_in_input_order()
    {
        var runner = CreateRunner();
        var gates = Gates(3);
        var handles = new List<ActorHandle<int>>
        {
            await runner.SubmitAsync(async ctx => { await gates[0].Task.WaitAsync(ctx.CancellationToken); return 1; }),
            await runner.SubmitAsync<int>(async ctx => { await gates[1].Task.WaitAsync(ctx.CancellationToken); throw new InvalidOperationException("first in order"); }),
            await runner.SubmitAsync<int>(async ctx => { await gates[2].Task.WaitAsync(ctx.CancellationToken); throw new InvalidOperationException("first in time"); }),
        };
        var all = runner.WaitAllAsync(handles, Long);

        // The later task fails first; the error reported is still the one earlier in the list.
        gates[2].SetResult();
        await Assert.ThrowsAsync<BackgroundTaskFailedException>(() => handles[2].WaitAsync(Long));
        gates[1].SetResult();
        gates[0].SetResult();

        var ex = await Assert.ThrowsAsync<BackgroundTaskFailedException>(() => all);
        Assert.Equal(handles[1].TaskId, ex.TaskId);
        Assert.Contains("first in order", ex.Message);
        Assert.Equal(1, await handles[0].WaitAsync(Long));
    }

    [Fact]
    public async Task WaitAll_throws_TaskCanceledException_for_a_cancelled_task()
    {
        var runner = CreateRunner();
        var done = await runner.SubmitAsync(ctx => Task.CompletedTask);
        var blocked = await runner.SubmitAsync(ctx => Task.Delay(Timeout.Infinite, ctx.CancellationToken));
        Assert.True(await blocked.CancelAsync());
        await Assert.ThrowsAsync<TaskCanceledException>(() => runner.WaitAllAsync(new[] { done, blocked }, Long));
    }

    [Fact]
    public async Task WaitAll_past_its_timeout_names_the_unfinished_tasks_and_they_keep_running()
    {
        var runner = CreateRunner();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var quick = await runner.SubmitAsync(ctx => Task.FromResult("quick"));
        var slow = await runner.SubmitAsync(async ctx => { await release.Task.WaitAsync(ctx.CancellationToken); return "slow"; });

        var ex = await Assert.ThrowsAsync<TimeoutException>(() => runner.WaitAllAsync(new[] { quick, slow }, Short));
        Assert.Contains(slow.TaskId, ex.Message);
        Assert.DoesNotContain(quick.TaskId, ex.Message);
        Assert.False((await slow.StatusAsync()).IsTerminal);

        release.SetResult();
        Assert.Equal(new[] { "quick", "slow" }, await runner.WaitAllAsync(new[] { quick, slow }, Long));
    }

    [Fact]
    public async Task WaitAny_returns_the_handle_of_the_first_task_to_finish()
    {
        var runner = CreateRunner();
        var gates = Gates(3);
        var handles = new List<ActorHandle<string>>();
        for (var i = 0; i < 3; i++)
        {
            var n = i;
            handles.Add(await runner.SubmitAsync(async ctx => { await gates[n].Task.WaitAsync(ctx.CancellationToken); return $"#{n}"; }));
        }

        var any = runner.WaitAnyAsync(handles, Long);
        gates[1].SetResult();
        var first = await any;
        Assert.Same(handles[1], first);
        Assert.Equal("#1", await first.WaitAsync(Long));
        Assert.False((await handles[0].StatusAsync()).IsTerminal);
        Assert.False((await handles[2].StatusAsync()).IsTerminal);

        gates[0].SetResult();
        gates[2].SetResult();
    }

    [Fact]
    public async Task WaitAny_returns_a_failed_or_cancelled_task_whose_wait_then_throws()
    {
        var runner = CreateRunner();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var blocked = await runner.SubmitAsync(ctx => release.Task.WaitAsync(ctx.CancellationToken));
        var failing = await runner.SubmitAsync(ctx => Task.FromException(new InvalidOperationException("boom")));

        Assert.Same(failing, await runner.WaitAnyAsync(new[] { blocked, failing }, Long));
        await Assert.ThrowsAsync<BackgroundTaskFailedException>(() => failing.WaitAsync(Long));

        Assert.True(await blocked.CancelAsync());
        Assert.Same(blocked, await runner.WaitAnyAsync(new[] { blocked }, Long));
        await Assert.ThrowsAsync<TaskCanceledException>(() => blocked.WaitAsync(Long));
    }

    [Fact]
    public async Task WaitAny_past_its_timeout_throws_TimeoutException_and_the_tasks_keep_running()
    {
        var runner = CreateRunner();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var a = await runner.SubmitAsync(ctx => release.Task.WaitAsync(ctx.CancellationToken));
        var b = await runner.SubmitAsync(ctx => release.Task.WaitAsync(ctx.CancellationToken));

        var ex = await Assert.ThrowsAsync<TimeoutException>(() => runner.WaitAnyAsync(new[] { a, b }, Short));
        Assert.Contains(a.TaskId, ex.Message);
        Assert.False((await a.StatusAsync()).IsTerminal);

        release.SetResult();
        await runner.WaitAllAsync(new[] { a, b }, Long);
    }

    [Fact]
    public async Task Bad_arguments_and_unknown_ids_are_refused()
    {
        var runner = CreateRunner();
        await Assert.ThrowsAsync<ArgumentException>(() => runner.WaitAnyAsync(Array.Empty<ActorHandle>(), Long));
        await Assert.ThrowsAsync<ArgumentNullException>(() => runner.WaitAllAsync((IEnumerable<ActorHandle>)null!, Long));
        var h = await runner.SubmitAsync(ctx => Task.CompletedTask);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => runner.WaitAllAsync(new[] { h }, TimeSpan.Zero));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => runner.WaitAnyAsync(new[] { h }, TimeSpan.FromSeconds(-1)));

        var unknown = runner.GetHandle("no-such-task");
        await Assert.ThrowsAsync<TaskNotFoundException>(() => runner.WaitAnyAsync(new[] { unknown }, Long));
        await Assert.ThrowsAsync<TaskNotFoundException>(() => runner.WaitAllAsync(new[] { h, unknown }, Long));
    }

    [Fact]
    public async Task A_cancelled_wait_throws_OperationCanceledException_and_the_tasks_keep_running()
    {
        var runner = CreateRunner();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var h = await runner.SubmitAsync(ctx => release.Task.WaitAsync(ctx.CancellationToken));
        using var stop = new CancellationTokenSource();

        var all = runner.WaitAllAsync(new[] { h }, Long, stop.Token);
        var any = runner.WaitAnyAsync(new[] { h }, Long, stop.Token);
        stop.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => all);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => any);
        Assert.False((await h.StatusAsync()).IsTerminal);
        release.SetResult();
        Assert.Null(await h.WaitAsync(Long));
    }

    private static TaskCompletionSource[] Gates(int n) =>
        Enumerable.Range(0, n).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
}
