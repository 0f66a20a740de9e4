using Akka.Actor;
using Xunit;
using Xunit.Abstractions;

namespace Praison.Actors.Tests.Runner;

/// <summary>
/// A host keeps an actor only for a running task: pending and finished tasks are records in the supervisor,
/// and answer every call all the same.
/// </summary>
public class TaskActorLifetimeTests(ITestOutputHelper output) : RuntimeTestKit(output)
{
    [Fact]
    public async Task A_finished_task_keeps_no_actor_and_still_answers_status_wait_cancel_and_list()
    {
        var runner = CreateRunner();
        var h = await runner.SubmitAsync(_ => Task.FromResult("kept"), new TaskOptions { Name = "done", SessionId = "s" });
        Assert.Equal("kept", await h.WaitAsync(Long));

        await AwaitAssertAsync(() => Assert.False(IsAlive(runner, h.TaskId)), Long);

        var status = await h.StatusAsync();
        Assert.Equal(BackgroundTaskStatus.Completed, status.Status);
        Assert.Equal("done", status.Name);
        Assert.Equal("kept", await h.WaitAsync(Long));
        Assert.False(await h.CancelAsync());
        Assert.Single(await runner.ListAsync(new TaskQuery(SessionId: "s")));
    }

    [Fact]
    public async Task A_pending_task_gets_its_actor_only_when_its_slot_comes()
    {
        var runner = CreateRunner(maxConcurrent: 1);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = await runner.SubmitAsync(async ctx => { await gate.Task.WaitAsync(ctx.CancellationToken); return 1; });
        var second = await runner.SubmitAsync(_ => Task.FromResult(2));
        await AwaitAssertAsync(async () => Assert.Equal(BackgroundTaskStatus.Running, (await first.StatusAsync()).Status), Long);

        Assert.True(IsAlive(runner, first.TaskId));
        Assert.False(IsAlive(runner, second.TaskId));
        Assert.Equal(BackgroundTaskStatus.Pending, (await second.StatusAsync()).Status);
        var waiting = second.WaitAsync(Long); // a waiter registered while pending is answered by the task's actor later

        gate.SetResult();
        Assert.Equal(2, await waiting);
        Assert.Equal(1, await first.WaitAsync(Long));
    }

    [Fact]
    public async Task A_finished_task_is_cleaned_up_on_time()
    {
        var runner = CreateRunner(cleanupDelay: TimeSpan.FromSeconds(1));
        var h = await runner.SubmitAsync(_ => Task.FromResult(1));
        await h.WaitAsync(Long);
        Assert.Single(await runner.ListAsync());

        await AwaitAssertAsync(() => Assert.ThrowsAsync<TaskNotFoundException>(() => h.StatusAsync()), Long);
        Assert.Empty(await runner.ListAsync());
    }

    [Fact]
    public async Task Queries_racing_with_the_end_of_a_run_are_all_answered()
    {
        var runner = CreateRunner();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var h = await runner.SubmitAsync(async _ => { await gate.Task; return 5; });
        // While these are in flight the task finishes and its actor hands it back and stops; none may be lost.
        var queries = Enumerable.Range(0, 300).Select(async i =>
        {
            if (i == 100) gate.SetResult();
            return (await h.StatusAsync()).Status;
        }).ToList();
        var answers = await Task.WhenAll(queries).WaitAsync(Long);
        Assert.All(answers, s => Assert.Contains(s, new[] { BackgroundTaskStatus.Running, BackgroundTaskStatus.Pending, BackgroundTaskStatus.Completed }));
        Assert.Equal(5, await h.WaitAsync(Long));
    }

    private bool IsAlive(BackgroundRunner runner, string taskId)
    {
        try
        {
            Sys.ActorSelection(runner.Router.Path / ("task-" + taskId)).ResolveOne(TimeSpan.FromSeconds(1)).Wait();
            return true;
        }
        catch (AggregateException e) when (e.InnerException is ActorNotFoundException)
        {
            return false;
        }
    }
}
