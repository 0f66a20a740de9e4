using Akka.Actor;
using Xunit;
using Xunit.Abstractions;

namespace Praison.Actors.Tests.Runner;

/// <summary>
/// A host keeps an actor (a TaskRunner) only for a running task: pending and finished tasks are records in the
/// supervisor, and answer every call all the same.
/// </summary>
public class TaskRunnerLifetimeTests(ITestOutputHelper output) : RuntimeTestKit(output)
{
    [Fact]
    public async Task A_finished_task_keeps_no_actor_and_still_answers_status_wait_cancel_and_list()
    {
        var runner = CreateRunner();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var h = await runner.SubmitAsync(async _ =>
        {
            started.SetResult();
            await gate.Task;
            return "kept";
        }, new TaskOptions { Name = "done", SessionId = "s" });
        await started.Task.WaitAsync(Long);
        var taskActor = await RunnerOf(runner, h.TaskId);
        Assert.NotNull(taskActor);
        Watch(taskActor);

        gate.SetResult();
        Assert.Equal("kept", await h.WaitAsync(Long));
        ExpectTerminated(taskActor, Long);

        var status = await h.StatusAsync();
        Assert.Equal(BackgroundTaskStatus.Completed, status.Status);
        Assert.Equal("done", status.Name);
        Assert.Equal("kept", await h.WaitAsync(Long));
        Assert.False(await h.CancelAsync());
        Assert.Single(await runner.ListAsync(new TaskQuery(SessionId: "s")));
        Assert.Null(await RunnerOf(runner, h.TaskId));
    }

    [Fact]
    public async Task A_pending_task_gets_its_actor_only_when_its_slot_comes()
    {
        var runner = CreateRunner(maxConcurrent: 1);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = await runner.SubmitAsync(async ctx =>
        {
            started.SetResult();
            await gate.Task.WaitAsync(ctx.CancellationToken);
            return 1;
        });
        var second = await runner.SubmitAsync(_ => Task.FromResult(2));
        await started.Task.WaitAsync(Long);

        Assert.Equal(BackgroundTaskStatus.Running, (await first.StatusAsync()).Status);
        Assert.NotNull(await RunnerOf(runner, first.TaskId));
        Assert.Null(await RunnerOf(runner, second.TaskId));
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
    public async Task Queries_racing_with_the_end_of_a_run_are_all_answered_in_order()
    {
        var runner = CreateRunner();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var h = await runner.SubmitAsync(async _ =>
        {
            started.SetResult();
            await gate.Task;
            return 5;
        });
        await started.Task.WaitAsync(Long);
        // While these are in flight the task finishes and its runner hands it back and stops; none may be lost.
        var queries = Enumerable.Range(0, 300).Select(async i =>
        {
            if (i == 100) gate.SetResult();
            return (await h.StatusAsync()).Status;
        }).ToList();
        var answers = await Task.WhenAll(queries).WaitAsync(Long);

        // Queries are sent in index order; the supervisor forwards them while the runner lives, and the work's end reaches
        // the runner directly, so where the switch falls is a race. What must hold: Running until the first Completed,
        // then only Completed (no answer goes back in time, none is lost).
        var firstCompleted = Array.IndexOf(answers, BackgroundTaskStatus.Completed);
        var end = firstCompleted < 0 ? answers.Length : firstCompleted;
        Assert.All(answers[..end], s => Assert.Equal(BackgroundTaskStatus.Running, s));
        Assert.All(answers[end..], s => Assert.Equal(BackgroundTaskStatus.Completed, s));
        Assert.Equal(5, await h.WaitAsync(Long));
        Assert.Equal(BackgroundTaskStatus.Completed, (await h.StatusAsync()).Status);
    }

    /// <summary>The task's runner, if one is alive: asked with Identify (answered with no subject when there is none).</summary>
    private async Task<IActorRef?> RunnerOf(BackgroundRunner runner, string taskId)
    {
        var identity = await Sys.ActorSelection(runner.Router.Path / ("task-" + taskId)).Ask<ActorIdentity>(new Identify(taskId), Long);
        return identity.Subject;
    }
}
