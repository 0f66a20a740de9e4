using Akka.Actor;
using Xunit;
using Xunit.Abstractions;

namespace Praison.Actors.Tests.Runner;

/// <summary>Finished tasks leave memory after an idle period and are woken on demand, with nothing lost.</summary>
public class PassivationTests(ITestOutputHelper output) : RuntimeTestKit(output)
{
    [Fact]
    public async Task A_finished_task_passivates_and_still_answers_status_and_wait()
    {
        var runner = CreateRunner(passivateAfter: TimeSpan.FromMilliseconds(100));
        var h = await runner.SubmitAsync(_ => Task.FromResult("kept"), new TaskOptions { Name = "sleepy", SessionId = "s" });
        Assert.Equal("kept", await h.WaitAsync(Long));

        await AwaitAssertAsync(() => Assert.False(IsAlive(runner, h.TaskId)), Long);

        var status = await h.StatusAsync();
        Assert.Equal(BackgroundTaskStatus.Completed, status.Status);
        Assert.Equal("sleepy", status.Name);
        Assert.Equal("kept", await h.WaitAsync(Long));
        Assert.False(await h.CancelAsync());
        Assert.Single(await runner.ListAsync(new TaskQuery(SessionId: "s")));
    }

    [Fact]
    public async Task A_passivated_task_is_still_cleaned_up_on_time()
    {
        var runner = CreateRunner(cleanupDelay: TimeSpan.FromSeconds(1), passivateAfter: TimeSpan.FromMilliseconds(100));
        var h = await runner.SubmitAsync(_ => Task.FromResult(1));
        await h.WaitAsync(Long);
        await AwaitAssertAsync(() => Assert.False(IsAlive(runner, h.TaskId)), Long);
        Assert.Single(await runner.ListAsync());

        await AwaitAssertAsync(() => Assert.ThrowsAsync<TaskNotFoundException>(() => h.StatusAsync()), Long);
        Assert.Empty(await runner.ListAsync());
    }

    [Fact]
    public async Task Many_queries_racing_with_passivation_are_all_answered()
    {
        var runner = CreateRunner(passivateAfter: TimeSpan.FromMilliseconds(1));
        var h = await runner.SubmitAsync(_ => Task.FromResult(5));
        await h.WaitAsync(Long);
        // Queries keep waking the actor while it keeps passivating; none may be lost to dead letters.
        var answers = await Task.WhenAll(Enumerable.Range(0, 200).Select(async _ =>
            (await h.StatusAsync()).Status)).WaitAsync(Long);
        Assert.All(answers, s => Assert.Equal(BackgroundTaskStatus.Completed, s));
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
