using Praison.Actors.Persistence;
using Xunit;

namespace Praison.Actors.IntegrationTests.Persistence;

public class SqliteSmokeTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "praison-it-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task A_task_runs_on_a_real_sqlite_file()
    {
        var recipes = new RecipeRegistry().Register("name: hello\n", ctx => Task.FromResult<object?>("hi " + ctx.GetInputString("who")));
        await using (var rt = await PraisonRuntime.StartAsync(new PraisonRuntimeOptions
                     {
                         Store = TaskStore.Sqlite(_dir),
                         Runner = new BackgroundRunnerOptions { Recipes = recipes },
                     }))
        {
            var h = await rt.Runner.RunBackgroundAsync("hello", new RecipeRunOptions { Input = new { who = "there" } });
            Assert.Equal("hi there", await h.WaitAsync(TimeSpan.FromSeconds(30)));
        }
        Assert.True(File.Exists(Path.Combine(_dir, "journal.db")));
        Assert.True(File.Exists(Path.Combine(_dir, "snapshots.db")));
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
