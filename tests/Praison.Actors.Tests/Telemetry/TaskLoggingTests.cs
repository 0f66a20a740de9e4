using Akka.Actor;
using Microsoft.Extensions.Logging;
using Praison.Actors.Testing;
using Xunit;

namespace Praison.Actors.Tests.Telemetry;

/// <summary>
/// <see cref="BackgroundRunnerOptions.LoggerFactory"/>: the actor system's log reaches the factory, Akka's own lines
/// and the runtime's, and the runtime's lines about a task carry its id, recipe and session as structured fields.
/// </summary>
public class TaskLoggingTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    private static Task<PraisonRuntime> StartAsync(CapturingLoggerFactory logs, RecipeRegistry recipes) =>
        PraisonRuntime.StartAsync(new PraisonRuntimeOptions
        {
            SystemName = "logging-" + Guid.NewGuid().ToString("N")[..8],
            Runner = new BackgroundRunnerOptions { Recipes = recipes, LoggerFactory = logs },
        });

    [Fact]
    public async Task A_failing_task_logs_its_id_recipe_and_session_as_fields()
    {
        var logs = new CapturingLoggerFactory();
        var recipe = "logging-" + Guid.NewGuid().ToString("N")[..8];
        var recipes = new RecipeRegistry().Register($"name: {recipe}", _ => throw new InvalidOperationException("the recipe broke"));
        await using var rt = await StartAsync(logs, recipes);

        var handle = await rt.Runner.RunBackgroundAsync(recipe, new RecipeRunOptions { SessionId = "session-7" });
        await Assert.ThrowsAnyAsync<Exception>(() => handle.WaitAsync(Long));

        var entry = await logs.WaitForAsync(e => Equals(e.Fields.GetValueOrDefault("TaskId"), handle.TaskId), Long, $"about task {handle.TaskId}");
        Assert.Equal(LogLevel.Information, entry.Level);
        Assert.Equal(recipe, entry.Fields["Recipe"]);
        Assert.Equal("session-7", entry.Fields["SessionId"]);
        Assert.Equal("the recipe broke", entry.Fields["ErrorMessage"]);
        Assert.StartsWith("Task {TaskId} failed", (string)entry.Fields["{OriginalFormat}"]!);
        Assert.Contains(handle.TaskId, entry.Message); // the text is formatted too
        Assert.Equal("Praison.Actors.Tasks.TaskRunner", entry.Category); // the class that logged it
    }

    [Fact]
    public async Task A_retry_and_the_last_failure_are_logged_with_the_attempt()
    {
        var logs = new CapturingLoggerFactory();
        var recipe = "logging-" + Guid.NewGuid().ToString("N")[..8];
        var recipes = new RecipeRegistry().Register($"name: {recipe}", _ => throw new InvalidOperationException("again"));
        await using var rt = await StartAsync(logs, recipes);

        var handle = await rt.Runner.RunBackgroundAsync(recipe, new RecipeRunOptions
        {
            Retry = new RetryPolicy { MaxAttempts = 2, InitialDelay = TimeSpan.Zero, MaxDelay = TimeSpan.Zero },
        });
        await Assert.ThrowsAnyAsync<Exception>(() => handle.WaitAsync(Long));

        bool About(CapturedLog e, string start) =>
            Equals(e.Fields.GetValueOrDefault("TaskId"), handle.TaskId) && ((string?)e.Fields.GetValueOrDefault("{OriginalFormat}"))?.StartsWith(start) == true;
        var retry = await logs.WaitForAsync(e => About(e, "Task {TaskId} attempt {Attempt} failed"), Long, "of the retry");
        Assert.Equal(1, retry.Fields["Attempt"]);
        Assert.Equal(recipe, retry.Fields["Recipe"]);
        var last = await logs.WaitForAsync(e => About(e, "Task {TaskId} failed after {Attempt} attempts"), Long, "of the last failure");
        Assert.Equal(2, last.Fields["Attempt"]);
    }

    [Fact]
    public async Task Akkas_own_log_events_arrive_in_the_factory()
    {
        var logs = new CapturingLoggerFactory();
        await using var rt = await StartAsync(logs, new RecipeRegistry());

        // A message nobody receives: Akka's own dead-letter listener reports it at INFO, from its own class.
        rt.System.DeadLetters.Tell("nobody reads this");
        var entry = await logs.WaitForAsync(e => e.Category.StartsWith("Akka.", StringComparison.Ordinal) && e.Message.Contains("dead letters"),
            Long, "from Akka about the dead letter");
        Assert.Equal(LogLevel.Information, entry.Level);
        Assert.Contains("nobody reads this", entry.Message);
    }
}
