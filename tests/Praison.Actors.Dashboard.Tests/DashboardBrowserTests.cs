using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Praison.Actors.Dashboard.Tests;

/// <summary>The dashboard in a real headless Chromium against a real Kestrel and runtime.</summary>
public sealed class DashboardBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private static ILocator Row(IPage page, string taskId) => page.Locator($"tr[data-task='{taskId}']");

    [Fact]
    public async Task A_running_task_shows_live_progress_then_completes_without_a_reload()
    {
        await using var host = await DashboardHost.StartAsync();
        await using var page = await WatchedPage.OpenAsync(browser);
        var task = await host.RunGatedAsync("live");
        await host.UntilAsync(task.TaskId, t => t.Progress is not null, "running with progress");

        await page.Page.GotoAsync(host.DashboardUrl + "#/tasks");
        var row = Row(page.Page, task.TaskId);
        await Expect(row.GetByTestId("status")).ToHaveTextAsync("Running");
        await Expect(row.GetByTestId("progress")).ToHaveAttributeAsync("value", "0.5");
        await Expect(row).ToContainTextAsync("half-way");
        // A marker on the window survives only if the page is never reloaded.
        await page.Page.EvaluateAsync("() => { window.__notReloaded = true; }");
        await page.ScreenshotAsync("tasks");

        host.Release("live");

        await Expect(row.GetByTestId("status")).ToHaveTextAsync("Completed");
        Assert.True(await page.Page.EvaluateAsync<bool>("() => window.__notReloaded === true"), "the page was reloaded");
        page.AssertNoErrors();
    }

    [Fact]
    public async Task The_cancel_button_cancels_a_running_task()
    {
        await using var host = await DashboardHost.StartAsync();
        await using var page = await WatchedPage.OpenAsync(browser);
        var task = await host.RunGatedAsync("never");
        await host.UntilAsync(task.TaskId, t => t.Status == BackgroundTaskStatus.Running, "running");

        await page.Page.GotoAsync(host.DashboardUrl + "#/tasks");
        var row = Row(page.Page, task.TaskId);
        await row.GetByTestId("cancel").ClickAsync();

        await Expect(row.GetByTestId("status")).ToHaveTextAsync("Cancelled");
        Assert.Equal(BackgroundTaskStatus.Cancelled, (await host.Runner.GetStatusAsync(task.TaskId)).Status);
        page.AssertNoErrors();
    }

    [Fact]
    public async Task Filters_by_status_recipe_and_session()
    {
        await using var host = await DashboardHost.StartAsync();
        await using var page = await WatchedPage.OpenAsync(browser);
        var a = await host.Runner.RunBackgroundAsync("echo", new RecipeRunOptions { Input = new { n = 1 }, SessionId = "alpha" });
        var b = await host.Runner.RunBackgroundAsync("echo", new RecipeRunOptions { Input = new { n = 2 }, SessionId = "beta" });
        var c = await host.Runner.RunBackgroundAsync("boom", new RecipeRunOptions { SessionId = "alpha" });
        foreach (var t in new[] { a, b, c }) await host.UntilAsync(t.TaskId, i => i.IsTerminal, "finished");

        await page.Page.GotoAsync(host.DashboardUrl + "#/tasks");
        await Expect(page.Page.Locator("tr[data-task]")).ToHaveCountAsync(3);

        await page.Page.GetByTestId("filter-session").FillAsync("alpha");
        await page.Page.GetByTestId("filter-apply").ClickAsync();
        await Expect(page.Page.Locator("tr[data-task]")).ToHaveCountAsync(2);
        await Expect(Row(page.Page, b.TaskId)).ToHaveCountAsync(0);

        await page.Page.GetByTestId("filter-status").SelectOptionAsync("Failed");
        await page.Page.GetByTestId("filter-apply").ClickAsync();
        await Expect(page.Page.Locator("tr[data-task]")).ToHaveCountAsync(1);
        await Expect(Row(page.Page, c.TaskId)).ToHaveCountAsync(1);

        await page.Page.GetByTestId("filter-session").FillAsync("");
        await page.Page.GetByTestId("filter-status").SelectOptionAsync("");
        await page.Page.GetByTestId("filter-recipe").FillAsync("echo");
        await page.Page.GetByTestId("filter-apply").ClickAsync();
        await Expect(page.Page.Locator("tr[data-task]")).ToHaveCountAsync(2);
        await Expect(Row(page.Page, c.TaskId)).ToHaveCountAsync(0);
        page.AssertNoErrors();
    }

    [Fact]
    public async Task The_detail_page_shows_result_error_kind_and_timeline()
    {
        await using var host = await DashboardHost.StartAsync();
        await using var page = await WatchedPage.OpenAsync(browser);
        var ok = await host.Runner.RunBackgroundAsync("echo", new RecipeRunOptions { Input = new { greeting = "hello dashboard" } });
        var bad = await host.Runner.RunBackgroundAsync("boom");
        await host.UntilAsync(ok.TaskId, i => i.IsTerminal, "finished");
        await host.UntilAsync(bad.TaskId, i => i.IsTerminal, "finished");

        await page.Page.GotoAsync(host.DashboardUrl + "#/tasks");
        await Row(page.Page, ok.TaskId).GetByRole(AriaRole.Link).ClickAsync();
        await Expect(page.Page.GetByTestId("task-id")).ToHaveTextAsync(ok.TaskId);
        await Expect(page.Page.GetByTestId("result")).ToContainTextAsync("hello dashboard");
        await Expect(page.Page.GetByTestId("timeline").Locator("li")).ToHaveCountAsync(3); // submitted, started, completed
        await page.ScreenshotAsync("detail");

        await page.Page.GotoAsync(host.DashboardUrl + "#/tasks/" + bad.TaskId);
        await Expect(page.Page.GetByTestId("error")).ToContainTextAsync("Exception: the boom recipe always fails");
        await Expect(page.Page.GetByTestId("detail")).ToContainTextAsync("Failed");
        page.AssertNoErrors();
    }

    [Fact]
    public async Task The_detail_page_shows_the_stored_input_and_config_on_a_sql_store()
    {
        var dir = Path.Combine(Path.GetTempPath(), "praison-dashboard-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            await using var host = await DashboardHost.StartAsync(store: TaskStore.Sqlite(dir));
            await using var page = await WatchedPage.OpenAsync(browser);
            var task = await host.Runner.RunBackgroundAsync("echo", new RecipeRunOptions
            {
                Input = new { word = "stored-input" },
                Config = new Dictionary<string, object?> { ["maxTokens"] = 1234 },
            });
            await host.UntilAsync(task.TaskId, i => i.IsTerminal, "finished");

            await page.Page.GotoAsync(host.DashboardUrl + "#/tasks/" + task.TaskId);
            await Expect(page.Page.GetByTestId("input")).ToContainTextAsync("stored-input");
            await Expect(page.Page.GetByTestId("config")).ToContainTextAsync("1234");
            await Expect(page.Page.GetByTestId("result")).ToContainTextAsync("stored-input");
            page.AssertNoErrors();
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task A_running_task_detail_follows_progress_and_its_ending()
    {
        await using var host = await DashboardHost.StartAsync();
        await using var page = await WatchedPage.OpenAsync(browser);
        var task = await host.RunGatedAsync("detail");
        await host.UntilAsync(task.TaskId, t => t.Progress is not null, "running with progress");

        await page.Page.GotoAsync(host.DashboardUrl + "#/tasks/" + task.TaskId);
        await Expect(page.Page.GetByTestId("detail").GetByTestId("status")).ToHaveTextAsync("Running");
        host.Release("detail");
        await Expect(page.Page.GetByTestId("result")).ToContainTextAsync("\"done\": \"detail\"");
        page.AssertNoErrors();
    }

    [Fact]
    public async Task Runs_a_recipe_with_input_from_the_run_page()
    {
        await using var host = await DashboardHost.StartAsync();
        await using var page = await WatchedPage.OpenAsync(browser);

        await page.Page.GotoAsync(host.DashboardUrl + "#/run");
        await page.Page.GetByTestId("run-recipe").SelectOptionAsync("echo");
        await page.Page.GetByTestId("run-input").FillAsync("{\"word\": \"from-the-browser\"}");
        await page.Page.GetByTestId("run-session").FillAsync("browser-session");
        await page.ScreenshotAsync("run");
        await page.Page.GetByTestId("run-submit").ClickAsync();

        await Expect(page.Page.GetByTestId("result")).ToContainTextAsync("from-the-browser");
        var id = await page.Page.GetByTestId("task-id").TextContentAsync();
        var info = await host.Runner.GetStatusAsync(id!);
        Assert.Equal("echo", info.RecipeName);
        Assert.Equal("browser-session", info.SessionId);
        page.AssertNoErrors();
    }

    [Fact]
    public async Task Overview_and_recipes_pages_render()
    {
        await using var host = await DashboardHost.StartAsync();
        await using var page = await WatchedPage.OpenAsync(browser);
        var running = await host.RunGatedAsync("overview");
        var done = await host.Runner.RunBackgroundAsync("echo", new RecipeRunOptions { Input = 1 });
        var failed = await host.Runner.RunBackgroundAsync("boom");
        await host.UntilAsync(running.TaskId, t => t.Progress is not null, "running with progress");
        await host.UntilAsync(done.TaskId, t => t.IsTerminal, "finished");
        await host.UntilAsync(failed.TaskId, t => t.IsTerminal, "finished");

        await page.Page.GotoAsync(host.DashboardUrl);
        await Expect(page.Page.GetByTestId("count-running").Locator(".n")).ToHaveTextAsync("1");
        await Expect(page.Page.GetByTestId("count-completed").Locator(".n")).ToHaveTextAsync("1");
        await Expect(page.Page.GetByTestId("count-failed").Locator(".n")).ToHaveTextAsync("1");
        await Expect(page.Page.GetByTestId("chart-throughput").Locator("rect")).Not.ToHaveCountAsync(0);
        await Expect(Row(page.Page, running.TaskId).GetByTestId("progress")).ToHaveAttributeAsync("value", "0.5"); // live, from the stream
        await page.ScreenshotAsync("overview");

        await page.Page.GotoAsync(host.DashboardUrl + "#/recipes");
        await Expect(page.Page.GetByTestId("recipe")).ToHaveCountAsync(4);
        await Expect(page.Page.GetByTestId("recipe").Filter(new() { HasText = "gated" })).ToContainTextAsync("wait for the gate");
        await page.ScreenshotAsync("recipes");

        page.AssertNoErrors();
    }

    [Fact]
    public async Task The_api_key_is_asked_for_once_and_kept_in_an_HttpOnly_cookie()
    {
        await using var host = await DashboardHost.StartAsync(new PraisonDashboardOptions { ApiKey = "s3cret-key" });
        await using var page = await WatchedPage.OpenAsync(browser);
        var task = await host.Runner.RunBackgroundAsync("echo", new RecipeRunOptions { Input = 1 });

        await page.Page.GotoAsync(host.DashboardUrl + "#/tasks");
        await Expect(page.Page.GetByTestId("api-key")).ToBeVisibleAsync();
        await Expect(page.Page.Locator("tr[data-task]")).ToHaveCountAsync(0);
        await page.ScreenshotAsync("login");

        await page.Page.GetByTestId("api-key").FillAsync("wrong");
        await page.Page.GetByTestId("login").ClickAsync();
        await Expect(page.Page.GetByTestId("login-error")).ToContainTextAsync("not valid");

        await page.Page.GetByTestId("api-key").FillAsync("s3cret-key");
        await page.Page.GetByTestId("login").ClickAsync();
        await Expect(Row(page.Page, task.TaskId)).ToHaveCountAsync(1);

        // Kept: a new page load needs no key; the script cannot read the cookie.
        await page.Page.ReloadAsync();
        await Expect(Row(page.Page, task.TaskId)).ToHaveCountAsync(1);
        Assert.DoesNotContain("praison_dashboard", await page.Page.EvaluateAsync<string>("() => document.cookie"));
        var cookie = Assert.Single(await page.Page.Context.CookiesAsync(), c => c.Name == "praison_dashboard");
        Assert.True(cookie.HttpOnly);
        Assert.DoesNotContain("s3cret-key", cookie.Value);
        page.AssertNoErrors("401"); // the wrong key's answer is logged by the browser
    }

    [Fact]
    public async Task Read_only_mode_hides_actions()
    {
        await using var host = await DashboardHost.StartAsync(new PraisonDashboardOptions { ReadOnly = true });
        await using var page = await WatchedPage.OpenAsync(browser);
        var task = await host.RunGatedAsync("ro");
        await host.UntilAsync(task.TaskId, t => t.Status == BackgroundTaskStatus.Running, "running");

        await page.Page.GotoAsync(host.DashboardUrl + "#/tasks");
        await Expect(Row(page.Page, task.TaskId).GetByTestId("status")).ToHaveTextAsync("Running");
        await Expect(Row(page.Page, task.TaskId).GetByTestId("cancel")).ToHaveCountAsync(0);
        await Expect(page.Page.Locator("#nav a[data-page=run]")).ToBeHiddenAsync();
        page.AssertNoErrors();
    }
}
