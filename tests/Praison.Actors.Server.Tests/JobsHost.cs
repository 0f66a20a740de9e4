using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Praison.Actors.Server.Tests;

/// <summary>
/// The jobs API on a real Kestrel at 127.0.0.1:0 over an ephemeral runtime, with an <c>echo</c> recipe, an
/// HttpClient for it, and every log entry of Warning or above kept for the test to inspect.
/// </summary>
public sealed class JobsHost : IAsyncDisposable
{
    private JobsHost(PraisonRuntime runtime, WebApplication app, LogSink logs)
    {
        Runtime = runtime;
        App = app;
        Logs = logs;
        Http = new HttpClient { BaseAddress = new Uri(app.Urls.First()), Timeout = TimeSpan.FromSeconds(60) };
    }

    /// <summary>The gates of the <c>gated</c> recipe, by the input's <c>gate</c> value.</summary>
    public static ConcurrentDictionary<string, TaskCompletionSource> Gates { get; } = new();

    /// <summary>Opens gate <paramref name="name"/> (also before the recipe reaches it).</summary>
    public static void Open(string name) =>
        Gates.GetOrAdd(name, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    public PraisonRuntime Runtime { get; }
    public WebApplication App { get; }
    public HttpClient Http { get; }
    public LogSink Logs { get; }

    /// <summary>Starts the host; <paramref name="map"/> may add endpoints of the test's own.</summary>
    public static async Task<JobsHost> StartAsync(PraisonJobsOptions? options = null, Action<IEndpointRouteBuilder>? map = null, TaskStore? store = null,
        Action<RecipeRegistry>? moreRecipes = null)
    {
        var recipes = new RecipeRegistry().Register("""
            name: echo
            """, ctx => Task.FromResult<object?>(new { echoed = true }))
            // What the recipe was given: its input and config, as the recipe sees them.
            .Register("name: echo-input\n", ctx => Task.FromResult<object?>(new { input = ctx.Input, config = ctx.Config }))
            .Register("name: fail\n", _ => throw new InvalidOperationException("the recipe failed on purpose"))
            // A recipe whose TEMPLATE.yaml scopes idempotency keys to the session when a job names no scope.
            .Register("name: per-session\nruntime:\n  job:\n    idempotency_scope: session\n", _ => Task.FromResult<object?>("ok"))
            // Reports step 1/2, then waits for the test to open its gate (input property "gate"), then reports step 2/2.
            .Register("name: gated\n", async ctx =>
            {
                var gate = Gates.GetOrAdd(ctx.GetInputString("gate") ?? "", _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
                ctx.ReportProgress(0.5, "step 1/2: first");
                await gate.Task.WaitAsync(ctx.CancellationToken);
                ctx.ReportProgress(0.75, "step 2/2: second");
                return "opened";
            });
        moreRecipes?.Invoke(recipes);
        var runtime = await PraisonRuntime.StartAsync(new PraisonRuntimeOptions
        {
            Store = store ?? TaskStore.Ephemeral,
            Runner = new BackgroundRunnerOptions { Recipes = recipes },
            SystemName = "server-tests",
        });
        try
        {
            var logs = new LogSink();
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders().AddProvider(logs).SetMinimumLevel(LogLevel.Warning);
            builder.Services.AddPraisonJobs(runtime.Runner, options);
            var app = builder.Build();
            app.MapPraisonJobs();
            map?.Invoke(app);
            await app.StartAsync();
            return new JobsHost(runtime, app, logs);
        }
        catch
        {
            await runtime.DisposeAsync();
            throw;
        }
    }

    /// <summary>POSTs raw bytes to the runs endpoint with the given Content-Type (none when null).</summary>
    public Task<HttpResponseMessage> PostRawAsync(byte[] body, string? contentType = "application/json")
    {
        var content = new ByteArrayContent(body);
        if (contentType is not null) content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return Http.PostAsync(PraisonJobsEndpoints.RunsPath, content);
    }

    public Task<HttpResponseMessage> PostJsonTextAsync(string json) => PostRawAsync(Encoding.UTF8.GetBytes(json));

    /// <summary>How many tasks the runtime holds, read through the C# API (not through the endpoint under test).</summary>
    public async Task<int> StoredTaskCountAsync() => (await Runtime.Runner.ListAsync()).Count;

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        await Runtime.DisposeAsync();
    }
}

/// <summary>Asserts on an error answer: its status, a JSON content type, and a body naming the problem under both <c>error</c> and <c>detail</c>.</summary>
public static class ErrorAnswer
{
    public static async Task<string> AssertAsync(HttpResponseMessage response, int status, params string[] mentions)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"Expected {status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var doc = JsonDocument.Parse(text);
        var error = doc.RootElement.GetProperty("error").GetString()!;
        Assert.Equal(error, doc.RootElement.GetProperty("detail").GetString());
        foreach (var m in mentions) Assert.Contains(m, error);
        Assert.DoesNotContain("   at ", error); // no stack trace
        return error;
    }

    /// <summary>A 422 in FastAPI's shape: <c>detail</c> a list of problems, one at <c>["body", field]</c> naming <paramref name="mentions"/>.</summary>
    public static async Task<string> AssertInvalidAsync(HttpResponseMessage response, string field, params string[] mentions)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == 422, $"Expected 422, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var doc = JsonDocument.Parse(text);
        var problem = doc.RootElement.GetProperty("detail").EnumerateArray()
            .Single(p => p.GetProperty("loc").EnumerateArray().Select(l => l.GetString()).SequenceEqual(["body", field]));
        var msg = problem.GetProperty("msg").GetString()!;
        foreach (var m in mentions) Assert.Contains(m, msg);
        Assert.Contains(msg, doc.RootElement.GetProperty("error").GetString());
        return msg;
    }
}

/// <summary>Keeps the log entries of every logger.</summary>
public sealed class LogSink : ILoggerProvider
{
    public ConcurrentQueue<(LogLevel Level, string Category, string Message, Exception? Exception)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    private sealed class Logger(LogSink sink, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            sink.Entries.Enqueue((logLevel, category, formatter(state, exception), exception));
    }
}
