using System.Collections.Concurrent;
using Akka.Actor;
using Praison.Actors.Messages;
using Xunit;
using Xunit.Abstractions;

namespace Praison.Actors.Tests.Runner;

public class BatchTests(ITestOutputHelper output) : RuntimeTestKit(output)
{
    [Fact]
    public async Task Every_submission_is_sent_before_any_answer_and_handles_come_back_in_input_order()
    {
        var supervisor = CreateTestProbe();
        IBackgroundRunner runner = new BackgroundRunner(Sys, supervisor.Ref, new BackgroundRunnerOptions());

        var submitting = runner.SubmitManyAsync(new[] { "a", "b", "c" }, (item, ctx) => Task.FromResult(item),
            item => new TaskOptions { Name = $"job-{item}" });

        // All three asks are in flight before the supervisor has answered any of them.
        var asks = new List<(SubmitTask Message, IActorRef Sender)>();
        for (var i = 0; i < 3; i++)
        {
            var m = supervisor.ExpectMsg<SubmitTask>();
            asks.Add((m, supervisor.LastSender));
        }
        Assert.Equal(new[] { "job-a", "job-b", "job-c" }, asks.Select(a => a.Message.Spec.Name));
        Assert.False(submitting.IsCompleted);

        // Answered out of order, the handles still follow the input.
        foreach (var (m, sender) in Enumerable.Reverse(asks)) sender.Tell(new TaskAccepted(Info(m.Spec)));
        var handles = await submitting.WaitAsync(Long);
        Assert.Equal(asks.Select(a => a.Message.Spec.TaskId), handles.Select(h => h.TaskId));
        Assert.Equal(new[] { "job-a", "job-b", "job-c" }, handles.Select(h => h.Name));
    }

    [Fact]
    public async Task A_refused_item_is_reported_by_index_with_the_handles_of_the_stored_ones()
    {
        var supervisor = CreateTestProbe();
        IBackgroundRunner runner = new BackgroundRunner(Sys, supervisor.Ref, new BackgroundRunnerOptions());

        var submitting = runner.SubmitManyAsync(new[] { 1, 2, 3 }, (n, ctx) => Task.CompletedTask);
        var first = supervisor.ExpectMsg<SubmitTask>();
        var firstSender = supervisor.LastSender;
        var second = supervisor.ExpectMsg<SubmitTask>();
        var secondSender = supervisor.LastSender;
        var third = supervisor.ExpectMsg<SubmitTask>();
        supervisor.LastSender.Tell(new TaskAccepted(Info(third.Spec)));
        secondSender.Tell(new TaskRejected(second.Spec.TaskId, "The task queue is full."));
        firstSender.Tell(new TaskAccepted(Info(first.Spec)));

        var ex = await Assert.ThrowsAsync<BatchSubmitException>(() => submitting.WaitAsync(Long));
        Assert.Equal(3, ex.Submitted.Count);
        Assert.Equal(first.Spec.TaskId, ex.Submitted[0]!.TaskId);
        Assert.Null(ex.Submitted[1]);
        Assert.Equal(third.Spec.TaskId, ex.Submitted[2]!.TaskId);
        Assert.Equal(new[] { 1 }, ex.Failures.Keys);
        Assert.IsType<TaskRejectedException>(ex.Failures[1]);
        Assert.Contains("1 of 3 submissions were not accepted", ex.Message);
        Assert.Contains("Item 1 (not stored): The task queue is full.", ex.Message);
    }

    [Fact]
    public async Task A_batch_runs_every_item_and_starts_them_in_input_order()
    {
        var runner = CreateRunner(maxConcurrent: 1);
        var starts = new ConcurrentQueue<int>();
        var handles = await runner.SubmitManyAsync(Enumerable.Range(0, 10), (n, ctx) =>
        {
            starts.Enqueue(n);
            return Task.FromResult(n * n);
        }, n => new TaskOptions { Name = $"square-{n}", SessionId = "batch" });

        Assert.Equal(Enumerable.Range(0, 10).Select(n => $"square-{n}"), handles.Select(h => h.Name));
        Assert.Equal(Enumerable.Range(0, 10).Select(n => n * n), await runner.WaitAllAsync(handles, Long));
        Assert.Equal(Enumerable.Range(0, 10), starts);
        var listed = await runner.ListAsync(new TaskQuery(SessionId: "batch"));
        Assert.Equal(handles.Select(h => h.TaskId).Order(), listed.Select(t => t.TaskId).Order());
    }

