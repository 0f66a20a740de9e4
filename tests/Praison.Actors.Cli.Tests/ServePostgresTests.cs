using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using Praison.Actors.IntegrationTests.Support;
using Praison.Actors.Persistence;

namespace Praison.Actors.Cli.Tests;

/// <summary>`serve --postgres` without `--cluster`: a standalone host whose store is PostgreSQL, not the data directory.</summary>
public sealed class ServePostgresTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [PostgresFact]
    public async Task Serve_with_postgres_and_no_cluster_stores_tasks_in_postgres_not_in_the_data_directory()
    {
        await using var db = await PostgresTestStore.CreateAsync();
        var connection = new NpgsqlConnectionStringBuilder(db.ConnectionString) { MaxPoolSize = 5 }.ToString();
        string id;
        using (var serve = await Serve.StartAsync(_dir, "--postgres", connection))
        {
            var submitted = await serve.Http.PostAsJsonAsync("/api/v1/runs", new { recipe = "hello", input = new { name = "pg" } });
            Assert.Equal(HttpStatusCode.Accepted, submitted.StatusCode);
            id = (await submitted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("job_id").GetString()!;
            await ServeTests.EventuallyStatusAsync(serve, id, "completed");
        }

        var stored = await TaskStore.PostgreSql(connection).ReadTasksAsync();
        var task = Assert.Single(stored, t => t.Info.TaskId == id);
        Assert.Equal(BackgroundTaskStatus.Completed, task.Info.Status);
        var sqlite = File.Exists(Path.Combine(_dir.DataDir, "journal.db"))
            ? await TaskStore.Sqlite(_dir.DataDir).ReadTasksAsync()
            : [];
        Assert.DoesNotContain(sqlite, t => t.Info.TaskId == id);
    }
}
