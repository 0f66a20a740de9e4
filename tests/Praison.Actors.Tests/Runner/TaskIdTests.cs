using Praison.Actors.Messages;
using Praison.Actors.Serialization;
using Xunit;
using Xunit.Abstractions;

namespace Praison.Actors.Tests.Runner;

/// <summary>A caller-given task id: the first submission stores the task, every later one returns it and runs nothing.</summary>
public class TaskIdTests(ITestOutputHelper output) : RuntimeTestKit(output)
{
    [Fact]
    public async Task A_reused_id_returns_the_existing_task_and_runs_the_work_once()
    {
        var runner = CreateRunner();
        var runs = 0;
        var release = new TaskCompletionSource();
        Func<TaskContext, Task<int>> work = async _ =>
        {
            Interlocked.Increment(ref runs);
            await release.Task;
            return 42;
        };

        var first = await runner.SubmitAsync(work, new TaskOptions { TaskId = "order-7", Name = "first" });
        var again = await runner.SubmitAsync(work, new TaskOptions { TaskId = "order-7", Name = "second" });
        release.SetResult();
        var afterwards = await runner.SubmitAsync(work, new TaskOptions { TaskId = "order-7" });

        Assert.True(first.Created);
        Assert.False(again.Created);
        Assert.False(afterwards.Created);
        Assert.Equal("order-7", again.TaskId);
        Assert.Equal("first", again.Name); // the stored task, not the second submission's options
        Assert.Equal(42, await afterwards.WaitAsync(Long));
        Assert.Equal(1, runs);
        Assert.Single(await runner.ListAsync());
    }

    [Fact]
    public async Task Two_submissions_of_one_id_in_flight_at_once_store_one_task()
    {
        var runner = CreateRunner();
        var runs = 0;
        var handles = await runner.SubmitManyAsync(new[] { 1, 2, 3 }, (item, _) =>
        {
            Interlocked.Increment(ref runs);
            return Task.FromResult(item);
        }, _ => new TaskOptions { TaskId = "same" });

        Assert.Equal(1, handles.Count(h => h.Created));
        Assert.All(handles, h => Assert.Equal("same", h.TaskId));
        Assert.Equal(1, await handles[2].WaitAsync(Long)); // the first item's work ran; the others named it
        Assert.Equal(1, runs);
    }

    [Fact]
    public async Task A_recipe_run_with_a_reused_id_returns_the_first_run()
    {
        var ran = 0;
        var runner = CreateRunner(recipes: Recipes(("name: echo\n", ctx =>
        {
            Interlocked.Increment(ref ran);
            return Task.FromResult<object?>(ctx.Input.ToString());
        })));

        var first = await runner.RunBackgroundAsync("echo", new RecipeRunOptions { TaskId = "run_abc", Input = "one" });
        Assert.Equal("one", await first.WaitAsync(Long));
        var second = await runner.RunBackgroundAsync("echo", new RecipeRunOptions { TaskId = "run_abc", Input = "two" });

        Assert.False(second.Created);
        Assert.Equal("one", await second.WaitAsync(Long));
        Assert.Equal(1, ran);
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("../etc")]
    public async Task A_malformed_id_is_refused_before_anything_is_stored(string id)
    {
        var runner = CreateRunner();
        var ex = await Assert.ThrowsAsync<ArgumentException>(() =>
            runner.SubmitAsync(_ => Task.FromResult(1), new TaskOptions { TaskId = id }));
        Assert.Contains("TaskOptions.TaskId", ex.Message);
        Assert.Empty(await runner.ListAsync());
    }

    [Fact]
    public void A_reply_naming_an_existing_task_crosses_nodes_intact()
    {
        var serializer = new PraisonJsonSerializer((Akka.Actor.ExtendedActorSystem)Sys);
        var info = new TaskStatusInfo("t1", TaskKind.Recipe, "echo", "echo", null, BackgroundTaskStatus.Running,
            DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, null, null, null);
        var reply = new TaskAccepted(info, Created: false);

        var back = (TaskAccepted)serializer.FromBinary(serializer.ToBinary(reply), serializer.Manifest(reply));

        Assert.False(back.Created);
        Assert.Equal("t1", back.Task.TaskId);
    }
}
