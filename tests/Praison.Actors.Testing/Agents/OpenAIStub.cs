using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Praison.Actors.TestSupport;

/// <summary>
/// A small OpenAI-compatible server on 127.0.0.1 (real Kestrel): POST /v1/chat/completions answers with streamed
/// server-sent chunks, usage in the last chunk, then <c>[DONE]</c>. The model name scripts the behaviour:
/// <list type="bullet">
/// <item><c>echo</c> (any other name): "ECHO: " and the last user message, one word per chunk.</item>
/// <item><c>tokens-N</c>: N chunks of "t ".</item>
/// <item><c>gated</c>: 5 chunks, then waits for <see cref="Gate"/>, then 5 more.</item>
/// <item><c>stall</c>: 2 chunks, then nothing until the client goes away.</item>
/// <item><c>endless</c>: chunks until the client goes away.</item>
/// <item><c>fail-401</c>, <c>fail-500</c> (Retry-After: 0): errors with an OpenAI error body.</item>
/// <item><c>retry-429</c>: the first request gets 429 with Retry-After: 1, later ones an echo.</item>
/// </list>
/// Every request is recorded with a task that completes when the client disconnected before the answer ended.
/// </summary>
public sealed class OpenAIStub : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, int> _countByModel = new();

    private OpenAIStub(WebApplication app) => _app = app;

    /// <summary>The base URL to give a client: http://127.0.0.1:PORT/v1.</summary>
    public string BaseUrl { get; private set; } = "";

    /// <summary>Every request, in arrival order.</summary>
    public ConcurrentQueue<StubRequest> Requests { get; } = new();

    /// <summary>Released by a test to let the <c>gated</c> model finish.</summary>
    public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Starts the stub on <paramref name="url"/> (default: a free loopback port).</summary>
    public static async Task<OpenAIStub> StartAsync(string url = "http://127.0.0.1:0")
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(url);
        var app = builder.Build();
        var stub = new OpenAIStub(app);
        app.MapPost("/v1/chat/completions", stub.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        stub.BaseUrl = address.TrimEnd('/') + "/v1";
        return stub;
    }

    /// <summary>The requests for <paramref name="model"/>.</summary>
    public List<StubRequest> For(string model) => Requests.Where(r => r.Model == model).ToList();

    private async Task HandleAsync(HttpContext http)
    {
        var body = await JsonNode.ParseAsync(http.Request.Body);
        var model = body?["model"]?.GetValue<string>() ?? "echo";
        var messages = (body?["messages"]?.AsArray() ?? []).Select(m => (Role: m!["role"]!.GetValue<string>(), Text: TextOf(m["content"]))).ToList();
        var request = new StubRequest(model, messages, DateTimeOffset.UtcNow) { Authorization = http.Request.Headers.Authorization.ToString() };
        Requests.Enqueue(request);
        var n = _countByModel.AddOrUpdate(model, 1, (_, c) => c + 1);
        var aborted = http.RequestAborted;

        switch (model)
        {
            case "fail-401":
                await Error(http, 401, "Incorrect API key provided.");
                return;
            case "fail-500":
                http.Response.Headers["Retry-After"] = "0";
                await Error(http, 500, "The server had an error while processing your request.");
                return;
            case "retry-429" when n == 1:
                http.Response.Headers["Retry-After"] = "1";
                await Error(http, 429, "Rate limit reached.");
                return;
        }

        http.Response.ContentType = "text/event-stream";
        var prompt = messages.Sum(m => m.Text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
        var sent = 0;
        try
        {
            switch (model)
            {
                case "stall":
                    for (; sent < 2; sent++) await Chunk(http, model, "t ");
                    await Task.Delay(Timeout.Infinite, aborted);
                    return;
                case "endless":
                    while (true) { await Chunk(http, model, "t "); sent++; }
                case "gated":
                    for (; sent < 5; sent++) await Chunk(http, model, "t ");
                    await Gate.Task.WaitAsync(aborted);
                    for (; sent < 10; sent++) await Chunk(http, model, "t ");
                    break;
                case var m when m.StartsWith("tokens-", StringComparison.Ordinal):
                    var count = int.Parse(m["tokens-".Length..]);
                    for (; sent < count; sent++) await Chunk(http, model, "t ", flush: sent % 64 == 63 || sent == count - 1);
                    break;
                default:
                    var last = messages.LastOrDefault(x => x.Role == "user").Text ?? "";
                    var words = ("ECHO: " + last).Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    for (; sent < words.Length; sent++) await Chunk(http, model, sent < words.Length - 1 ? words[sent] + " " : words[sent]);
                    break;
            }
            await Data(http, new JsonObject
            {
                ["id"] = "chatcmpl-stub", ["object"] = "chat.completion.chunk", ["created"] = 1_700_000_000, ["model"] = model,
                ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = new JsonObject(), ["finish_reason"] = "stop" }),
            }.ToJsonString());
            await Data(http, new JsonObject
            {
                ["id"] = "chatcmpl-stub", ["object"] = "chat.completion.chunk", ["created"] = 1_700_000_000, ["model"] = model,
                ["choices"] = new JsonArray(),
                ["usage"] = new JsonObject { ["prompt_tokens"] = prompt, ["completion_tokens"] = sent, ["total_tokens"] = prompt + sent },
            }.ToJsonString());
            await Data(http, "[DONE]");
            request.Completed.TrySetResult();
        }
        catch (Exception) when (aborted.IsCancellationRequested)
        {
            request.Disconnected.TrySetResult(sent);
        }
        catch (IOException)
        {
            request.Disconnected.TrySetResult(sent);
        }
    }

    private static string TextOf(JsonNode? content) => content switch
    {
        JsonValue v => v.GetValue<string>(),
        JsonArray parts => string.Concat(parts.Select(p => p?["text"]?.GetValue<string>() ?? "")),
        _ => "",
    };

    private static async Task Error(HttpContext http, int status, string message)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(new JsonObject
        {
            ["error"] = new JsonObject { ["message"] = message, ["type"] = "stub_error", ["code"] = status.ToString() },
        }.ToJsonString());
    }

    private static Task Chunk(HttpContext http, string model, string text, bool flush = true) =>
        Data(http, JsonSerializer.Serialize(new
        {
            id = "chatcmpl-stub",
            @object = "chat.completion.chunk",
            created = 1_700_000_000,
            model,
            choices = new[] { new { index = 0, delta = new { role = "assistant", content = text }, finish_reason = (string?)null } },
        }), flush);

    private static async Task Data(HttpContext http, string json, bool flush = true)
    {
        await http.Response.WriteAsync("data: " + json + "\n\n", http.RequestAborted);
        if (flush) await http.Response.Body.FlushAsync(http.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        Gate.TrySetResult();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>One request the stub received.</summary>
public sealed record StubRequest(string Model, List<(string Role, string Text)> Messages, DateTimeOffset At)
{
    /// <summary>The request's Authorization header (e.g. "Bearer KEY").</summary>
    public string Authorization { get; init; } = "";

    /// <summary>Completes with the number of chunks sent when the client went away before the answer ended.</summary>
    public TaskCompletionSource<int> Disconnected { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the whole answer was sent.</summary>
    public TaskCompletionSource Completed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
