using Praison.Actors.TestSupport;

namespace Praison.Actors.Agents.Tests;

/// <summary>An agent recipe on a schedule (the C# scheduler API): the slot fires, the run asks the stub and completes with usage.</summary>
public sealed class AgentScheduleTests : IAsyncLifetime
{
    private OpenAIStub _stub = null!;
    private PraisonRuntime _runtime = null!;

    public async Task InitializeAsync()
    {
        _stub = await OpenAIStub.StartAsync();
        var recipes = new RecipeRegistry().AddAgentRecipes(() => new AgentEndpoint(new AgentEndpointOptions { BaseUrl = _stub.BaseUrl, Model = "echo" }));
        _runtime = await PraisonRuntime.StartAsync(new PraisonRuntimeOptions { Runner = new BackgroundRunnerOptions { Recipes = recipes } });
    }

    public async Task DisposeAsync()
    {
        await _runtime.DisposeAsync();
        await _stub.DisposeAsync();
    }

    [Fact]
    public async Task A_scheduled_ask_fires_and_completes_with_the_model_s_answer_and_usage()
    {
        var at = DateTimeOffset.UtcNow.AddSeconds(2).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        var schedule = await _runtime.Runner.Scheduler.ScheduleAsync("morning-brief", AgentRecipes.DefaultName, "at:" + at,
            new ScheduleOptions { Input = new { prompt = "Summarise the night" } });

        // The slot fires on the scheduler's clock; wait (at most a minute) for the run it records.
        var deadline = DateTime.UtcNow.AddMinutes(1);
        IReadOnlyList<ScheduleRun> runs;
        while ((runs = await schedule.RunsAsync()).Count == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the schedule did not fire within a minute");
            await Task.Delay(50);
        }
        var value = (System.Text.Json.JsonElement)(await _runtime.Runner.GetHandle(Assert.Single(runs).TaskId).WaitAsync(TimeSpan.FromSeconds(60)))!;
        var result = System.Text.Json.JsonSerializer.Deserialize<AgentRecipeResult>(value.GetRawText(), PraisonJson.Options)!;

        Assert.Equal("ECHO: Summarise the night", result.Text);
        Assert.True(result.Usage.OutputTokens > 0);
        Assert.Equal("Summarise the night", Assert.Single(_stub.For("echo")).Messages[1].Text);
    }
}
