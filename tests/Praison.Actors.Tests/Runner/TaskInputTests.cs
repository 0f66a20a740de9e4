using Akka.Configuration;
using Xunit;

namespace Praison.Actors.Tests.Runner;

/// <summary><see cref="BackgroundRunner.GetInputAsync"/>: what a task was submitted with, read from the store's journal.</summary>
public class TaskInputTests
{
    private static Task<PraisonRuntime> StartAsync(TaskStore store) =>
        PraisonRuntime.StartAsync(new PraisonRuntimeOptions
        {
            Store = store,
            SystemName = "input-" + Guid.NewGuid().ToString("N")[..8],
            Config = ConfigurationFactory.ParseString("akka.loglevel = WARNING"),
            Runner = new BackgroundRunnerOptions
            {
                Recipes = new RecipeRegistry().Register("name: echo", ctx => Task.FromResult<object?>(ctx.Input)),
            },
        });

    [Fact]
    public async Task A_sql_store_gives_back_the_stored_input_and_config()
    {
        var dir = Path.Combine(Path.GetTempPath(), "praison-input-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            await using var rt = await StartAsync(TaskStore.Sqlite(dir));
            var task = await rt.Runner.RunBackgroundAsync("echo", new RecipeRunOptions
            {
                Input = new { q = "what is ai" },
                Config = new Dictionary<string, object?> { ["maxTokens"] = 7 },
            });
            await task.WaitAsync(TimeSpan.FromSeconds(30));

            var input = await rt.Runner.GetInputAsync(task.TaskId);
            Assert.NotNull(input);
            Assert.Equal("{\"q\":\"what is ai\"}", input.InputJson);
            Assert.Contains("\"maxTokens\":7", input.ConfigJson);
            Assert.Null(await rt.Runner.GetInputAsync("no-such-task"));
            await Assert.ThrowsAsync<ArgumentException>(() => rt.Runner.GetInputAsync("bad id!"));
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task The_ephemeral_store_keeps_nothing_to_read()
    {
        await using var rt = await StartAsync(TaskStore.Ephemeral);
        var task = await rt.Runner.RunBackgroundAsync("echo", new RecipeRunOptions { Input = 1 });
        await task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Null(await rt.Runner.GetInputAsync(task.TaskId));
    }
}
