using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using static Microsoft.Playwright.Assertions;

namespace Praison.Actors.Dashboard.Tests;

/// <summary>
/// A webhook receiver on a real Kestrel at 127.0.0.1:0: answers 500 to the first <c>failFirst</c> deliveries, then 200,
/// and records each body.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _calls;

    private WebhookReceiver(WebApplication app) => _app = app;

    public ConcurrentQueue<string> Bodies { get; } = new();
    public TaskCompletionSource Delivered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public string Url => _app.Urls.First() + "/hook";

    public static async Task<WebhookReceiver> StartAsync(int failFirst)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/hook", async (HttpRequest request) =>
        {
            receiver.Bodies.Enqueue(await new StreamReader(request.Body).ReadToEndAsync());
            if (Interlocked.Increment(ref receiver._calls) <= failFirst) return Results.StatusCode(500);
            receiver.Delivered.TrySetResult();
            return Results.Ok();
        });
        await app.StartAsync();
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>The task detail page: attempts and their errors, the next attempt, webhook deliveries, timeline, retry.</summary>
public sealed class TaskDetailTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task A_retried_task_with_a_webhook_shows_its_attempts_errors_and_deliveries()
    {
        await using var receiver = await WebhookReceiver.StartAsync(failFirst: 1);
        await using var host = await DashboardHost.StartAsync();
        await using var page = await WatchedPage.OpenAsync(browser);
        var task = await host.Runner.RunBackgroundAsync("flaky", new RecipeRunOptions
        {
            Input = new { word = "retried" },
            Retry = new RetryPolicy { MaxAttempts = 3, InitialDelay = TimeSpan.FromMilliseconds(50), MaxDelay = TimeSpan.FromMilliseconds(50) },
            WebhookUrl = receiver.Url,
        });
        await host.UntilAsync(task.TaskId, t => t.IsTerminal, "finished");
        await receiver.Delivered.Task.WaitAsync(TimeSpan.FromSeconds(60));

        await page.Page.GotoAsync(host.DashboardUrl + "#/tasks/" + task.TaskId);
        await Expect(page.Page.GetByTestId("detail").GetByTestId("status")).ToHaveTextAsync("Completed");
        await Expect(page.Page.GetByTestId("attempt")).ToHaveTextAsync("2 of 3");
        var errors = page.Page.GetByTestId("attempt-errors").Locator("tbody tr");
        await Expect(errors).ToHaveCountAsync(1);
        await Expect(errors).ToContainTextAsync("the first attempt of flaky fails");
        await Expect(errors).ToContainTextAsync("System.InvalidOperationException");

        // Delivered on the second attempt; the page re-reads while the delivery is pending, then settles.
        await Expect(page.Page.GetByTestId("webhook-state")).ToHaveTextAsync("delivered");
        await Expect(page.Page.GetByTestId("webhook-attempts")).ToHaveTextAsync("2");
        await Expect(page.Page.GetByTestId("webhook-code")).ToHaveTextAsync("HTTP 200");
        await Expect(page.Page.GetByTestId("webhook-attempt-list").Locator("tbody tr").First).ToContainTextAsync("HTTP 500");
        await Expect(page.Page.GetByTestId("webhook")).ToContainTextAsync(receiver.Url);
        Assert.Equal(2, receiver.Bodies.Count);

        var timeline = page.Page.GetByTestId("timeline");
        await Expect(timeline).ToContainTextAsync("Submitted");
        await Expect(timeline).ToContainTextAsync("Started (attempt 2)");
        await Expect(timeline).ToContainTextAsync("Webhook attempt 1: HTTP 500");
        await Expect(timeline).ToContainTextAsync("Webhook attempt 2: HTTP 200");
        await Expect(page.Page.GetByTestId("result")).ToContainTextAsync("flaky ok");
        await page.ScreenshotAsync("detail-retried");
        page.AssertNoErrors();
    }

    [Fact]
    public async Task A_task_waiting_between_attempts_shows_the_next_attempt_and_can_be_retried_after_cancel()
    {
        await using var host = await DashboardHost.StartAsync();
        await using var page = await WatchedPage.OpenAsync(browser);
        var task = await host.Runner.RunBackgroundAsync("boom", new RecipeRunOptions
        {
            Retry = new RetryPolicy { MaxAttempts = 2, InitialDelay = TimeSpan.FromHours(1), MaxDelay = TimeSpan.FromHours(1) },
        });
        var waiting = await host.UntilAsync(task.TaskId, t => t.NextAttemptAt is not null, "waiting for its second attempt");

        await page.Page.GotoAsync(host.DashboardUrl + "#/tasks/" + task.TaskId);
        await Expect(page.Page.GetByTestId("detail").GetByTestId("status")).ToHaveTextAsync("Pending");
        await Expect(page.Page.GetByTestId("attempt")).ToHaveTextAsync("1 of 2");
        await Expect(page.Page.GetByTestId("next-attempt")).Not.ToBeEmptyAsync();
        var shown = await page.Page.EvaluateAsync<string>("t => new Date(t).toLocaleString()", waiting.NextAttemptAt!.Value.ToString("O"));
        await Expect(page.Page.GetByTestId("next-attempt")).ToHaveTextAsync(shown);
        await Expect(page.Page.GetByTestId("attempt-errors")).ToContainTextAsync("the boom recipe always fails");
        await Expect(page.Page.GetByTestId("timeline")).ToContainTextAsync("Attempt 2 of 2 due");
        await Expect(page.Page.GetByTestId("webhook")).ToHaveCountAsync(0);

        await page.Page.GetByTestId("cancel").ClickAsync();
        await Expect(page.Page.GetByTestId("detail").GetByTestId("status")).ToHaveTextAsync("Cancelled");
        await page.Page.GetByTestId("retry").ClickAsync();
        await Expect(page.Page.GetByTestId("task-id")).Not.ToHaveTextAsync(task.TaskId);
        var newId = await page.Page.GetByTestId("task-id").TextContentAsync();
        var retried = await host.Runner.GetStatusAsync(newId!);
        Assert.Equal("boom", retried.RecipeName);
        Assert.Equal(BackgroundTaskStatus.Cancelled, (await host.Runner.GetStatusAsync(task.TaskId)).Status);
        page.AssertNoErrors();
    }
}
