using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Praison.Actors.Server.Tests;

/// <summary>/health follows the store: unhealthy (503) while its writes fail, healthy again once one succeeds.</summary>
public sealed class HealthTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("praison-health-").FullName;
    private PraisonRuntime _runtime = null!;
    private WebApplication _app = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        var recipes = new RecipeRegistry().Register("name: echo\n", _ => Task.FromResult<object?>("ok"));
        _runtime = await PraisonRuntime.StartAsync(new PraisonRuntimeOptions
        {
            Store = TaskStore.Sqlite(_dir),
            Runner = new BackgroundRunnerOptions { Recipes = recipes },
            SystemName = "health-tests",
        });
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddPraisonJobs(_runtime.Runner);
        _app = builder.Build();
        _app.MapPraisonJobs();
        await _app.StartAsync();
        _http = new HttpClient { BaseAddress = new Uri(_app.Urls.First()), Timeout = TimeSpan.FromSeconds(60) };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _runtime.DisposeAsync();
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { /* a file may still be held for a moment; the temp dir is left behind */ }
    }

    [Fact]
    public async Task Health_is_503_with_the_store_error_while_writes_fail_and_200_once_they_succeed()
    {
        var first = await SubmitAsync();
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        // Its Started and Completed writes must be stored before the fault: one caught by it would wait for its retry
        // and keep the store unhealthy after the repair until that retry lands.
        await _runtime.Runner.WaitForTaskAsync<string>((await JsonAsync(first)).GetProperty("job_id").GetString()!, TimeSpan.FromSeconds(60));
        var healthy = await _http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, healthy.StatusCode);
        Assert.Equal("healthy", (await JsonAsync(healthy)).GetProperty("status").GetString());

        // A real fault: the journal table disappears under the running host, so the next write fails.
        await ExecuteAsync("ALTER TABLE journal RENAME TO journal_away");
        var refused = await SubmitAsync();
        Assert.NotEqual(HttpStatusCode.Accepted, refused.StatusCode);
        var unhealthy = await _http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, unhealthy.StatusCode);
        var body = await JsonAsync(unhealthy);
        Assert.Equal("unhealthy", body.GetProperty("status").GetString());
        Assert.False(body.GetProperty("store").GetProperty("healthy").GetBoolean());
        Assert.Contains("journal", body.GetProperty("store").GetProperty("last_error").GetString());

        await ExecuteAsync("ALTER TABLE journal_away RENAME TO journal");
        Assert.Equal(HttpStatusCode.Accepted, (await SubmitAsync()).StatusCode);
        var recovered = await _http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, recovered.StatusCode);
        Assert.Equal("healthy", (await JsonAsync(recovered)).GetProperty("status").GetString());
    }

    private Task<HttpResponseMessage> SubmitAsync() =>
        _http.PostAsync(PraisonJobsEndpoints.RunsPath, new StringContent("""{"recipe":"echo","prompt":"p"}""", Encoding.UTF8, "application/json"));

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(_dir, "journal.db"), Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
}
