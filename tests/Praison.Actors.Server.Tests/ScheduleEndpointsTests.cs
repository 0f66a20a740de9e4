using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Praison.Actors.Server.Tests;

/// <summary>/api/v1/schedules: create, read, list, pause, resume, trigger, runs, history, delete; bad input is a 400 that stores nothing.</summary>
public sealed class ScheduleEndpointsTests : IAsyncLifetime
{
    private JobsHost _host = null!;
    private const string Path = PraisonScheduleEndpoints.SchedulesPath;

    public async Task InitializeAsync() => _host = await JobsHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private Task<HttpResponseMessage> PostAsync(string path, string json) =>
        _host.Http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    private async Task<JsonElement> ListAsync() =>
        (await _host.Http.GetFromJsonAsync<JsonElement>(Path)).GetProperty("schedules");

    [Fact]
    public async Task A_schedule_is_created_read_paused_triggered_and_deleted()
    {
        var created = await PostAsync(Path, """
            {"name":"nightly","recipe":"echo","schedule":"cron:0 2 * * *","timeZone":"Europe/Berlin","input":{"x":1},"overlap":"buffer-one","paused":true}
            """);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var view = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("paused", view.GetProperty("state").GetString());
        Assert.Equal("buffer-one", view.GetProperty("overlap").GetString());
        Assert.Equal(1, view.GetProperty("input").GetProperty("x").GetInt32());

        var resumed = await (await _host.Http.PostAsync($"{Path}/nightly/resume", null)).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("active", resumed.GetProperty("state").GetString());

        var trigger = await _host.Http.PostAsync($"{Path}/nightly/trigger", null);
        Assert.Equal(HttpStatusCode.Accepted, trigger.StatusCode);
        var taskId = (await trigger.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("taskId").GetString()!;
        await _host.Runtime.Runner.GetHandle(taskId).WaitAsync(TimeSpan.FromSeconds(30)); // the run-now task exists and completes
        Assert.Equal(BackgroundTaskStatus.Completed, (await _host.Runtime.Runner.GetStatusAsync(taskId)).Status);
        var runs = (await _host.Http.GetFromJsonAsync<JsonElement>($"{Path}/nightly/runs?limit=5")).GetProperty("runs");
        Assert.Equal(taskId, runs[0].GetProperty("taskId").GetString());
        Assert.Equal("manual", runs[0].GetProperty("reason").GetString());

        Assert.Equal("nightly", (await _host.Http.GetFromJsonAsync<JsonElement>($"{Path}/nightly")).GetProperty("name").GetString());
        Assert.Equal(HttpStatusCode.NoContent, (await _host.Http.DeleteAsync($"{Path}/nightly")).StatusCode);
        await ErrorAnswer.AssertAsync(await _host.Http.GetAsync($"{Path}/nightly"), 404, "No schedule named 'nightly'");
        Assert.Equal(0, (await ListAsync()).GetArrayLength());
    }

    [Fact]
    public async Task A_schedule_read_includes_its_stats_and_stats_has_its_own_endpoint()
    {
        Assert.Equal(HttpStatusCode.Created, (await PostAsync(Path, """{"name":"counted","recipe":"echo","schedule":"daily"}""")).StatusCode);
        var trigger = await _host.Http.PostAsync($"{Path}/counted/trigger", null);
        var taskId = (await trigger.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("taskId").GetString()!;
        await _host.Runtime.Runner.GetHandle(taskId).WaitAsync(TimeSpan.FromSeconds(30));

        var view = await _host.Http.GetFromJsonAsync<JsonElement>($"{Path}/counted");
        Assert.Equal("counted", view.GetProperty("name").GetString()); // the existing fields stay
        Assert.Equal("active", view.GetProperty("state").GetString());
        var stats = view.GetProperty("stats");
        Assert.Equal((1, 0, 1, 0, 0, 0, 0), (stats.GetProperty("fired").GetInt32(), stats.GetProperty("skipped").GetInt32(),
            stats.GetProperty("succeeded").GetInt32(), stats.GetProperty("failed").GetInt32(), stats.GetProperty("pending").GetInt32(),
            stats.GetProperty("running").GetInt32(), stats.GetProperty("cancelled").GetInt32()));
        Assert.Equal(view.GetProperty("nextRunAt").GetDateTimeOffset(), stats.GetProperty("nextFireAt").GetDateTimeOffset());
        Assert.Equal(JsonValueKind.String, stats.GetProperty("lastSucceededAt").ValueKind);
        Assert.Equal(JsonValueKind.String, stats.GetProperty("lastFiredAt").ValueKind);

        var alone = await _host.Http.GetFromJsonAsync<JsonElement>($"{Path}/counted/stats");
        Assert.Equal(1, alone.GetProperty("fired").GetInt32());
        Assert.Equal(1, alone.GetProperty("succeeded").GetInt32());
        // Lists carry no stats (one query per schedule would make a list slow).
        Assert.False((await ListAsync())[0].TryGetProperty("stats", out _));
        await ErrorAnswer.AssertAsync(await _host.Http.GetAsync($"{Path}/missing/stats"), 404, "No schedule named 'missing'");
    }

    [Theory]
    [InlineData("""{"name":"a","recipe":"echo","schedule":"sometimes"}""", "Invalid schedule expression 'sometimes'")]
    [InlineData("""{"name":"a","recipe":"echo","schedule":"daily","timeZone":"Mars/Base"}""", "Unknown time zone 'Mars/Base'")]
    [InlineData("""{"name":"a","recipe":"nope","schedule":"daily"}""", "Unknown recipe 'nope'")]
    [InlineData("""{"name":"a","recipe":"echo","schedule":"at:2020-01-01T00:00Z"}""", "in the past")]
    [InlineData("""{"name":"kept","recipe":"echo","schedule":"hourly"}""", "already exists")]
    [InlineData("""{"name":"a","recipe":"echo"}""", "'schedule' is required")]
    [InlineData("""{"name":"a","recipe":"echo","schedule":"daily","overlap":"never"}""", "'overlap' must be one of")]
    [InlineData("""{"name":"a","recipe":"echo","schedule":"daily","colour":"red"}""", "Unknown field 'colour'")]
    [InlineData("""{"name":"a",""", "not valid JSON")]
    public async Task Bad_input_is_a_400_and_stores_nothing(string body, string message)
    {
        Assert.Equal(HttpStatusCode.Created, (await PostAsync(Path, """{"name":"kept","recipe":"echo","schedule":"daily"}""")).StatusCode);
        await ErrorAnswer.AssertAsync(await PostAsync(Path, body), 400, message);
        var list = await ListAsync();
        Assert.Equal("kept", Assert.Single(list.EnumerateArray()).GetProperty("name").GetString());
        Assert.Equal("daily", list[0].GetProperty("schedule").GetString());
    }

    [Fact]
    public async Task Runs_list_filters_by_schedule_and_job_json_names_it()
    {
        foreach (var name in new[] { "alpha", "beta" })
            Assert.Equal(HttpStatusCode.Created, (await PostAsync(Path, $$"""{"name":"{{name}}","recipe":"echo","schedule":"daily","paused":true}""")).StatusCode);
        var alpha = (await (await _host.Http.PostAsync($"{Path}/alpha/trigger", null)).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("taskId").GetString()!;
        var beta = (await (await _host.Http.PostAsync($"{Path}/beta/trigger", null)).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("taskId").GetString()!;
        var direct = (await _host.Runtime.Runner.RunBackgroundAsync("echo")).TaskId;

        var listed = await _host.Http.GetFromJsonAsync<JsonElement>($"{PraisonJobsEndpoints.RunsPath}?schedule=alpha");
        Assert.Equal(1, listed.GetProperty("total").GetInt64());
        var job = Assert.Single(listed.GetProperty("jobs").EnumerateArray());
        Assert.Equal(alpha, job.GetProperty("job_id").GetString());
        Assert.Equal("alpha", job.GetProperty("schedule").GetString());

        var one = await _host.Http.GetFromJsonAsync<JsonElement>($"{PraisonJobsEndpoints.RunsPath}/{beta}");
        Assert.Equal("beta", one.GetProperty("schedule").GetString());
        var plain = await _host.Http.GetFromJsonAsync<JsonElement>($"{PraisonJobsEndpoints.RunsPath}/{direct}");
        Assert.True(!plain.TryGetProperty("schedule", out var none) || none.ValueKind == JsonValueKind.Null);
        Assert.Equal(3, (await _host.Http.GetFromJsonAsync<JsonElement>(PraisonJobsEndpoints.RunsPath)).GetProperty("total").GetInt64());
        Assert.Equal(0, (await _host.Http.GetFromJsonAsync<JsonElement>($"{PraisonJobsEndpoints.RunsPath}?schedule=gamma")).GetProperty("total").GetInt64());
        await ErrorAnswer.AssertAsync(await _host.Http.GetAsync($"{PraisonJobsEndpoints.RunsPath}?schedule=no%20spaces"), 400, "schedule name");
    }

    [Fact]
    public async Task Patch_updates_a_schedule_and_bad_input_is_a_400_that_changes_nothing()
    {
        Assert.Equal(HttpStatusCode.Created, (await PostAsync(Path, """{"name":"p","recipe":"echo","schedule":"daily"}""")).StatusCode);
        var patched = await _host.Http.PatchAsync($"{Path}/p",
            new StringContent("""{"schedule":"*/15m","timeoutSec":30,"maxRetries":2,"overlap":"allow","enabled":false}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        var view = await patched.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("*/15m", view.GetProperty("schedule").GetString());
        Assert.Equal("paused", view.GetProperty("state").GetString());
        Assert.Equal(30, view.GetProperty("timeoutSec").GetDouble());
        Assert.Equal(2, view.GetProperty("maxRetries").GetInt32());
        Assert.Equal("allow", view.GetProperty("overlap").GetString());

        var before = (await ListAsync())[0].GetRawText();
        foreach (var (body, message) in new[]
                 {
                     ("""{"schedule":"sometimes"}""", "Invalid schedule expression 'sometimes'"),
                     ("""{"timeZone":"Mars/Base"}""", "Unknown time zone 'Mars/Base'"),
                     ("""{"maxRetries":-1}""", "'maxRetries' must be"),
                     ("""{"recipe":"other"}""", "Unknown field 'recipe'"),
                     ("""{"overlap":null}""", "'overlap' cannot be null"),
                 })
            await ErrorAnswer.AssertAsync(await _host.Http.PatchAsync($"{Path}/p", new StringContent(body, Encoding.UTF8, "application/json")), 400, message);
        Assert.Equal(before, (await ListAsync())[0].GetRawText());
        await ErrorAnswer.AssertAsync(await _host.Http.PatchAsync($"{Path}/ghost", new StringContent("{}", Encoding.UTF8, "application/json")), 404, "ghost");
    }

    [Fact]
    public async Task Patch_null_clears_a_setting_and_an_absent_field_stays()
    {
        Assert.Equal(HttpStatusCode.Created, (await PostAsync(Path,
            """{"name":"n","recipe":"echo","schedule":"daily","timeZone":"Europe/Berlin","input":{"a":1},"timeoutSec":30,"maxRetries":2,"jitterSec":5}""")).StatusCode);
        var patched = await _host.Http.PatchAsync($"{Path}/n",
            new StringContent("""{"timeoutSec":null,"maxRetries":null,"timeZone":null,"input":null}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        var view = await patched.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(JsonValueKind.Null, view.GetProperty("timeoutSec").ValueKind);
        Assert.Equal(JsonValueKind.Null, view.GetProperty("maxRetries").ValueKind);
        Assert.Equal(JsonValueKind.Null, view.GetProperty("input").ValueKind);
        Assert.Equal("UTC", view.GetProperty("timeZone").GetString());
        Assert.Equal(5, view.GetProperty("jitterSec").GetDouble()); // absent: unchanged
    }

    [Fact]
    public async Task History_lists_the_stored_changes_newest_first_and_outlives_a_delete()
    {
        Assert.Equal(HttpStatusCode.Created, (await PostAsync(Path, """{"name":"hist","recipe":"echo","schedule":"daily"}""")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _host.Http.PostAsync($"{Path}/hist/pause", null)).StatusCode);
        var patched = await _host.Http.PatchAsync($"{Path}/hist", new StringContent("""{"schedule":"*/5m"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await _host.Http.DeleteAsync($"{Path}/hist")).StatusCode);

        var history = (await _host.Http.GetFromJsonAsync<JsonElement>($"{Path}/hist/history")).GetProperty("history");
        Assert.Equal(["deleted", "updated", "paused", "created"], history.EnumerateArray().Select(h => h.GetProperty("kind").GetString()));
        Assert.Equal([4L, 3, 2, 1], history.EnumerateArray().Select(h => h.GetProperty("sequence").GetInt64()));
        Assert.Equal("updated expression */5m", history[1].GetProperty("summary").GetString());
        Assert.Equal(3, history[1].GetProperty("version").GetInt64());
        var latest = (await _host.Http.GetFromJsonAsync<JsonElement>($"{Path}/hist/history?limit=1")).GetProperty("history");
        Assert.Equal("deleted", Assert.Single(latest.EnumerateArray()).GetProperty("kind").GetString());
        await ErrorAnswer.AssertAsync(await _host.Http.GetAsync($"{Path}/hist/history?limit=0"), 400, "The limit must be positive");
    }

    [Fact]
    public async Task An_unknown_schedule_is_a_404_for_every_verb()
    {
        await ErrorAnswer.AssertAsync(await _host.Http.PostAsync($"{Path}/ghost/pause", null), 404, "ghost");
        await ErrorAnswer.AssertAsync(await _host.Http.PostAsync($"{Path}/ghost/trigger", null), 404, "ghost");
        await ErrorAnswer.AssertAsync(await _host.Http.GetAsync($"{Path}/ghost/runs"), 404, "ghost");
        await ErrorAnswer.AssertAsync(await _host.Http.GetAsync($"{Path}/ghost/history"), 404, "ghost");
        await ErrorAnswer.AssertAsync(await _host.Http.DeleteAsync($"{Path}/ghost"), 404, "ghost");
    }

    [Fact]
    public async Task With_an_api_key_the_schedules_need_it_too()
    {
        await using var host = await JobsHost.StartAsync(new PraisonJobsOptions { ApiKey = "k3y-for-schedules" });
        var refused = await host.Http.PostAsync(Path, new StringContent("""{"name":"a","recipe":"echo","schedule":"daily"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.Http.GetAsync(Path)).StatusCode);
        Assert.Empty(await host.Runtime.Runner.Scheduler.ListAsync());

        using var list = new HttpRequestMessage(HttpMethod.Get, Path);
        list.Headers.Add("X-API-Key", "k3y-for-schedules");
        Assert.Equal(HttpStatusCode.OK, (await host.Http.SendAsync(list)).StatusCode);
    }
}
