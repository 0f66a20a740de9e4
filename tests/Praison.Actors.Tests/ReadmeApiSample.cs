using Praison.Actors;

namespace Praison.Actors.Tests;

public static class MoreOfTheApi
{
    public static async Task<string> RunAsync(IBackgroundRunner runner)
    {
        // Work that returns nothing: WaitAsync returns null, or throws as for any task.
        ActorHandle cleanup = await runner.SubmitAsync(async ctx => { await Task.Delay(10, ctx.CancellationToken); });
        await cleanup.WaitAsync(TimeSpan.FromSeconds(30));

        // Many tasks at once: every submission is in flight together; handles come back in input order.
        string[] files = ["a.txt", "bb.txt", "ccc.txt"];
        IReadOnlyList<ActorHandle<int>> lengths = await runner.SubmitManyAsync(files,
            async (file, ctx) => { await Task.Delay(10, ctx.CancellationToken); return file.Length; },
            file => new TaskOptions { Name = $"length-{file}", SessionId = "batch-1" });

        // The first to finish (whatever its outcome), then all of them, results in input order.
        ActorHandle<int> first = await runner.WaitAnyAsync(lengths, TimeSpan.FromSeconds(30));
        IReadOnlyList<int> all = await runner.WaitAllAsync(lengths, TimeSpan.FromSeconds(30));

        // A recipe over many inputs. A batch is not all-or-nothing: if the queue refuses some runs, the others
        // are stored and run, and the exception says which (cancel them if the batch must not run partly).
        IReadOnlyList<BackgroundTaskHandle> runs;
        try
        {
            runs = await runner.RunBackgroundManyAsync("my-recipe",
                new[] { "a", "b" }.Select(q => new RecipeRunOptions { Input = new { query = q } }));
        }
        catch (BatchSubmitException ex)
        {
            foreach (var stored in ex.Submitted.OfType<ActorHandle>()) await stored.CancelAsync();
            throw;
        }
        IReadOnlyList<object?> answers = await runner.WaitAllAsync(runs, TimeSpan.FromSeconds(30));

        return $"first: {lengths.Contains(first)}; lengths: {string.Join(",", all)}; answers: {string.Join("|", answers)}";
    }
}
