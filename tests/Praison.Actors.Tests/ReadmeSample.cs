using Akka.Actor;
using Praison.Actors;

namespace Praison.Actors.Tests;

public static class QuickStart
{
    public static async Task<string> RunAsync(ActorSystem actorSystem)
    {
        // A recipe is a named unit of work declared by a TEMPLATE.yaml.
        var recipes = new RecipeRegistry().Register("""
            name: my-recipe
            runtime:
              timeout_sec: 300
              background:
                max_concurrent: 2
            """, async ctx =>
            {
                ctx.ReportProgress(0.5, "thinking");
                await Task.Delay(50, ctx.CancellationToken);
                return new { answer = $"You asked: {ctx.GetInputString("query")}" };
            });
        var runner = new BackgroundRunner(actorSystem, new BackgroundRunnerOptions { MaxConcurrentTasks = 5, Recipes = recipes });

        // Recipes (praisonai: recipe.run_background)
        BackgroundTaskHandle task = await runner.RunBackgroundAsync("my-recipe", new RecipeRunOptions
        {
            Input = new { query = "What is AI?" },
            Config = new Dictionary<string, object?> { ["maxTokens"] = 1000 },
            SessionId = "session_123",
            TimeoutSec = 300,
        });
        await foreach (TaskUpdate update in task.WatchAsync())
            Console.WriteLine($"{update.Status} {update.Progress?.Fraction:P0} {update.Progress?.Message}");
        BackgroundTaskStatus s = await task.StatusAsync();     // Completed
        object? result = await task.WaitAsync(TimeSpan.FromSeconds(600));
        bool cancelled = await task.CancelAsync();             // false: it already finished

        // Any async work, e.g. an agent (praisonai: BackgroundRunner)
        ActorHandle<string> h = await runner.SubmitAsync(
            async ctx => { await Task.Delay(10, ctx.CancellationToken); return "analysis done"; },
            new TaskOptions { Name = "analysis-task", Timeout = TimeSpan.FromSeconds(300) });
        string r = await runner.WaitForTaskAsync<string>(h.TaskId);
        return $"{s} {result} {cancelled} {r}";
    }
}
