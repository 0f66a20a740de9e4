using System.Reflection;
using Xunit;
using Xunit.Abstractions;

namespace Praison.Actors.Tests.Runner;

public class BackgroundRunnerInterfaceTests(ITestOutputHelper output) : RuntimeTestKit(output)
{
    [Fact]
    public void Every_public_method_of_BackgroundRunner_is_on_IBackgroundRunner()
    {
        // A client method missing here cannot be mocked or reached through DI: add it to IBackgroundRunner.
        var implemented = typeof(IBackgroundRunner).GetInterfaces().Append(typeof(IBackgroundRunner))
            .SelectMany(i => typeof(BackgroundRunner).GetInterfaceMap(i).TargetMethods)
            .ToHashSet();
        var missing = typeof(BackgroundRunner).GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Where(m => !m.IsSpecialName && !implemented.Contains(m))
            .Select(m => m.ToString())
            .ToList();
        Assert.True(missing.Count == 0, "Public on BackgroundRunner but not on IBackgroundRunner: " + string.Join("; ", missing));
        Assert.True(typeof(IRecipeRunner).IsAssignableFrom(typeof(IBackgroundRunner)));
    }

    [Fact]
    public async Task Code_written_against_the_interface_runs_on_the_runner()
    {
        IBackgroundRunner runner = CreateRunner();
        var h = await runner.SubmitAsync(ctx => Task.FromResult("via the interface"), new TaskOptions { Name = "i" });
        Assert.Equal("via the interface", await runner.WaitForTaskAsync<string>(h.TaskId, Long));
        Assert.Equal(BackgroundTaskStatus.Completed, (await runner.GetStatusAsync(h.TaskId)).Status);
        Assert.False(await runner.CancelAsync(h.TaskId));
        Assert.Equal(h.TaskId, Assert.Single(await runner.ListAsync(new TaskQuery(Name: "i"))).TaskId);
        Assert.Equal("via the interface", await runner.GetHandle(h.TaskId).WaitAsync(Long));
        await runner.RemoveAsync(h.TaskId);
        await Assert.ThrowsAsync<TaskNotFoundException>(() => runner.GetStatusAsync(h.TaskId));
        await runner.SubmitAsync(ctx => Task.CompletedTask).ContinueWith(t => t.Result.WaitAsync(Long)).Unwrap();
        Assert.Equal(1, await runner.ClearAsync());
    }
}
