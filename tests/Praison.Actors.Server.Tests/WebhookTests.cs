using System.Net;
using System.Text.Json;
using Praison.Actors.IntegrationTests.Support;

namespace Praison.Actors.Server.Tests;

/// <summary>
/// Webhooks end to end (issue 12 item 4): a real receiver verifies every signature with the StandardWebhooks package;
/// every terminal outcome sends one; a failing receiver gets retries with the same webhook-id; a host restarted
/// mid-delivery resumes it from the store; URLs to private addresses are refused unless allowed.
/// </summary>
public sealed class WebhookTests : IAsyncLifetime
{
    private WebhookReceiver _receiver = null!;
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "praison-webhooks-" + Guid.NewGuid().ToString("N"));

    public async Task InitializeAsync() => _receiver = await WebhookReceiver.StartAsync();

    public async Task DisposeAsync()
    {
        await _receiver.DisposeAsync();
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static RecipeRegistry Recipes() => new RecipeRegistry()
        .Register("name: ok", _ => Task.FromResult<object?>(new { answer = 42 }))
        .Register("name: boom", _ => throw new InvalidOperationException("the recipe broke"))
        .Register("name: hang", async ctx =>
        {
            await Task.Delay(Timeout.Infinite, ctx.CancellationToken);
            return null;
        });

    private Task<PraisonRuntime> StartAsync(bool durable, WebhookOptions? webhooks = null, string name = "webhooks", TaskStore? store = null) =>
        PraisonRuntime.StartAsync(new PraisonRuntimeOptions
        {
            Store = store ?? (durable ? TaskStore.Sqlite(_dataDir) : TaskStore.Ephemeral),
            SystemName = name,
            Runner = new BackgroundRunnerOptions
            {
                Recipes = Recipes(),
                Webhooks = webhooks ?? new WebhookOptions
                {
                    Secret = WebhookReceiver.Secret, AllowPrivateNetworks = true,
                    FirstRetryDelay = TimeSpan.FromMilliseconds(20), MaxRetryDelay = TimeSpan.FromMilliseconds(100),
                },
            },
        });

    /// <summary>Polls <paramref name="read"/> until <paramref name="done"/> holds, failing after 30 s with the last value.</summary>
    private static async Task<T> EventuallyAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        T value;
        while (!done(value = await read()))
        {
            if (DateTime.UtcNow > deadline) throw new Xunit.Sdk.XunitException($"Timed out waiting for {what}; last: {JsonSerializer.Serialize(value)}");
            await Task.Yield();
            await Task.Delay(10); // polling interval of an observable condition, not a stand-in for synchronisation
        }
        return value;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Every_terminal_outcome_sends_one_signed_webhook(bool durable)
    {
        await using var runtime = await StartAsync(durable);
        var runner = runtime.Runner;
        var ok = await runner.RunBackgroundAsync("ok", new RecipeRunOptions { WebhookUrl = _receiver.Url, SessionId = "s1" });
        var failed = await runner.RunBackgroundAsync("boom", new RecipeRunOptions { WebhookUrl = _receiver.Url });
        var timedOut = await runner.RunBackgroundAsync("hang", new RecipeRunOptions { WebhookUrl = _receiver.Url, TimeoutSec = 1 });
        var cancelled = await runner.RunBackgroundAsync("hang", new RecipeRunOptions { WebhookUrl = _receiver.Url });
        await EventuallyAsync(() => cancelled.StatusAsync(), s => s.Status == BackgroundTaskStatus.Running, "the hanging run to start");
        Assert.True(await cancelled.CancelAsync());

        var bodies = new Dictionary<string, JsonElement>();
        for (var i = 0; i < 4; i++)
        {
            var r = await _receiver.NextAsync();
            Assert.True(r.Verified, $"signature rejected by StandardWebhooks: {r.VerifyError}");
            Assert.StartsWith("v1,", r.Signature);
            var body = r.Json;
            var id = body.GetProperty("job_id").GetString()!;
            Assert.Equal("msg_" + id, r.Id);
            Assert.False(bodies.ContainsKey(id), $"a second webhook for {id}");
            bodies[id] = body;
        }

        var s = bodies[ok.TaskId];
        Assert.Equal("succeeded", s.GetProperty("status").GetString());
        Assert.Equal(42, s.GetProperty("result").GetProperty("answer").GetInt32());
        Assert.Equal(JsonValueKind.Null, s.GetProperty("error").ValueKind);
        Assert.True(DateTimeOffset.TryParse(s.GetProperty("completed_at").GetString(), out _));
        Assert.Equal(JsonValueKind.Number, s.GetProperty("duration_seconds").ValueKind);
        Assert.Equal("completed", s.GetProperty("task_status").GetString());
        Assert.Equal("ok", s.GetProperty("recipe").GetString());
        Assert.Equal("s1", s.GetProperty("session_id").GetString());

        var f = bodies[failed.TaskId];
        Assert.Equal("failed", f.GetProperty("status").GetString());
        Assert.Equal("the recipe broke", f.GetProperty("error").GetString());
        Assert.Equal("exception", f.GetProperty("error_kind").GetString());
        Assert.Equal(JsonValueKind.Null, f.GetProperty("result").ValueKind);

        var t = bodies[timedOut.TaskId];
        Assert.Equal("failed", t.GetProperty("status").GetString());
        Assert.Equal("timeout", t.GetProperty("event").GetString());
        Assert.Equal("timeout", t.GetProperty("error_kind").GetString());

        var c = bodies[cancelled.TaskId];
        Assert.Equal("cancelled", c.GetProperty("status").GetString());
        Assert.Equal("cancelled", c.GetProperty("task_status").GetString());

        foreach (var id in bodies.Keys)
        {
            var d = await EventuallyAsync(() => runner.GetWebhookDeliveryAsync(id), d => d?.State == WebhookDeliveryState.Delivered, $"{id} delivered");
            var attempt = Assert.Single(d!.Attempts);
            Assert.Equal(200, attempt.StatusCode);
            Assert.True(attempt.Delivered);
        }
        Assert.Equal(0, _receiver.Pending); // one webhook per outcome, no more
    }

    [Fact]
    public async Task A_delegate_task_with_a_webhook_sends_one_for_its_events_only()
    {
        await using var runtime = await StartAsync(durable: false);
        var skipped = await runtime.Runner.SubmitAsync(_ => Task.FromResult(1),
            new TaskOptions { Name = "quiet", WebhookUrl = _receiver.Url, WebhookEvents = ["failed"] });
        var sent = await runtime.Runner.SubmitAsync(_ => Task.FromResult("done"),
            new TaskOptions { Name = "loud", WebhookUrl = _receiver.Url, WebhookEvents = ["completed"] });

        var r = await _receiver.NextAsync();
        Assert.True(r.Verified, r.VerifyError);
        Assert.Equal(sent.TaskId, r.Json.GetProperty("job_id").GetString());
        Assert.Equal("done", r.Json.GetProperty("result").GetString());
        Assert.Equal("loud", r.Json.GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.Null, r.Json.GetProperty("recipe").ValueKind);
        var d = await EventuallyAsync(() => runtime.Runner.GetWebhookDeliveryAsync(skipped.TaskId),
            d => d?.State == WebhookDeliveryState.Skipped, "the unwanted outcome skipped");
        Assert.Empty(d!.Attempts);
        await EventuallyAsync(() => runtime.Runner.GetWebhookDeliveryAsync(sent.TaskId), d => d?.Delivered == true, "delivered");
        Assert.Equal(0, _receiver.Pending);
        await Assert.ThrowsAsync<ArgumentException>(() => runtime.Runner.SubmitAsync(_ => Task.FromResult(1),
            new TaskOptions { WebhookUrl = _receiver.Url, WebhookEvents = ["finished"] }));
    }

    [Fact]
    public async Task A_failing_receiver_gets_retries_with_the_same_id_until_it_answers_2xx()
    {
        _receiver.FailFirst = 3;
        await using var runtime = await StartAsync(durable: true);
        var run = await runtime.Runner.RunBackgroundAsync("ok", new RecipeRunOptions { WebhookUrl = _receiver.Url });

        var received = new List<WebhookReceiver.Received>();
        for (var i = 0; i < 4; i++) received.Add(await _receiver.NextAsync());
        Assert.All(received, r => Assert.True(r.Verified, r.VerifyError));
        Assert.Single(received.Select(r => r.Id).Distinct());
        Assert.Equal([500, 500, 500, 200], received.Select(r => r.AnsweredWith));

        var d = await EventuallyAsync(() => runtime.Runner.GetWebhookDeliveryAsync(run.TaskId),
            d => d?.State == WebhookDeliveryState.Delivered, "delivered");
        Assert.Equal([1, 2, 3, 4], d!.Attempts.Select(a => a.Attempt));
        Assert.Equal([500, 500, 500, 200], d.Attempts.Select(a => a.StatusCode ?? 0));
        Assert.All(d.Attempts.Take(3), a => Assert.Contains("500", a.Error));
        Assert.Null(d.NextAttemptAt);
    }

    [Fact]
    public async Task A_delivery_is_given_up_once_its_next_retry_would_pass_the_max_retry_time()
    {
        // MaxRetryTime zero: any retry would come after it, so the first failed attempt is the last (no timing involved).
        _receiver.FailAll = true;
        await using var runtime = await StartAsync(durable: false, new WebhookOptions
        {
            AllowPrivateNetworks = true, FirstRetryDelay = TimeSpan.FromMilliseconds(10), MaxRetryTime = TimeSpan.Zero,
        });
        var run = await runtime.Runner.RunBackgroundAsync("ok", new RecipeRunOptions { WebhookUrl = _receiver.Url });
        var d = await EventuallyAsync(() => runtime.Runner.GetWebhookDeliveryAsync(run.TaskId),
            d => d?.State == WebhookDeliveryState.Failed, "given up");
        var attempt = Assert.Single(d!.Attempts);
        Assert.False(attempt.Delivered);
        Assert.Equal(500, attempt.StatusCode);
        Assert.Null(d.NextAttemptAt);
        var unsigned = await _receiver.NextAsync();
        Assert.Null(unsigned.Signature); // no secret configured: sent unsigned
        Assert.Equal(0, _receiver.Pending);
    }

    [Fact]
    public Task A_restart_mid_delivery_resumes_it_from_the_sqlite_store() => RestartMidDeliveryAsync(TaskStore.Sqlite(_dataDir));

    [PostgresFact]
    public async Task A_restart_mid_delivery_resumes_it_from_the_postgres_store()
    {
        await using var pg = await PostgresTestStore.CreateAsync();
        await RestartMidDeliveryAsync(pg.Store);
    }

    private async Task RestartMidDeliveryAsync(TaskStore store)
    {
        _receiver.FailAll = true;
        string taskId;
        string? firstId;
        await using (var first = await StartAsync(durable: true, name: "webhooks-1", store: store))
        {
            var run = await first.Runner.RunBackgroundAsync("ok", new RecipeRunOptions { WebhookUrl = _receiver.Url });
            taskId = run.TaskId;
            firstId = (await _receiver.NextAsync()).Id;
            // The failed attempt is stored before the host stops.
            await EventuallyAsync(() => first.Runner.GetWebhookDeliveryAsync(taskId), d => d is { Attempts.Count: > 0 }, "an attempt stored");
        }
        while (_receiver.Pending > 0) await _receiver.NextAsync(); // attempts of the first host, all refused

        _receiver.FailAll = false;
        await using var second = await StartAsync(durable: true, name: "webhooks-2", store: store);
        var d = await EventuallyAsync(() => second.Runner.GetWebhookDeliveryAsync(taskId),
            d => d?.State == WebhookDeliveryState.Delivered, "delivered by the second host");
        Assert.True(d!.Attempts.Count >= 2);
        Assert.Contains(d.Attempts, a => a.StatusCode == 500);
        Assert.Equal(200, d.Attempts[^1].StatusCode);

        WebhookReceiver.Received last;
        do last = await _receiver.NextAsync(); while (last.AnsweredWith != 200);
        Assert.True(last.Verified, last.VerifyError);
        Assert.Equal(firstId, last.Id);
        Assert.Equal(taskId, last.Json.GetProperty("job_id").GetString());
    }

    [Fact]
    public async Task An_outcome_stored_by_a_process_without_a_dispatcher_is_delivered_by_the_next_host()
    {
        // A store-only process (the CLI's cancel with no host serving) cancels a pending run: nothing there delivers
        // webhooks, so its delivery stays "waiting" beside a terminal task until a host starts and reconciles it.
        string taskId;
        await using (var storeOnly = await PraisonRuntime.StartAsync(new PraisonRuntimeOptions
        {
            Store = TaskStore.Sqlite(_dataDir), SystemName = "store-only",
            Runner = new BackgroundRunnerOptions { Recipes = Recipes(), ExecuteTasks = false, Webhooks = new WebhookOptions { AllowPrivateNetworks = true } },
        }))
        {
            taskId = (await storeOnly.Runner.RunBackgroundAsync("ok", new RecipeRunOptions { WebhookUrl = _receiver.Url })).TaskId;
            Assert.True(await storeOnly.Runner.CancelAsync(taskId));
        }
        Assert.Equal(0, _receiver.Pending);

        await using var host = await StartAsync(durable: true, name: "webhooks-host");
        var r = await _receiver.NextAsync();
        Assert.True(r.Verified, r.VerifyError);
        Assert.Equal(taskId, r.Json.GetProperty("job_id").GetString());
        Assert.Equal("cancelled", r.Json.GetProperty("status").GetString());
        await EventuallyAsync(() => host.Runner.GetWebhookDeliveryAsync(taskId), d => d?.Delivered == true, "delivered");
    }

    [Theory]
    [InlineData("http://127.0.0.1:9/hook")]
    [InlineData("http://localhost/hook")]
    [InlineData("http://10.1.2.3/hook")]
    [InlineData("http://192.168.0.10/hook")]
    [InlineData("http://169.254.169.254/latest/meta-data")]
    [InlineData("http://[::1]/hook")]
    [InlineData("ftp://example.com/hook")]
    public async Task A_webhook_url_to_a_private_address_is_refused_at_submission(string url)
    {
        await using var runtime = await StartAsync(durable: false, new WebhookOptions());
        var ex = await Assert.ThrowsAsync<ArgumentException>(() =>
            runtime.Runner.RunBackgroundAsync("ok", new RecipeRunOptions { WebhookUrl = url }));
        Assert.Contains(url, ex.Message);
        Assert.Empty(await runtime.Runner.ListAsync()); // nothing stored
    }

    [Fact]
    public async Task The_jobs_api_answers_422_naming_a_refused_webhook_url_and_shows_the_delivery_on_the_run()
    {
        await using var host = await JobsHost.StartAsync();
        var refused = await host.PostJsonTextAsync("""{"prompt": "x", "recipe_name": "echo", "webhook_url": "http://127.0.0.1:8080/hook"}""");
        await ErrorAnswer.AssertInvalidAsync(refused, "webhook_url", "http://127.0.0.1:8080/hook", "SSRF");
        Assert.Equal(0, await host.StoredTaskCountAsync());

        // Allowed by a runtime that permits private networks: submitted over HTTP, the run's view carries its delivery.
        await using var runtime = await StartAsync(durable: false);
        var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateSlimBuilder();
        Microsoft.AspNetCore.Hosting.HostingAbstractionsWebHostBuilderExtensions.UseUrls(builder.WebHost, "http://127.0.0.1:0");
        builder.Services.AddPraisonJobs(runtime.Runner);
        await using var app = builder.Build();
        app.MapPraisonJobs();
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        var submitted = await http.PostAsync(PraisonJobsEndpoints.RunsPath,
            new StringContent($$"""{"prompt": "x", "recipe_name": "ok", "webhook_url": "{{_receiver.Url}}"}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, submitted.StatusCode);
        var id = JsonDocument.Parse(await submitted.Content.ReadAsStringAsync()).RootElement.GetProperty("job_id").GetString()!;
        Assert.Equal(id, (await _receiver.NextAsync()).Json.GetProperty("job_id").GetString());

        var webhook = await EventuallyAsync(async () =>
        {
            var run = JsonDocument.Parse(await http.GetStringAsync($"{PraisonJobsEndpoints.RunsPath}/{id}")).RootElement;
            return run.TryGetProperty("webhook", out var w) ? w.Clone() : default;
        }, w => w.ValueKind == JsonValueKind.Object && w.GetProperty("state").GetString() == "delivered", "the run's webhook delivered");
        Assert.True(webhook.GetProperty("delivered").GetBoolean());
        Assert.Equal(_receiver.Url, webhook.GetProperty("url").GetString());
        Assert.Equal(200, webhook.GetProperty("attempts")[0].GetProperty("status_code").GetInt32());

        var plain = JsonDocument.Parse(await (await http.PostAsync(PraisonJobsEndpoints.RunsPath,
            new StringContent("""{"prompt": "x", "recipe_name": "ok"}""", System.Text.Encoding.UTF8, "application/json"))).Content.ReadAsStringAsync()).RootElement;
        var plainView = JsonDocument.Parse(await http.GetStringAsync($"{PraisonJobsEndpoints.RunsPath}/{plain.GetProperty("job_id").GetString()}")).RootElement;
        Assert.True(!plainView.TryGetProperty("webhook", out var none) || none.ValueKind == JsonValueKind.Null); // no webhook, no delivery
        await app.StopAsync();
    }
}
