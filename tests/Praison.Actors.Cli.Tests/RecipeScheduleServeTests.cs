using System.Text.Json;

namespace Praison.Actors.Cli.Tests;

/// <summary><c>serve</c> keeps one schedule per recipe whose TEMPLATE.yaml has <c>runtime.schedule.enabled: true</c>: <c>recipe.NAME</c>.</summary>
public sealed class RecipeScheduleServeTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private void WriteRecipe(string interval, int timeoutSec) => _dir.Write("recipes/tick/TEMPLATE.yaml", $$"""
        name: tick
        runtime:
          schedule:
            enabled: true
            interval: "{{interval}}"
            max_retries: 1
            timeout_sec: {{timeoutSec}}
        steps:
          - command: echo
            args: ["tick"]
        """);

    private async Task<JsonElement> ListAsync()
    {
        var r = await CliProcess.RunAsync(_dir, "schedule", "list", "--json");
        Assert.True(r.ExitCode == 0, r.ToString());
        return r.Json();
    }

    [Fact]
    public async Task Serve_creates_the_recipe_schedule_that_fires_and_a_restart_keeps_one_updated_and_still_paused()
    {
        WriteRecipe("*/1s", 30);
        using (var serve = await Serve.StartAsync(_dir))
        {
            await ServeTests.EventuallyAsync(async () =>
            {
                var runs = await CliProcess.RunAsync(_dir, "schedule", "runs", "recipe.tick", "--json");
                return runs.ExitCode == 0 && runs.Json().GetArrayLength() > 0;
            }, "a run of recipe.tick");
            var created = Assert.Single((await ListAsync()).EnumerateArray());
            Assert.Equal("recipe.tick", created.GetProperty("name").GetString());
            Assert.Equal("tick", created.GetProperty("recipe").GetString());
            Assert.Equal(2, created.GetProperty("maxAttempts").GetInt32()); // max_retries 1

            var pause = await CliProcess.RunAsync(_dir, "schedule", "pause", "recipe.tick");
            Assert.True(pause.ExitCode == 0, pause.ToString());
            await serve.Process.SignalAsync("INT");
            var stopped = await serve.Process.WaitForExitAsync();
            Assert.True(stopped.ExitCode == 0, stopped.ToString());
        }

        // A restart on a changed template: still one schedule, updated, and the user's pause kept.
        WriteRecipe("*/2s", 60);
        using (var again = await Serve.StartAsync(_dir))
        {
            var schedule = Assert.Single((await ListAsync()).EnumerateArray());
            Assert.Equal("recipe.tick", schedule.GetProperty("name").GetString());
            Assert.Equal("*/2s", schedule.GetProperty("expression").GetString());
            Assert.True(schedule.GetProperty("paused").GetBoolean());
            await again.Process.SignalAsync("INT");
            var stopped = await again.Process.WaitForExitAsync();
            Assert.True(stopped.ExitCode == 0, stopped.ToString());
        }
    }

    [Fact]
    public async Task An_invalid_interval_stops_serve_with_exit_2_naming_the_file_and_key_and_stores_nothing()
    {
        WriteRecipe("fortnightly", 30);

        using var serve = CliProcess.Start(_dir, "serve", "--urls", "http://127.0.0.1:0");
        var r = await serve.WaitForExitAsync();

        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("TEMPLATE.yaml:5:", r.Stderr);
        Assert.Contains("runtime.schedule.interval: 'fortnightly' is not a schedule", r.Stderr);
        Assert.Empty((await ListAsync()).EnumerateArray());
    }
}