    [Fact]
    public async Task A_bad_item_names_its_index_and_nothing_is_stored()
    {
        var runner = CreateRunner();
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => runner.SubmitManyAsync(new[] { 1, 2, 3 },
            (n, ctx) => Task.FromResult(n),
            n => new TaskOptions { Timeout = n == 3 ? TimeSpan.FromSeconds(-1) : null }));
        Assert.Contains("Item 2 of the batch", ex.Message);
        Assert.Contains("TaskOptions.Timeout must be positive", ex.Message);
        Assert.Contains("Nothing was submitted", ex.Message);
        Assert.Empty(await runner.ListAsync());
    }

    [Fact]
    public async Task A_full_queue_refuses_some_items_and_the_exception_names_exactly_the_stored_ones()
    {
        var runner = CreateRunner(maxConcurrent: 1, maxQueued: 2);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var ex = await Assert.ThrowsAsync<BatchSubmitException>(() =>
            runner.SubmitManyAsync(Enumerable.Range(0, 10), (n, ctx) => release.Task.WaitAsync(ctx.CancellationToken)));

        // At most one runs and two wait, so at least seven of ten are refused; nothing is lost or invented.
        Assert.Equal(10, ex.Submitted.Count);
        Assert.InRange(ex.Failures.Count, 7, 9);
        Assert.All(ex.Failures.Values, e => Assert.IsType<TaskRejectedException>(e));
        Assert.All(Enumerable.Range(0, 10), i => Assert.True(ex.Submitted[i] is null == ex.Failures.ContainsKey(i)));
        var stored = ex.Submitted.OfType<ActorHandle>().ToList();
        Assert.Equal(stored.Select(h => h.TaskId).Order(), (await runner.ListAsync()).Select(t => t.TaskId).Order());

        release.SetResult();
        Assert.All(await runner.WaitAllAsync(stored, Long), Assert.Null);
    }

    [Fact]
    public async Task Recipe_runs_in_a_batch_get_their_own_input_and_results_in_input_order()
    {
        var runner = CreateRunner(recipes: Recipes(("name: echo\n", ctx => Task.FromResult<object?>(ctx.GetInputString("q")))));
        var handles = await runner.RunBackgroundManyAsync("echo", new[]
        {
            new RecipeRunOptions { Input = new { q = "one" }, SessionId = "s" },
            null,
            new RecipeRunOptions { Input = new { q = "three" } },
        });

        Assert.All(handles, h => Assert.Equal("echo", h.RecipeName));
        Assert.Equal("s", handles[0].SessionId);
        Assert.Equal(new object?[] { "one", null, "three" }, await runner.WaitAllAsync(handles, Long));
    }

    [Fact]
    public async Task A_recipe_batch_with_an_unknown_recipe_or_a_bad_run_stores_nothing()
    {
        var runner = CreateRunner(recipes: Recipes(("name: echo\n", _ => Task.FromResult<object?>(null))));
        await Assert.ThrowsAsync<RecipeException>(() =>
            runner.RunBackgroundManyAsync("nope", new[] { new RecipeRunOptions() }));
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => runner.RunBackgroundManyAsync("echo",
            new[] { new RecipeRunOptions(), new RecipeRunOptions { TimeoutSec = 0 } }));
        Assert.Contains("Item 1 of the batch", ex.Message);
        Assert.Contains("TimeoutSec must be a positive number of seconds", ex.Message);
        Assert.Empty(await runner.ListAsync());
    }

    [Fact]
    public async Task An_empty_batch_is_an_empty_list()
    {
        var runner = CreateRunner();
        Assert.Empty(await runner.SubmitManyAsync(Array.Empty<int>(), (n, ctx) => Task.FromResult(n)));
        Assert.Empty(await runner.WaitAllAsync(Array.Empty<ActorHandle<int>>(), Long));
    }

    private static TaskStatusInfo Info(TaskSpec spec) =>
        new(spec.TaskId, spec.Kind, spec.Name, spec.RecipeName, spec.SessionId, BackgroundTaskStatus.Pending,
            DateTimeOffset.UtcNow, null, null, null, null);
}
