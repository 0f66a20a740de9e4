using System.Net.Http.Json;
using System.Text.Json;

namespace Praison.Actors.Cli.Tests;

/// <summary><c>schedule add/list/describe/pause/remove</c> on a data directory, and bad input: exit 2 naming the problem, nothing stored.</summary>
public sealed class ScheduleCommandTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private async Task<CliResult> Ok(params string[] args)
    {
        var r = await CliProcess.RunAsync(_dir, args);
        Assert.True(r.ExitCode == 0, r.ToString());
        return r;
    }

    [Fact]
    public async Task Add_stores_a_schedule_that_list_and_describe_show()
    {
        await Ok("schedule", "add", "nightly", "-r", "hello", "-s", "cron:0 2 * * *", "--tz", "Europe/Berlin",
            "-i", """{"name":"Ada"}""", "--overlap", "buffer-one", "--catch-up", "all");
        await Ok("schedule", "add", "ping", "-r", "hello", "-s", "*/30s", "--paused");

        var list = (await Ok("schedule", "list", "--json")).Json();
        Assert.Equal(["nightly", "ping"], list.EnumerateArray().Select(s => s.GetProperty("name").GetString()));
        var nightly = list[0];
        Assert.Equal("cron:0 2 * * *", nightly.GetProperty("expression").GetString());
        Assert.Equal("Europe/Berlin", nightly.GetProperty("timeZone").GetString());
        Assert.Equal("buffer-one", nightly.GetProperty("overlap").GetString());
        Assert.Equal("all", nightly.GetProperty("catchUp").GetString());
        // 02:00 in Berlin is 01:00Z in winter, 00:00Z in summer.
        var next = nightly.GetProperty("nextFireAt").GetDateTimeOffset().ToUniversalTime();
        Assert.Contains(next.Hour, new[] { 0, 1 });
        Assert.Equal(0, next.Minute);
        Assert.True(list[1].GetProperty("paused").GetBoolean());

        var described = await Ok("schedule", "describe", "nightly");
        Assert.Contains("buffer-one", described.Stdout);
        Assert.Contains("No runs yet.", described.Stderr);

        await Ok("schedule", "resume", "ping");
        Assert.False((await Ok("schedule", "list", "--json")).Json()[1].GetProperty("paused").GetBoolean());
        await Ok("schedule", "remove", "ping");
        Assert.Single((await Ok("schedule", "list", "--json")).Json().EnumerateArray());
    }

    [Fact]
    public async Task Describe_shows_the_schedules_stats_and_json_has_a_stats_object()
    {
        // A library host on the same data directory fires two runs (run-now) of the schedule and stops.
        await using (var host = await PraisonRuntime.StartAsync(new PraisonRuntimeOptions
        {
            Store = TaskStore.Sqlite(_dir.DataDir),
            Runner = new BackgroundRunnerOptions { Recipes = new RecipeRegistry().Register("name: hello\n", _ => Task.FromResult<object?>("hi")) },
        }))
        {
            var schedule = await host.Runner.ScheduleAsync("counted", "hello", "daily");
            foreach (var _ in Enumerable.Range(0, 2))
                await host.Runner.GetHandle(await schedule.TriggerAsync()).WaitAsync(TimeSpan.FromSeconds(30));
        }

        var text = await Ok("schedule", "describe", "counted");
        Assert.Matches(@"fired\s+2", text.Stdout);
        Assert.Matches(@"skipped\s+0", text.Stdout);
        Assert.Contains("0 pending, 0 running, 2 succeeded, 0 failed, 0 cancelled", text.Stdout);
        Assert.Matches(@"last succeeded\s+\d{4}-", text.Stdout);

        var stats = (await Ok("schedule", "describe", "counted", "--json")).Json().GetProperty("stats");
        Assert.Equal((2, 0, 2, 0), (stats.GetProperty("fired").GetInt32(), stats.GetProperty("skipped").GetInt32(),
            stats.GetProperty("succeeded").GetInt32(), stats.GetProperty("failed").GetInt32()));
        Assert.Equal(JsonValueKind.String, stats.GetProperty("lastSucceededAt").ValueKind);
        Assert.Equal(JsonValueKind.Null, stats.GetProperty("lastFailedAt").ValueKind);
    }

    [Theory]
    [InlineData("Invalid schedule expression 'sometimes'", "add", "x", "-r", "hello", "-s", "sometimes")]
    [InlineData("Invalid schedule expression 'cron:1 2 3'", "add", "x", "-r", "hello", "-s", "cron:1 2 3")]
    [InlineData("Unknown time zone 'Mars/Base'", "add", "x", "-r", "hello", "-s", "daily", "--tz", "Mars/Base")]
    [InlineData("Unknown recipe 'nope'", "add", "x", "-r", "nope", "-s", "daily")]
    [InlineData("is in the past", "add", "x", "-r", "hello", "-s", "at:2020-01-01T00:00Z")]
    [InlineData("--overlap must be one of", "add", "x", "-r", "hello", "-s", "daily", "--overlap", "sometimes")]
    [InlineData("schedule name", "add", "bad name", "-r", "hello", "-s", "daily")]
    [InlineData("already exists", "add", "kept", "-r", "hello", "-s", "hourly")]
    public async Task Bad_input_exits_2_naming_the_problem_and_stores_nothing(string message, params string[] args)
    {
        await Ok("schedule", "add", "kept", "-r", "hello", "-s", "daily");
        var before = (await Ok("schedule", "list", "--json")).Stdout;

        var r = await CliProcess.RunAsync(_dir, ["schedule", .. args]);
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains(message, r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr); // no stack trace
        Assert.Equal(before, (await Ok("schedule", "list", "--json")).Stdout);
    }

    [Fact]
    public async Task Fired_tasks_are_listed_by_schedule_from_the_store_and_the_server()
    {
        await Ok("schedule", "add", "alpha", "-r", "hello", "-s", "*/1s");
        await Ok("schedule", "add", "beta", "-r", "hello", "-s", "daily", "--paused");
        using var serve = await Serve.StartAsync(_dir);
        // A slot of alpha fires on the host; a run-now of beta is carried out there too.
        await Ok("schedule", "run-now", "beta");
        await ServeTests.EventuallyAsync(async () =>
        {
            var page = await serve.Http.GetFromJsonAsync<JsonElement>("/api/v1/runs?schedule=beta");
            return page.GetProperty("total").GetInt64() == 1;
        }, "beta's run-now task");

        var alpha = (await Ok("background", "list", "--schedule", "alpha", "--json")).Json();
        Assert.NotEmpty(alpha.EnumerateArray());
        Assert.All(alpha.EnumerateArray(), t => Assert.Equal("alpha", t.GetProperty("schedule").GetString()));
        var beta = (await Ok("run", "list", "--schedule", "beta", "--api-url", serve.Url.ToString(), "--json")).Json();
        var job = Assert.Single(beta.GetProperty("jobs").EnumerateArray());
        Assert.Equal("beta", job.GetProperty("schedule").GetString());

        var runs = (await Ok("schedule", "runs", "beta", "--json")).Json();
        Assert.Equal(job.GetProperty("job_id").GetString(), Assert.Single(runs.EnumerateArray()).GetProperty("taskId").GetString());

        var bad = await CliProcess.RunAsync(_dir, "background", "list", "--schedule", "no spaces");
        Assert.True(bad.ExitCode == 2, bad.ToString());
        Assert.Contains("schedule name", bad.Stderr);
    }

    [Fact]
    public async Task Update_changes_a_schedule_and_bad_input_exits_2_changing_nothing()
    {
        await Ok("schedule", "add", "u", "-r", "hello", "-s", "daily");
        var updated = (await Ok("schedule", "update", "u", "-s", "*/15m", "--max-retries", "2", "--timeout", "30", "--enabled", "false", "--json")).Json();
        Assert.Equal("*/15m", updated.GetProperty("expression").GetString());
        Assert.True(updated.GetProperty("paused").GetBoolean());
        Assert.Equal(3, updated.GetProperty("maxAttempts").GetInt32());

        var before = (await Ok("schedule", "list", "--json")).Stdout;
        foreach (var (args, message) in new[]
                 {
                     (new[] { "-s", "sometimes" }, "Invalid schedule expression 'sometimes'"),
                     (new[] { "--tz", "Mars/Base" }, "Unknown time zone 'Mars/Base'"),
                     (new[] { "--overlap", "never" }, "--overlap must be one of"),
                     (new[] { "--clear", "timeout,nonsense" }, "--clear: unknown setting(s) 'nonsense'"),
                     (new[] { "--timeout", "5", "--clear", "timeout" }, "Both set and cleared: timeout"),
                 })
        {
            var r = await CliProcess.RunAsync(_dir, ["schedule", "update", "u", .. args]);
            Assert.True(r.ExitCode == 2, r.ToString());
            Assert.Contains(message, r.Stderr);
        }
        Assert.Equal(before, (await Ok("schedule", "list", "--json")).Stdout);
    }

    [Fact]
    public async Task Update_clear_sets_settings_back_to_their_defaults()
    {
        await Ok("schedule", "add", "c", "-r", "hello", "-s", "daily", "--tz", "Europe/Berlin", "-i", "{\"n\":1}", "--timeout", "30",
            "--max-retries", "2", "--jitter", "5");
        var set = (await Ok("schedule", "describe", "c", "--json")).Json().GetProperty("schedule");
        Assert.Equal(("Europe/Berlin", 3), (set.GetProperty("timeZone").GetString(), set.GetProperty("maxAttempts").GetInt32()));

        var cleared = (await Ok("schedule", "update", "c", "--clear", "timeout,max-retries", "--clear", "tz,input,jitter", "--json")).Json();
        Assert.Equal(JsonValueKind.Null, cleared.GetProperty("timeout").ValueKind);
        Assert.Equal(JsonValueKind.Null, cleared.GetProperty("maxAttempts").ValueKind);
        Assert.Equal(JsonValueKind.Null, cleared.GetProperty("inputJson").ValueKind);
        Assert.Equal("UTC", cleared.GetProperty("timeZone").GetString());
        Assert.Equal(TimeSpan.Zero, TimeSpan.Parse(cleared.GetProperty("jitter").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task History_lists_the_stored_changes_newest_first()
    {
        await Ok("schedule", "add", "h", "-r", "hello", "-s", "daily");
        await Ok("schedule", "pause", "h");
        await Ok("schedule", "update", "h", "-s", "*/5m");

        var history = (await Ok("schedule", "history", "h", "--json")).Json();
        Assert.Equal(["updated", "paused", "created"], history.EnumerateArray().Select(h => h.GetProperty("kind").GetString()));
        Assert.Equal([3L, 2, 1], history.EnumerateArray().Select(h => h.GetProperty("sequence").GetInt64()));
        Assert.Equal("updated expression */5m", history[0].GetProperty("summary").GetString());
        Assert.Equal("created: daily running hello", history[2].GetProperty("summary").GetString());

        var table = await Ok("schedule", "history", "h", "--limit", "1");
        Assert.Contains("updated expression */5m", table.Stdout);
        Assert.DoesNotContain("created", table.Stdout);

        var unknown = await CliProcess.RunAsync(_dir, "schedule", "history", "ghost");
        Assert.True(unknown.ExitCode == 6, unknown.ToString()); // as every schedule command: no such schedule
        Assert.Contains("No schedule named 'ghost'", unknown.Stderr);
        var bad = await CliProcess.RunAsync(_dir, "schedule", "history", "h", "--limit", "0");
        Assert.True(bad.ExitCode == 2, bad.ToString());
        Assert.Contains("The limit must be positive, got 0", bad.Stderr);
    }

    [Fact]
    public async Task An_unknown_schedule_exits_6()
    {
        var r = await CliProcess.RunAsync(_dir, "schedule", "pause", "ghost");
        Assert.True(r.ExitCode == 6, r.ToString());
        Assert.Contains("No schedule named 'ghost'", r.Stderr);
    }
}
