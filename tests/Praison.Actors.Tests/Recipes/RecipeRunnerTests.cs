using Xunit;
using Xunit.Abstractions;

namespace Praison.Actors.Tests.Recipes;

public class RecipeRunnerTests(ITestOutputHelper output) : RuntimeTestKit(output)
{
    [Fact]
    public async Task A_recipe_gets_its_input_config_and_session()
    {
        var runner = CreateRunner(recipes: Recipes(("name: echo\n", ctx => Task.FromResult<object?>(new
        {
            query = ctx.GetInputString("query"),
            maxTokens = ctx.GetConfig<int>("maxTokens"),
            session = ctx.SessionId,
            recipe = ctx.Template.Name,
        }))));
        var task = await runner.RunBackgroundAsync("echo", new RecipeRunOptions
        {
            Input = new { query = "What is AI?" },
            Config = new Dictionary<string, object?> { ["maxTokens"] = 1000 },
            SessionId = "session_123",
            TimeoutSec = 300,
        });
        Assert.Equal("echo", task.RecipeName);
        Assert.Equal("session_123", task.SessionId);
        var result = await runner.WaitForTaskAsync<EchoResult>(task.TaskId, Long);
        Assert.Equal(new EchoResult("What is AI?", 1000, "session_123", "echo"), result);
    }

    [Fact]
    public async Task The_template_timeout_applies_when_the_run_gives_none()
    {
        var runner = CreateRunner(recipes: Recipes(("name: slow\nruntime:\n  timeout_sec: 1\n", async ctx =>
        {
            await Task.Delay(Timeout.Infinite, ctx.CancellationToken);
            return null;
        })));
        var task = await runner.RunBackgroundAsync("slow");
        await Assert.ThrowsAsync<TaskTimedOutException>(() => task.WaitAsync(Long));
    }

    [Fact]
    public async Task The_template_cleanup_delay_applies()
    {
        var runner = CreateRunner(recipes: Recipes(("name: brief\nruntime:\n  background:\n    cleanup_delay_sec: 0\n", _ => Task.FromResult<object?>(1))));
        var task = await runner.RunBackgroundAsync("brief");
        await AwaitAssertAsync(() => Assert.ThrowsAsync<TaskNotFoundException>(() => task.StatusAsync()), Long);
    }

    [Fact]
    public async Task A_disabled_recipe_is_refused_with_the_reason_and_nothing_is_stored()
    {
        var runner = CreateRunner(recipes: Recipes(("name: off\nruntime:\n  background:\n    enabled: false\n", _ => Task.FromResult<object?>(1))));
        var ex = await Assert.ThrowsAsync<RecipeException>(() => runner.RunBackgroundAsync("off"));
        Assert.Contains("enabled: false", ex.Message);
        Assert.Empty(await runner.ListAsync());
    }

    public sealed record EchoResult(string Query, int MaxTokens, string Session, string Recipe);
}
