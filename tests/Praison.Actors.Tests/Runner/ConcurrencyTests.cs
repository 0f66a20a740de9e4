using System.Collections.Concurrent;
using Xunit;
using Xunit.Abstractions;

namespace Praison.Actors.Tests.Runner;

public class ConcurrencyTests(ITestOutputHelper output) : RuntimeTestKit(output)
{
    [Fact]
    public async Task Twenty_tasks_with_max_5_never_run_more_than_5_and_start_in_fifo_order()
    {
        var runner = CreateRunner(maxConcurrent: 5);
        var running = 0;
        var maxSeen = 0;
        var starts = new ConcurrentQueue<int>();
        // Each task holds its slot until its own gate opens, so slots free one at a time, in an order the
        // test picks, and each freed slot must go to the oldest waiting task.
        var gates = Enumerable.Range(0, 20).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();

        var handles = new List<ActorHandle<int>>();
        for (var i = 0; i < 20; i++)
        {
            var n = i;
            handles.Add(await runner.SubmitAsync(async ctx =>
            {
                var now = Interlocked.Increment(ref running);
                int seen;
                while ((seen = Volatile.Read(ref maxSeen)) < now && Interlocked.CompareExchange(ref maxSeen, now, seen) != seen) { }
                starts.Enqueue(n);
                await gates[n].Task.WaitAsync(ctx.CancellationToken);
                Interlocked.Decrement(ref running);
                return n;
            }, new TaskOptions { Name = $"job-{n}" }));
        }

        await AwaitAssertAsync(() => Assert.Equal(5, starts.Count), Long);
        Assert.Equal(Enumerable.Range(0, 5), starts.Order());
        Assert.Equal(BackgroundTaskStatus.Pending, (await handles[5].StatusAsync()).Status);

        // Free slots in reverse order of the running tasks: the next start is still the oldest waiting task.
        var release = new Queue<int>(new[] { 4, 3, 2, 1, 0 });
        for (var next = 5; next < 20; next++)
        {
            var freed = release.Dequeue();
            gates[freed].SetResult();
            Assert.Equal(freed, await handles[freed].WaitAsync(Long));
            await AwaitAssertAsync(() => Assert.Equal(next + 1, starts.Count), Long);
            Assert.Equal(next, starts.Last());
            release.Enqueue(next);
        }
        while (release.Count > 0) gates[release.Dequeue()].SetResult();

        for (var i = 0; i < 20; i++) Assert.Equal(i, await handles[i].WaitAsync(Long));
        Assert.Equal(5, maxSeen);
        Assert.All(await runner.ListAsync(), t => Assert.Equal(BackgroundTaskStatus.Completed, t.Status));
    }

    [Fact]
    public async Task A_recipe_max_concurrent_caps_that_recipe_inside_the_global_limit()
    {
        var capped = 0;
        var cappedMax = 0;
        var others = 0;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var recipes = Recipes(
            ("name: slow\nruntime:\n  background:\n    max_concurrent: 2\n", async ctx =>
            {
                var now = Interlocked.Increment(ref capped);
                lock (gate) cappedMax = Math.Max(cappedMax, now);
                await gate.Task.WaitAsync(ctx.CancellationToken);
                Interlocked.Decrement(ref capped);
                return "slow";
            }),
            ("name: fast\n", async ctx =>
            {
                Interlocked.Increment(ref others);
                await gate.Task.WaitAsync(ctx.CancellationToken);
                return "fast";
            }));
        var runner = CreateRunner(maxConcurrent: 5, recipes: recipes);

        var slow = new List<BackgroundTaskHandle>();
        for (var i = 0; i < 4; i++) slow.Add(await runner.RunBackgroundAsync("slow"));
        var fast = new List<BackgroundTaskHandle>();
        for (var i = 0; i < 3; i++) fast.Add(await runner.RunBackgroundAsync("fast"));

        // Two slow runs hold the recipe's cap; the three fast ones pass the waiting slow ones.
        await AwaitAssertAsync(() =>
        {
            Assert.Equal(3, Volatile.Read(ref others));
            Assert.Equal(2, Volatile.Read(ref capped));
        }, Long);
        Assert.Equal(BackgroundTaskStatus.Pending, (await slow[2].StatusAsync()).Status);
        Assert.Equal(BackgroundTaskStatus.Pending, (await slow[3].StatusAsync()).Status);
        gate.SetResult();

        foreach (var h in slow) Assert.Equal("slow", await h.WaitAsync(Long));
        foreach (var h in fast) Assert.Equal("fast", await h.WaitAsync(Long));
        Assert.Equal(2, cappedMax);
    }
}
