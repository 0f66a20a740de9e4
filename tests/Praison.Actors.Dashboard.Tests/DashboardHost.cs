using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Praison.Actors.Dashboard;

namespace Praison.Actors.Dashboard.Tests;

/// <summary>
/// The dashboard on a real Kestrel at 127.0.0.1:0 over an ephemeral runtime. Recipes: <c>gated</c> reports 50 %
/// and waits until the test opens its gate (<see cref="Release"/>, keyed by the input's <c>key</c>), then completes
/// with <c>{"done": key}</c>; <c>boom</c> throws; <c>echo</c> returns its input; <c>flaky</c> fails its first attempt.
/// </summary>
public sealed class DashboardHost : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _gates = new();

    private DashboardHost(PraisonRuntime runtime, WebApplication app)
    {
        Runtime = runtime;
        App = app;
        BaseUrl = app.Urls.First();
        Http = new HttpClient { BaseAddress = new Uri(BaseUrl), Timeout = TimeSpan.FromSeconds(60) };
    }

    public PraisonRuntime Runtime { get; }
    public BackgroundRunner Runner => Runtime.Runner;
    public WebApplication App { get; }
    public string BaseUrl { get; }
    public string DashboardUrl => BaseUrl + "/dashboard/";
    public HttpClient Http { get; }

    public TaskCompletionSource Gate(string key) => _gates.GetOrAdd(key, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    public void Release(string key) => Gate(key).TrySetResult();

    public static async Task<DashboardHost> StartAsync(PraisonDashboardOptions? options = null, TaskStore? store = null)
    {
        DashboardHost? host = null;
        var recipes = new RecipeRegistry()
            .Register("""
                name: gated
                description: Reports half-way, then waits for the test.
                version: "1.0"
                steps:
                  - name: start
                  - name: wait for the gate
                runtime:
                  timeout_sec: 120
                """, async ctx =>
            {
                var key = ctx.GetInputString("key") ?? "default";
                ctx.ReportProgress(0.5, "half-way");
                await host!.Gate(key).Task.WaitAsync(ctx.CancellationToken);
                return new { done = key };
            })
            .Register("""
                name: boom
                """, ctx => throw new InvalidOperationException("the boom recipe always fails"))
            .Register("""
                name: echo
                """, ctx => Task.FromResult<object?>(ctx.Input))
            .Register("""
                name: flaky
                """, ctx => ctx.Attempt == 1 ? throw new InvalidOperationException("the first attempt of flaky fails") : Task.FromResult<object?>("flaky ok"));
        var runtime = await PraisonRuntime.StartAsync(new PraisonRuntimeOptions
        {
            Runner = new BackgroundRunnerOptions
            {
                Recipes = recipes, MaxConcurrentTasks = 20,
                // Webhook tests receive on loopback and want the retry soon.
                Webhooks = new WebhookOptions { AllowPrivateNetworks = true, FirstRetryDelay = TimeSpan.FromMilliseconds(200), MaxRetryDelay = TimeSpan.FromSeconds(1) },
            },
            SystemName = "dashboard-tests",
            Store = store ?? TaskStore.Ephemeral,
        });
        try
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            builder.Services.AddSingleton(runtime.Runner);
            builder.Services.AddPraisonObservability();
            var app = builder.Build();
            app.MapPraisonDashboard(options);
            app.MapPraisonObservability();
            await app.StartAsync();
            host = new DashboardHost(runtime, app);
            return host;
        }
        catch
        {
            await runtime.DisposeAsync();
            throw;
        }
    }

    public Task<BackgroundTaskHandle> RunGatedAsync(string key, string? session = null) =>
        Runner.RunBackgroundAsync("gated", new RecipeRunOptions { Input = new { key }, SessionId = session });

    /// <summary>Waits, with a deadline, until the runner reports <paramref name="condition"/> for the task.</summary>
    public async Task<TaskStatusInfo> UntilAsync(string taskId, Func<TaskStatusInfo, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var info = await Runner.GetStatusAsync(taskId);
            if (condition(info)) return info;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Task {taskId} never became {what}; last: {info}");
            await Task.Delay(20); // polling an observable condition with a deadline
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var gate in _gates.Values) gate.TrySetResult();
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        await Runtime.DisposeAsync();
    }
}
