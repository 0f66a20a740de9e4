using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Praison.Actors.Cli.Tests;

/// <summary>
/// A tiny server on real Kestrel (127.0.0.1, a free port) that speaks exactly PraisonAI's async-jobs contract
/// (/work/shared/reference/praisonai-jobs-api.md): field names, statuses, 202/404/409/422/401 answers, SSE events.
/// Each job follows a script chosen by its prompt, one state per status read, so the CLI's polling moves it forward
/// without any clock: "succeed" (queued, running 50% "halfway", succeeded), "fail", "timeout", "hang" (running until
/// cancelled), "done" (already succeeded), "text" (succeeds with a string result), "reject" (422), "drop" (as
/// succeed, but its first event stream ends after two events). Every request is recorded for the tests to read.
/// </summary>
public sealed class FakeJobsServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string? _apiKey;
    private readonly ConcurrentDictionary<string, Job> _jobs = new();
    private readonly ConcurrentDictionary<string, string> _idempotency = new();
    private readonly Lock _lock = new();
    private int _created;

    private FakeJobsServer(WebApplication app, string? apiKey)
    {
        _app = app;
        _apiKey = apiKey;
    }

    public string Url { get; private set; } = "";

    /// <summary>Every request, in arrival order.</summary>
    public ConcurrentQueue<Recorded> Requests { get; } = new();

    public sealed record Recorded(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, string Body)
    {
        public JsonElement Json() => JsonDocument.Parse(Body).RootElement.Clone();
    }

    public static async Task<FakeJobsServer> StartAsync(string? apiKey = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new FakeJobsServer(app, apiKey);
        server.Map(app);
        await app.StartAsync();
        server.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return server;
    }

    private sealed class Job
    {
        public required string Id { get; init; }
        public required string? SessionId { get; init; }
        public required DateTimeOffset CreatedAt { get; init; }
        public required List<State> Script { get; init; }
        public int Index { get; set; }
        public int StreamConnections { get; set; }
        public bool DropFirstStream { get; init; }
        public State Current => Script[Index];
    }

    private sealed record State(string Status, double Percentage, string? Step, JsonNode? Result = null, string? Error = null)
    {
        public bool Terminal => Status is "succeeded" or "failed" or "cancelled";
    }

    private static List<State> ScriptFor(string prompt) => prompt switch
    {
        "succeed" or "drop" => [new("queued", 0, null), new("running", 50, "halfway"), new("succeeded", 100, "done", new JsonObject { ["greeting"] = "Hello" })],
        "fail" => [new("queued", 0, null), new("failed", 0, null, Error: "boom")],
        "timeout" => [new("running", 10, "working"), new("failed", 10, "working", Error: "Job timed out after 1s")],
        "hang" => [new("running", 10, "working")],
        "text" => [new("succeeded", 100, null, JsonValue.Create("plain words"))],
        _ => [new("succeeded", 100, null, new JsonObject { ["echo"] = prompt })],
    };

    private void Map(WebApplication app)
    {
        app.Use(async (ctx, next) =>
        {
            ctx.Request.EnableBuffering();
            var body = await new StreamReader(ctx.Request.Body, Encoding.UTF8, leaveOpen: true).ReadToEndAsync();
            ctx.Request.Body.Position = 0;
            Requests.Enqueue(new Recorded(ctx.Request.Method, ctx.Request.Path, ctx.Request.QueryString.Value ?? "",
                ctx.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), body));
            if (_apiKey is not null && ctx.Request.Path != "/health" &&
                ctx.Request.Headers.Authorization.ToString() != $"Bearer {_apiKey}" && ctx.Request.Headers["X-API-Key"].ToString() != _apiKey)
            {
                ctx.Response.StatusCode = 401;
                await ctx.Response.WriteAsJsonAsync(new { error = "Unauthorized" });
                return;
            }
            await next();
        });

        app.MapGet("/health", () => Results.Json(new { status = "healthy" }));

        app.MapPost("/api/v1/runs", async (HttpContext ctx) =>
        {
            JsonNode? body;
            try
            {
                body = await JsonNode.ParseAsync(ctx.Request.Body);
            }
            catch (JsonException)
            {
                return Results.Json(new { detail = new[] { new { loc = new[] { "body" }, msg = "JSON decode error", type = "json_invalid" } } }, statusCode: 422);
            }
            if (body is not JsonObject obj || obj["prompt"] is not JsonValue p || p.GetValueKind() != JsonValueKind.String)
                return Results.Json(new { detail = new[] { new { loc = new[] { "body", "prompt" }, msg = "Field required", type = "missing" } } }, statusCode: 422);
            var prompt = p.GetValue<string>();
            if (prompt == "reject")
                return Results.Json(new { detail = new[] { new { loc = new[] { "body", "prompt" }, msg = "Value error, rejected by the test", type = "value_error" } } }, statusCode: 422);

            var key = ctx.Request.Headers["Idempotency-Key"].FirstOrDefault() ?? (string?)obj["idempotency_key"];
            var session = (string?)obj["session_id"];
            Job job;
            lock (_lock)
            {
                if (key is not null && _idempotency.TryGetValue(key, out var existing)) job = _jobs[existing];
                else
                {
                    job = new Job
                    {
                        Id = $"run_{++_created:x12}",
                        SessionId = session,
                        CreatedAt = DateTimeOffset.UtcNow,
                        Script = ScriptFor(prompt),
                        DropFirstStream = prompt == "drop",
                    };
                    _jobs[job.Id] = job;
                    if (key is not null) _idempotency[key] = job.Id;
                }
            }
            var location = $"{Url}/api/v1/runs/{job.Id}";
            ctx.Response.Headers.Location = location;
            ctx.Response.Headers.RetryAfter = "2";
            return Results.Json(new
            {
                job_id = job.Id,
                status = job.Current.Status,
                created_at = job.CreatedAt,
                poll_url = $"/api/v1/runs/{job.Id}",
                stream_url = $"/api/v1/runs/{job.Id}/stream",
            }, statusCode: 202);
        });

        app.MapGet("/api/v1/runs", (HttpContext ctx) =>
        {
            var q = ctx.Request.Query;
            var page = int.TryParse(q["page"], out var pg) ? pg : 1;
            var size = int.TryParse(q["page_size"], out var ps) ? ps : 20;
            if (page < 1 || size is < 1 or > 100) return Results.Json(new { detail = "bad paging" }, statusCode: 422);
            string? status = q["status"];
            if (status is not null && status is not ("queued" or "running" or "succeeded" or "failed" or "cancelled"))
                return Results.Json(new { detail = $"Invalid status: {status}" }, statusCode: 400);
            string? session = q["session_id"];
            List<object> all;
            int total;
            lock (_lock)
            {
                var jobs = _jobs.Values.OrderBy(j => j.Id, StringComparer.Ordinal)
                    .Where(j => (status is null || j.Current.Status == status) && (session is null || j.SessionId == session)).ToList();
                total = jobs.Count;
                all = jobs.Skip((page - 1) * size).Take(size).Select(StatusObject).ToList();
            }
            return Results.Json(new { jobs = all, total, page, page_size = size });
        });

        app.MapGet("/api/v1/runs/{id}", (string id) => WithJob(id, job =>
        {
            lock (_lock)
            {
                var answer = StatusObject(job);
                if (job.Index < job.Script.Count - 1) job.Index++; // the next read sees the next state
                return Results.Json(answer);
            }
        }));

        app.MapGet("/api/v1/runs/{id}/result", (string id) => WithJob(id, job =>
        {
            lock (_lock)
            {
                var s = job.Current;
                if (!s.Terminal) return Results.Json(new { detail = $"Job not complete: {s.Status}" }, statusCode: 409);
                return Results.Json(new
                {
                    job_id = job.Id,
                    status = s.Status,
                    result = s.Result?.DeepClone(),
                    result_url = (string?)null,
                    metrics = (object?)null,
                    created_at = job.CreatedAt,
                    started_at = job.CreatedAt,
                    completed_at = job.CreatedAt.AddSeconds(1.5),
                    duration_seconds = 1.5,
                    error = s.Error,
                });
            }
        }));

        app.MapPost("/api/v1/runs/{id}/cancel", (string id) => WithJob(id, job =>
        {
            lock (_lock)
            {
                if (job.Current.Terminal) return Results.Json(new { detail = $"Cannot cancel job in status {job.Current.Status}" }, statusCode: 409);
                job.Script.Add(job.Current with { Status = "cancelled" });
                job.Index = job.Script.Count - 1;
                return Results.Json(StatusObject(job));
            }
        }));

        app.MapGet("/api/v1/runs/{id}/stream", async (string id, HttpContext ctx) =>
        {
            if (!_jobs.TryGetValue(id, out var job))
            {
                ctx.Response.StatusCode = 404;
                await ctx.Response.WriteAsJsonAsync(new { detail = $"Job not found: {id}" });
                return;
            }
            int connection;
            lock (_lock) connection = ++job.StreamConnections;
            var after = int.TryParse(ctx.Request.Headers["Last-Event-ID"], out var last) ? last : 0;
            ctx.Response.ContentType = "text/event-stream";
            var events = Events(job);
            foreach (var (n, name, data) in events.Where(e => e.Id > after))
            {
                // The first stream of "drop" ends after two events, before the job's end, as a connection cut by a proxy
                // would. (Not ctx.Abort(): its reset can discard events the client has not read yet, making the test racy.)
                if (job.DropFirstStream && connection == 1 && n > 2) return;
                await ctx.Response.WriteAsync($"id: {n}\nevent: {name}\ndata: {data}\n\n");
                if (n == events.Count) lock (_lock) job.Index = job.Script.Count - 1; // streamed to its end: status reads see it ended
                if (n == 1) await ctx.Response.WriteAsync(": a comment line, ignored\n\nevent: heartbeat\ndata: {\"timestamp\": \"2026-01-01T00:00:00Z\"}\n\n");
                await ctx.Response.Body.FlushAsync();
            }
        });
    }

    /// <summary>The job's whole script as PraisonAI's router sends it: status on change, progress on change, then the final event.</summary>
    private static List<(int Id, string Event, string Data)> Events(Job job)
    {
        var list = new List<(int, string, string)>();
        string? status = null;
        double progress = -1;
        foreach (var s in job.Script.Take(job.Script.Count))
        {
            if (s.Status != status) list.Add((list.Count + 1, "status", JsonSerializer.Serialize(new { status = s.Status, job_id = job.Id })));
            if (s.Percentage != progress) list.Add((list.Count + 1, "progress", JsonSerializer.Serialize(new { percentage = s.Percentage, step = s.Step ?? "" })));
            status = s.Status;
            progress = s.Percentage;
            if (s.Terminal)
            {
                list.Add((list.Count + 1, s.Status switch { "succeeded" => "result", "failed" => "error", _ => "cancelled" },
                    s.Status switch
                    {
                        "succeeded" => JsonSerializer.Serialize(new { result = s.Result?.ToJsonString() }),
                        "failed" => JsonSerializer.Serialize(new { error = s.Error }),
                        _ => JsonSerializer.Serialize(new { message = "Job was cancelled" }),
                    }));
                break;
            }
        }
        return list;
    }

    private IResult WithJob(string id, Func<Job, IResult> then) =>
        _jobs.TryGetValue(id, out var job) ? then(job) : Results.Json(new { detail = $"Job not found: {id}" }, statusCode: 404);

    private static object StatusObject(Job job)
    {
        var s = job.Current;
        return new
        {
            job_id = job.Id,
            status = s.Status,
            progress = new { percentage = s.Percentage, current_step = s.Step, steps_completed = 0, steps_total = (int?)null },
            created_at = job.CreatedAt,
            started_at = s.Status == "queued" ? (DateTimeOffset?)null : job.CreatedAt,
            completed_at = s.Terminal ? job.CreatedAt.AddSeconds(1.5) : (DateTimeOffset?)null,
            agent_id = (string?)null,
            run_id = (string?)null,
            session_id = job.SessionId,
            error = s.Error,
            retry_after = s.Status == "queued" ? 2 : s.Terminal ? (int?)null : 5,
        };
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
