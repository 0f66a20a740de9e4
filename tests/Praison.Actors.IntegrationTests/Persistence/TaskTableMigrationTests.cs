using Praison.Actors.IntegrationTests.Support;
using Praison.Actors.Persistence;
using Xunit;

namespace Praison.Actors.IntegrationTests.Persistence;

/// <summary>
/// A store written before the task table existed (journal rows only) is migrated when a runtime starts on it: the
/// table is created and backfilled once from the journal, every task reads back by id and in lists, and pending
/// tasks still run.
/// </summary>
[Collection("durable")]
public class TaskTableMigrationTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    /// <summary>The tasks in Fixtures/main-sqlite-store (see its README), as main's CLI wrote them.</summary>
    private static readonly (string Id, BackgroundTaskStatus Status, string Recipe, string Session, TaskErrorKind? Error)[] Fixture =
    [
        ("01a235de02847f3b89f85c27ac546415", BackgroundTaskStatus.Completed, "keep-echo", "fx-done", null),
        ("01a235de08ee7ee9a4bd742db17e5dc9", BackgroundTaskStatus.Completed, "keep-echo", "fx-done", null),
        ("01a235de0eba777c81e62465d43ec913", BackgroundTaskStatus.Failed, "keep-fail", "fx-fail", TaskErrorKind.Exception),
        ("01a235de14af7dfd9f0cf5775fe99fa7", BackgroundTaskStatus.Failed, "keep-sleep", "fx-fail", TaskErrorKind.Timeout),
        ("01a235de1e8c75fb8e3cede89fc5cdae", BackgroundTaskStatus.Cancelled, "keep-sleep", "fx-cancel", null),
        ("01a235de2b357b4cb0ef733f7c0944b8", BackgroundTaskStatus.Pending, "hello", "fx-pending", null),
        ("01a235de315f767bbbbfa977bfc263e1", BackgroundTaskStatus.Pending, "hello", "fx-pending", null),
        ("01a235de39f07c3d8b892345bc6490ce", BackgroundTaskStatus.Pending, "hello", "fx-pending", null),
    ];

    private static RecipeRegistry Recipes() =>
        new RecipeRegistry().Register("name: hello\n", _ => Task.FromResult<object?>("hi"));

    [Fact]
    public async Task A_sqlite_store_written_by_main_is_migrated_on_start()
    {
        await using var store = new SqliteTestStore();
        Directory.CreateDirectory(store.Directory);
        foreach (var file in new[] { "journal.db", "snapshots.db" })
            File.Copy(Path.Combine(AppContext.BaseDirectory, "Fixtures", "main-sqlite-store", file), Path.Combine(store.Directory, file));
        Assert.False(await TableExistsAsync(store, "praison_tasks"));

        await using (var runtime = await StartAsync(store.Store))
        {
            // Read straight from the table (another reader), then through the runner.
            var page = await store.Store.QueryTasksAsync(TaskQuery.All, 0, 100);
            Assert.Equal(Fixture.Select(f => f.Id), page.Tasks.Select(t => t.TaskId));
            Assert.Equal(Fixture.Length, page.Total);
            foreach (var f in Fixture)
            {
                var info = await store.Store.GetTaskAsync(f.Id);
                Assert.NotNull(info);
                Assert.Equal(f.Recipe, info.RecipeName);
                Assert.Equal(f.Session, info.SessionId);
                Assert.Equal(f.Error, info.Error?.Kind);
                if (f.Status != BackgroundTaskStatus.Pending)
                {
                    Assert.Equal(f.Status, info.Status);
                    Assert.Equal(f.Status, (await runtime.Runner.GetStatusAsync(f.Id)).Status);
                }
            }
            Assert.Contains("fixture one", await store.Store.ReadResultAsync(Fixture[0].Id));
            Assert.Equal(new[] { Fixture[2].Id, Fixture[3].Id },
                (await runtime.Runner.ListAsync(new TaskQuery(SessionId: "fx-fail"))).Select(t => t.TaskId));

            // The pending ones still run, and their rows follow.
            foreach (var f in Fixture.Where(f => f.Status == BackgroundTaskStatus.Pending))
                Assert.Equal("hi", await runtime.Runner.GetHandle(f.Id).WaitAsync(Long));
            Assert.Equal(5, (await store.Store.QueryTasksAsync(new TaskQuery(BackgroundTaskStatus.Completed), 0, 100)).Total);
        }

        // Backfilled once: a row removed by hand is not backfilled again at the next start.
        await StoreSql.ExecuteAsync(store, $"DELETE FROM praison_tasks WHERE task_id = '{Fixture[4].Id}'");
        await using (var _ = await StartAsync(store.Store))
            Assert.Null(await store.Store.GetTaskAsync(Fixture[4].Id));
    }

    [PostgresFact]
    public async Task A_postgres_store_written_without_the_table_is_migrated_on_start()
    {
        await using var store = await PostgresTestStore.CreateAsync();
        var recipes = new RecipeRegistry()
            .Register("name: hello\n", _ => Task.FromResult<object?>("hi"))
            .Register("name: boom\n", _ => throw new InvalidOperationException("boom"));
        string completed, failed, cancelled, pending;
        await using (var host = await StartAsync(store.Store, recipes))
        {
            completed = (await host.Runner.RunBackgroundAsync("hello", new RecipeRunOptions { SessionId = "m" })).TaskId;
            Assert.Equal("hi", await host.Runner.GetHandle(completed).WaitAsync(Long));
            failed = (await host.Runner.RunBackgroundAsync("boom", new RecipeRunOptions { SessionId = "m" })).TaskId;
            await Assert.ThrowsAnyAsync<Exception>(() => host.Runner.GetHandle(failed).WaitAsync(Long));
        }
        await using (var cli = await PraisonRuntime.StartAsync(new PraisonRuntimeOptions
                     {
                         Store = store.Store, Runner = new BackgroundRunnerOptions { Recipes = recipes, ExecuteTasks = false },
                     }))
        {
            cancelled = (await cli.Runner.RunBackgroundAsync("hello", new RecipeRunOptions { SessionId = "m" })).TaskId;
            Assert.True(await cli.Runner.CancelAsync(cancelled));
            pending = (await cli.Runner.RunBackgroundAsync("hello", new RecipeRunOptions { SessionId = "m" })).TaskId;
        }
        // What a store written before the table looks like: the journal only.
        await StoreSql.ExecuteAsync(store, "DROP TABLE praison_tasks; DROP TABLE praison_schema");

        await using var restarted = await StartAsync(store.Store, recipes);
        Assert.Equal(new[] { completed, failed, cancelled, pending },
            (await store.Store.QueryTasksAsync(new TaskQuery(SessionId: "m"), 0, 10)).Tasks.Select(t => t.TaskId));
        Assert.Equal(BackgroundTaskStatus.Completed, (await store.Store.GetTaskAsync(completed))!.Status);
        Assert.Equal("\"hi\"", await store.Store.ReadResultAsync(completed));
        Assert.Equal(TaskErrorKind.Exception, (await store.Store.GetTaskAsync(failed))!.Error!.Kind);
        Assert.Equal(BackgroundTaskStatus.Cancelled, (await store.Store.GetTaskAsync(cancelled))!.Status);
        Assert.Equal("hi", await restarted.Runner.GetHandle(pending).WaitAsync(Long));
        Assert.Equal(BackgroundTaskStatus.Completed, (await store.Store.GetTaskAsync(pending))!.Status);
    }

    private static Task<PraisonRuntime> StartAsync(TaskStore store, RecipeRegistry? recipes = null) =>
        PraisonRuntime.StartAsync(new PraisonRuntimeOptions
        {
            Store = store, Runner = new BackgroundRunnerOptions { Recipes = recipes ?? Recipes() },
        });

    private static async Task<bool> TableExistsAsync(SqliteTestStore store, string table)
    {
        await using var connection = await StoreSql.OpenAsync(store);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '{table}'";
        return Convert.ToInt64(await command.ExecuteScalarAsync()) > 0;
    }
}
