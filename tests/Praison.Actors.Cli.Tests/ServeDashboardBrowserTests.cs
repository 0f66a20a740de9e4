using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Praison.Actors.Cli.Tests;

/// <summary>
/// The dashboard of a real <c>praison-actors serve</c> process in headless Chromium (Debian's <c>/usr/bin/chromium</c>,
/// installed by .ci/run): a job posted to the jobs API shows on the tasks page and completes without a reload, and a
/// schedule posted to the API shows on the schedules page with its runs.
/// </summary>
public sealed class ServeDashboardBrowserTests : IDisposable
{
    private const string ChromiumPath = "/usr/bin/chromium";
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_job_and_a_schedule_of_serve_show_on_its_dashboard_in_chromium()
    {
        Assert.True(File.Exists(ChromiumPath), $"{ChromiumPath} is missing: install it with `apt-get install -y --no-install-recommends chromium` (.ci/run does).");
        using var serve = await Serve.StartAsync(_dir);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox"],
        });
        var page = await browser.NewPageAsync();
        page.SetDefaultTimeout(60_000);
        var errors = new List<string>();
        page.Console += (_, m) => { if (m.Type == "error") lock (errors) errors.Add(m.Text); };
        page.PageError += (_, e) => { lock (errors) errors.Add(e); };

        // The built-in `sleep` recipe: 2 s with progress every tenth, posted as PraisonAI's client posts a job.
        var posted = await serve.Http.PostAsJsonAsync("/api/v1/runs", new { recipe_name = "sleep", prompt = "{\"seconds\": 2}" });
        Assert.Equal(System.Net.HttpStatusCode.Accepted, posted.StatusCode);
        var jobId = JsonDocument.Parse(await posted.Content.ReadAsStringAsync()).RootElement.GetProperty("job_id").GetString()!;

        await page.GotoAsync(new Uri(serve.Url, "/dashboard#/tasks").ToString());
        var row = page.Locator($"tr[data-task='{jobId}']");
        await Expect(row).ToHaveCountAsync(1);
        await page.EvaluateAsync("() => { window.__notReloaded = true; }");
        await Expect(row.GetByTestId("status")).ToHaveTextAsync("Completed");
        Assert.True(await page.EvaluateAsync<bool>("() => window.__notReloaded === true"), "the page was reloaded");

        var schedule = await serve.Http.PostAsJsonAsync("/api/v1/schedules", new { name = "hello-every-second", recipe = "hello", schedule = "*/1s" });
        Assert.True(schedule.IsSuccessStatusCode, await schedule.Content.ReadAsStringAsync());
        await page.GotoAsync(new Uri(serve.Url, "/dashboard#/schedules").ToString());
        var scheduleRow = page.Locator("tr[data-schedule='hello-every-second']");
        await Expect(scheduleRow.GetByTestId("schedule-state")).ToHaveTextAsync("active");
        await Expect(scheduleRow.GetByTestId("run").First).ToBeVisibleAsync(); // its slots fire and show as runs

        lock (errors) Assert.True(errors.Count == 0, "Browser errors: " + string.Join(" | ", errors));
    }
}
