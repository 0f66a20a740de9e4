using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using static Microsoft.Playwright.Assertions;

namespace Praison.Actors.Dashboard.Tests;

/// <summary>The schedules page and its API over the runner's real scheduler.</summary>
public sealed class SchedulesPageTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private static HttpRequestMessage Action(HttpMethod method, string path, object? body = null)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Add("X-Praison-Dashboard", "1");
        if (body is not null) request.Content = JsonContent.Create(body);
        return request;
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"Expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    [Fact]
    public async Task A_schedule_made_in_code_shows_pauses_and_runs_now_from_the_page()
    {
        await using var host = await DashboardHost.StartAsync();
        await using var page = await WatchedPage.OpenAsync(browser);
        await host.Runner.Scheduler.ScheduleAsync("nightly-echo", "echo", "cron:0 3 * * *",
            new ScheduleOptions { TimeZone = "Europe/Paris", Input = new { word = "scheduled" } });
        var next = (await host.Runner.Scheduler.GetHandle("nightly-echo").InfoAsync()).NextFireAt;
        Assert.NotNull(next);

        await page.Page.GotoAsync(host.DashboardUrl + "#/schedules");
        var row = page.Page.Locator("tr[data-schedule='nightly-echo']");
        await Expect(row).ToContainTextAsync("echo");
        await Expect(row).ToContainTextAsync("cron:0 3 * * *");
        await Expect(row).ToContainTextAsync("Europe/Paris");
        await Expect(row.GetByTestId("schedule-state")).ToHaveTextAsync("active");
        await Expect(row.GetByTestId("next-fire")).Not.ToHaveTextAsync("–");
        await Expect(row.GetByTestId("runs")).ToContainTextAsync("none yet");

        await row.GetByTestId("pause").ClickAsync();
        await Expect(row.GetByTestId("schedule-state")).ToHaveTextAsync("paused");
        Assert.True((await host.Runner.Scheduler.GetHandle("nightly-echo").InfoAsync()).Paused);

        // Run now works while paused; the run appears in the row (the page re-reads its data, no reload).
        await page.Page.EvaluateAsync("() => { window.__notReloaded = true; }");
        await row.GetByTestId("trigger").ClickAsync();
        var run = row.GetByTestId("run");
        await Expect(run).ToHaveCountAsync(1);
        await Expect(run).ToHaveTextAsync("Completed");
        var taskId = await run.GetAttributeAsync("data-task");
        var info = await host.Runner.GetStatusAsync(taskId!);
        Assert.Equal("echo", info.RecipeName);

        await row.GetByTestId("resume").ClickAsync();
        await Expect(row.GetByTestId("schedule-state")).ToHaveTextAsync("active");
        Assert.False((await host.Runner.Scheduler.GetHandle("nightly-echo").InfoAsync()).Paused);
        await Expect(row.GetByTestId("next-fire")).Not.ToHaveTextAsync("–");
        await page.ScreenshotAsync("schedules");
        Assert.True(await page.Page.EvaluateAsync<bool>("() => window.__notReloaded === true"), "the page was reloaded");

        await run.ClickAsync(); // a run links to its task's detail
        await Expect(page.Page.GetByTestId("task-id")).ToHaveTextAsync(taskId!);
        page.AssertNoErrors();
    }

    [Fact]
    public async Task A_schedules_history_shows_its_pause_and_resume_newest_first()
    {
        await using var host = await DashboardHost.StartAsync();
        await using var page = await WatchedPage.OpenAsync(browser);
        await host.Runner.Scheduler.ScheduleAsync("watched", "echo", "cron:0 3 * * *");

        await page.Page.GotoAsync(host.DashboardUrl + "#/schedules");
        var row = page.Page.Locator("tr[data-schedule='watched']");
        await row.GetByTestId("pause").ClickAsync();
        await Expect(row.GetByTestId("schedule-state")).ToHaveTextAsync("paused");
        await row.GetByTestId("resume").ClickAsync();
        await Expect(row.GetByTestId("schedule-state")).ToHaveTextAsync("active");

        await row.GetByTestId("history-link").ClickAsync();
        await Expect(page.Page.GetByTestId("history-name")).ToHaveTextAsync("watched");
        var entries = page.Page.GetByTestId("history-entry");
        await Expect(entries).ToHaveCountAsync(3);
        await Expect(entries.GetByTestId("history-kind")).ToHaveTextAsync(["resumed", "paused", "created"]);
        await Expect(entries.Nth(0).GetByTestId("history-summary")).ToContainTextAsync("resumed");
        await Expect(entries.Nth(1).GetByTestId("history-summary")).ToHaveTextAsync("paused");
        await Expect(entries.Nth(2).GetByTestId("history-summary")).ToContainTextAsync("created: cron:0 3 * * * running echo");
        // The same lines as the handle gives.
        var history = await host.Runner.Scheduler.GetHandle("watched").HistoryAsync();
        Assert.Equal(history.Select(e => e.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            await entries.EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.sequence)"));
        await page.ScreenshotAsync("schedule-history");

        await page.Page.GetByTestId("back").ClickAsync();
        await Expect(page.Page.Locator("tr[data-schedule='watched']")).ToHaveCountAsync(1);
        page.AssertNoErrors();
    }

    [Fact]
    public async Task The_history_api_reads_in_read_only_mode_and_answers_bad_input_with_json()
    {
        await using var ro = await DashboardHost.StartAsync(new PraisonDashboardOptions { ReadOnly = true });
        await ro.Runner.Scheduler.ScheduleAsync("kept", "echo", "hourly");
        await ro.Runner.Scheduler.GetHandle("kept").PauseAsync();
        var body = await JsonAsync(await ro.Http.GetAsync("/dashboard/api/schedules/kept/history"), HttpStatusCode.OK);
        Assert.Equal("kept", body.GetProperty("name").GetString());
        Assert.Equal(["paused", "created"], body.GetProperty("history").EnumerateArray().Select(e => e.GetProperty("kind").GetString()));
        var one = await JsonAsync(await ro.Http.GetAsync("/dashboard/api/schedules/kept/history?limit=1"), HttpStatusCode.OK);
        Assert.Equal(2, Assert.Single(one.GetProperty("history").EnumerateArray()).GetProperty("sequence").GetInt64());

        var missing = await JsonAsync(await ro.Http.GetAsync("/dashboard/api/schedules/nope/history"), HttpStatusCode.NotFound);
        Assert.Contains("nope", missing.GetProperty("error").GetString());
        var bad = await JsonAsync(await ro.Http.GetAsync("/dashboard/api/schedules/kept/history?limit=0"), HttpStatusCode.BadRequest);
        Assert.Contains("limit", bad.GetProperty("error").GetString());
    }

    [Fact]
    public async Task The_create_form_stores_a_schedule_and_shows_the_schedulers_refusal()
    {
        await using var host = await DashboardHost.StartAsync();
        await using var page = await WatchedPage.OpenAsync(browser);
        await page.Page.GotoAsync(host.DashboardUrl + "#/schedules");
        await Expect(page.Page.GetByTestId("empty")).ToBeVisibleAsync();
        await page.Page.Locator("details.create summary").ClickAsync();

        await page.Page.GetByTestId("schedule-name").FillAsync("bad-one");
        await page.Page.GetByTestId("schedule-recipe").SelectOptionAsync("echo");
        await page.Page.GetByTestId("schedule-expression").FillAsync("every blue moon");
        await page.Page.GetByTestId("schedule-create").ClickAsync();
        await Expect(page.Page.GetByTestId("schedule-error")).Not.ToBeEmptyAsync();
        Assert.Empty(await host.Runner.Scheduler.ListAsync());

        await page.Page.GetByTestId("schedule-name").FillAsync("every-15m");
        await page.Page.GetByTestId("schedule-expression").FillAsync("*/15m");
        await page.Page.GetByTestId("schedule-input").FillAsync("{\"n\": 1}");
        await page.Page.GetByTestId("schedule-create").ClickAsync();
        await Expect(page.Page.Locator("tr[data-schedule='every-15m']")).ToHaveCountAsync(1);
        var stored = Assert.Single(await host.Runner.Scheduler.ListAsync());
        Assert.Equal("*/15m", stored.Expression);
        Assert.Contains("\"n\"", stored.InputJson);

        page.Page.Dialog += (_, dialog) => dialog.AcceptAsync();
        await page.Page.Locator("tr[data-schedule='every-15m']").GetByTestId("delete-schedule").ClickAsync();
        await Expect(page.Page.GetByTestId("empty")).ToBeVisibleAsync();
        Assert.Empty(await host.Runner.Scheduler.ListAsync());
        page.AssertNoErrors("400"); // the refused create's answer is logged by the browser
    }

    [Fact]
    public async Task The_schedule_api_answers_bad_input_with_json_and_read_only_refuses()
    {
        await using var host = await DashboardHost.StartAsync();
        var missing = await JsonAsync(await host.Http.SendAsync(Action(HttpMethod.Post, "/dashboard/api/schedules/nope/pause")), HttpStatusCode.NotFound);
        Assert.Contains("nope", missing.GetProperty("error").GetString());
        var badRecipe = await JsonAsync(await host.Http.SendAsync(Action(HttpMethod.Post, "/dashboard/api/schedules",
            new { name = "x", recipe = "no-such-recipe", expression = "hourly" })), HttpStatusCode.BadRequest);
        Assert.Contains("no-such-recipe", badRecipe.GetProperty("error").GetString());
        await JsonAsync(await host.Http.SendAsync(Action(HttpMethod.Post, "/dashboard/api/schedules", new { name = "x" })), HttpStatusCode.BadRequest);
        await JsonAsync(await host.Http.SendAsync(Action(HttpMethod.Delete, "/dashboard/api/schedules/nope")), HttpStatusCode.NotFound);
        Assert.Empty(await host.Runner.Scheduler.ListAsync());

        await using var ro = await DashboardHost.StartAsync(new PraisonDashboardOptions { ReadOnly = true });
        await ro.Runner.Scheduler.ScheduleAsync("kept", "echo", "hourly");
        var list = await JsonAsync(await ro.Http.GetAsync("/dashboard/api/schedules"), HttpStatusCode.OK);
        Assert.Equal("kept", list[0].GetProperty("name").GetString());
        foreach (var (method, path) in new[] { (HttpMethod.Post, "kept/pause"), (HttpMethod.Post, "kept/trigger"), (HttpMethod.Delete, "kept") })
        {
            var refused = await JsonAsync(await ro.Http.SendAsync(Action(method, "/dashboard/api/schedules/" + path)), HttpStatusCode.Forbidden);
            Assert.Contains("read-only", refused.GetProperty("error").GetString());
        }
        var info = await ro.Runner.Scheduler.GetHandle("kept").InfoAsync();
        Assert.False(info.Paused);
        Assert.Empty(await ro.Runner.Scheduler.GetHandle("kept").RunsAsync());
    }
}
