using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Praison.Actors.Server;

/// <summary>
/// <c>/api/v1/schedules</c>: create, list, read (with its stats), update (PATCH), delete, pause, resume, trigger, runs, stats, history — over the runner's
/// <see cref="BackgroundRunner.Scheduler"/>. Bad input (invalid expression, unknown zone or recipe, duplicate name, a
/// one-shot in the past, a malformed body) is 400 with a JSON <see cref="ApiError"/> and stores nothing; an unknown
/// schedule is 404; a store that cannot be used is 503.
/// </summary>
public static class PraisonScheduleEndpoints
{
    /// <summary>The path the schedule endpoints are mapped under.</summary>
    public const string SchedulesPath = "/api/v1/schedules";

    private const int MaxBodyBytes = 256 * 1024;

    /// <summary>Maps the schedule endpoints (called by <c>MapPraisonJobs</c>).</summary>
    public static IEndpointRouteBuilder MapPraisonSchedules(this IEndpointRouteBuilder app)
    {
        var schedules = app.MapGroup(SchedulesPath);
        schedules.AddEndpointFilter(CatchAsync);
        schedules.MapPost("", CreateAsync);
        schedules.MapGet("", async (BackgroundRunner runner, CancellationToken ct) =>
            Results.Ok(new { schedules = (await runner.Scheduler.ListAsync(ct)).Select(ScheduleView.From) }));
        var one = schedules.MapGroup("/{name}");
        one.MapGet("", async (string name, BackgroundRunner runner, CancellationToken ct) =>
        {
            var handle = runner.Scheduler.GetHandle(name);
            var info = await handle.InfoAsync(ct);
            return Results.Ok(ScheduleView.From(info) with { Stats = await handle.StatsAsync(ct) });
        });
        one.MapGet("/stats", async (string name, BackgroundRunner runner, CancellationToken ct) =>
            Results.Ok(await runner.Scheduler.GetHandle(name).StatsAsync(ct)));
        one.MapPatch("", UpdateAsync);
        one.MapDelete("", async (string name, BackgroundRunner runner, CancellationToken ct) =>
            await runner.Scheduler.GetHandle(name).DeleteAsync(ct) ? Results.NoContent() : NotFound(name));
        one.MapPost("/pause", (string name, BackgroundRunner runner, CancellationToken ct) => SetPausedAsync(runner, name, true, ct));
        one.MapPost("/resume", (string name, BackgroundRunner runner, CancellationToken ct) => SetPausedAsync(runner, name, false, ct));
        one.MapPost("/trigger", async (string name, BackgroundRunner runner, CancellationToken ct) =>
            Results.Accepted(null, new { name, taskId = await runner.Scheduler.GetHandle(name).TriggerAsync(ct) }));
        one.MapGet("/runs", async (string name, int? limit, BackgroundRunner runner, CancellationToken ct) =>
        {
            var runs = await runner.Scheduler.GetHandle(name).RunsAsync(limit ?? 20, ct);
            return Results.Ok(new
            {
                runs = runs.Select(r => new { taskId = r.TaskId, slotAt = r.SlotAt, firedAt = r.FiredAt, reason = r.Reason, status = r.Status?.ToWireName() }),
            });
        });
        one.MapGet("/history", async (string name, int? limit, BackgroundRunner runner, CancellationToken ct) =>
        {
            var history = await runner.Scheduler.GetHandle(name).HistoryAsync(limit ?? 50, ct);
            return Results.Ok(new
            {
                history = history.Select(h => new { sequence = h.Sequence, at = h.At, kind = h.Kind, summary = h.Summary, version = h.Version }),
            });
        });
        return app;
    }

    private static async Task<IResult> SetPausedAsync(BackgroundRunner runner, string name, bool paused, CancellationToken ct)
    {
        var handle = runner.Scheduler.GetHandle(name);
        if (paused) await handle.PauseAsync(ct);
        else await handle.ResumeAsync(ct);
        return Results.Ok(ScheduleView.From(await handle.InfoAsync(ct)));
    }

    /// <summary>A JSON body parsed by <paramref name="parse"/>, or the 415 / 413 / 400 that refuses it.</summary>
    private static async Task<(T? Body, IResult? Refused)> ReadBodyAsync<T>(HttpRequest request, Func<JsonElement, T> parse, CancellationToken ct)
    {
        if (request.ContentType is not { } type || !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
            return (default, Error(StatusCodes.Status415UnsupportedMediaType, "The body must be JSON (Content-Type: application/json)."));
        if (request.ContentLength > MaxBodyBytes)
            return (default, Error(StatusCodes.Status413PayloadTooLarge, $"The body is over {MaxBodyBytes} bytes."));
        try
        {
            using var doc = await JsonDocument.ParseAsync(request.Body, cancellationToken: ct);
            return (parse(doc.RootElement), null);
        }
        catch (JsonException ex)
        {
            return (default, Error(StatusCodes.Status400BadRequest, $"The body is not valid JSON: {ex.Message}"));
        }
        catch (ArgumentException ex)
        {
            return (default, Error(StatusCodes.Status400BadRequest, ex.Message));
        }
    }

    private static async Task<IResult> CreateAsync(HttpRequest request, BackgroundRunner runner, CancellationToken ct)
    {
        var (body, refused) = await ReadBodyAsync(request, CreateScheduleRequest.Parse, ct);
        if (refused is not null) return refused;
        var handle = await runner.Scheduler.ScheduleAsync(body!.Name, body.Recipe, body.Schedule, body.Options, ct);
        var info = await handle.InfoAsync(ct);
        return Results.Created($"{SchedulesPath}/{Uri.EscapeDataString(info.Name)}", ScheduleView.From(info));
    }

    private static async Task<IResult> UpdateAsync(string name, HttpRequest request, BackgroundRunner runner, CancellationToken ct)
    {
        var (changes, refused) = await ReadBodyAsync(request, CreateScheduleRequest.ParseUpdate, ct);
        if (refused is not null) return refused;
        return Results.Ok(ScheduleView.From(await runner.Scheduler.GetHandle(name).UpdateAsync(changes!, ct)));
    }

    /// <summary>Schedule problems as 400/404, a store that cannot be used as 503; everything else is left to the host's error handling.</summary>
    private static async ValueTask<object?> CatchAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (ScheduleNotFoundException ex)
        {
            return Error(StatusCodes.Status404NotFound, ex.Message);
        }
        catch (ScheduleException ex)
        {
            return Error(StatusCodes.Status400BadRequest, ex.Message);
        }
        catch (TaskStoreException ex)
        {
            context.HttpContext.Response.Headers.RetryAfter = "5";
            return Error(StatusCodes.Status503ServiceUnavailable, $"The task store is unavailable: {ex.Message}");
        }
        catch (Exception ex) when (ex is RecipeException { TaskId: null } or ArgumentException)
        {
            return Error(StatusCodes.Status400BadRequest, ex.Message);
        }
    }

    private static IResult NotFound(string name) => Error(StatusCodes.Status404NotFound, $"No schedule named '{name}'.");

    private static IResult Error(int status, string message) => Results.Json(new ApiError(message), statusCode: status);
}

/// <summary>A schedule on the wire (camelCase, policies in kebab-case, times in UTC).</summary>
/// <param name="Name">The schedule's name.</param>
/// <param name="Recipe">The recipe each slot runs.</param>
/// <param name="Schedule">The expression.</param>
/// <param name="TimeZone">The time zone id.</param>
/// <param name="CatchUp">skip, once or all.</param>
/// <param name="CatchUpWindowSec">How late (seconds) a missed slot may still run.</param>
/// <param name="Overlap">skip, buffer-one, allow or cancel-previous.</param>
/// <param name="JitterSec">The most a slot fires late on purpose, in seconds.</param>
/// <param name="State">active, paused or done.</param>
/// <param name="NextRunAt">The next slot; null when done.</param>
/// <param name="LastRunAt">The slot of the last run started.</param>
/// <param name="LastTaskId">The task of the last run started.</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="SessionId">The session of every run.</param>
/// <param name="Input">The input of every run.</param>
public sealed record ScheduleView(string Name, string Recipe, string Schedule, string TimeZone, ScheduleCatchUp CatchUp, double CatchUpWindowSec,
    ScheduleOverlap Overlap, double JitterSec, string State, DateTimeOffset? NextRunAt, DateTimeOffset? LastRunAt, string? LastTaskId,
    DateTimeOffset CreatedAt, string? SessionId, JsonElement? Input)
{
    /// <summary>Each run's timeout in seconds; null takes the recipe's.</summary>
    public double? TimeoutSec { get; init; }

    /// <summary>Retries of each failed run; null takes the recipe's retry policy.</summary>
    public int? MaxRetries { get; init; }

    /// <summary>Its figures (<c>GET /api/v1/schedules/{name}</c> only; left out of lists and other answers).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ScheduleStats? Stats { get; init; }

    /// <summary>The wire view of <paramref name="s"/>.</summary>
    public static ScheduleView From(ScheduleInfo s) => new(s.Name, s.Recipe, s.Expression, s.TimeZone, s.CatchUp, s.CatchUpWindow.TotalSeconds,
        s.Overlap, s.Jitter.TotalSeconds, s.Paused ? "paused" : s.NextFireAt is null ? "done" : "active", s.NextFireAt, s.LastFireAt,
        s.LastTaskId, s.CreatedAt, s.SessionId, s.InputJson is null ? null : JsonDocument.Parse(s.InputJson).RootElement.Clone())
    {
        TimeoutSec = s.Timeout?.TotalSeconds,
        MaxRetries = s.MaxAttempts - 1,
    };
}

/// <summary>The body of <c>POST /api/v1/schedules</c>.</summary>
internal sealed record CreateScheduleRequest(string Name, string Recipe, string Schedule, ScheduleOptions Options)
{
    private static readonly string[] CreateFields =
    [
        "name", "recipe", "schedule", "timeZone", "input", "config", "sessionId", "timeoutSec", "maxRetries", "catchUp", "catchUpWindowSec",
        "overlap", "jitterSec", "paused",
    ];

    private static readonly string[] UpdateFields =
        ["schedule", "timeZone", "input", "timeoutSec", "maxRetries", "catchUp", "catchUpWindowSec", "overlap", "jitterSec", "enabled"];

    public static CreateScheduleRequest Parse(JsonElement body)
    {
        var b = new Body(body, CreateFields);
        IReadOnlyDictionary<string, object?>? config = null;
        if (body.TryGetProperty("config", out var c) && c.ValueKind != JsonValueKind.Null)
            config = c.ValueKind == JsonValueKind.Object
                ? c.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone())
                : throw new ArgumentException("'config' must be a JSON object.");
        return new CreateScheduleRequest(b.Text("name", true), b.Text("recipe", true), b.Text("schedule", true), new ScheduleOptions
        {
            TimeZone = b.Text("timeZone", false) is { Length: > 0 } z ? z : null,
            Input = b.Input(),
            Config = config,
            SessionId = b.Text("sessionId", false) is { Length: > 0 } s ? s : null,
            Timeout = b.Timeout(),
            CatchUp = b.CatchUp() ?? ScheduleCatchUp.Once,
            CatchUpWindow = b.Seconds("catchUpWindowSec") is { } w ? TimeSpan.FromSeconds(w) : TimeSpan.FromDays(1),
            Overlap = b.Overlap() ?? ScheduleOverlap.Skip,
            Jitter = b.Seconds("jitterSec") is { } j ? TimeSpan.FromSeconds(j) : TimeSpan.Zero,
            Paused = b.Bool("paused") ?? false,
            Retry = b.Retry(),
        });
    }

    /// <summary>
    /// The body of <c>PATCH /api/v1/schedules/{name}</c>: the fields to change; absent ones stay. <c>null</c> clears a
    /// setting back to its default (<c>timeZone</c> to UTC, <c>input</c> and <c>jitterSec</c> to none, <c>timeoutSec</c>
    /// and <c>maxRetries</c> to the recipe's); the other fields have no default to go back to, so null there is a 400.
    /// </summary>
    public static ScheduleUpdate ParseUpdate(JsonElement body)
    {
        var b = new Body(body, UpdateFields);
        var clear = ScheduleFields.None;
        foreach (var p in body.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Null))
        {
            clear |= p.Name switch
            {
                "timeZone" => ScheduleFields.TimeZone,
                "input" => ScheduleFields.Input,
                "timeoutSec" => ScheduleFields.Timeout,
                "maxRetries" => ScheduleFields.Retry,
                "jitterSec" => ScheduleFields.Jitter,
                _ => throw new ArgumentException(
                    $"'{p.Name}' cannot be null (null clears timeZone, input, timeoutSec, maxRetries and jitterSec; leave a field out to keep it)."),
            };
        }
        return new ScheduleUpdate
        {
            Expression = b.Text("schedule", false) is { Length: > 0 } e ? e : null,
            TimeZone = b.Text("timeZone", false) is { Length: > 0 } z ? z : null,
            Input = b.Input(),
            Timeout = b.Timeout(),
            Retry = b.Retry(),
            CatchUp = b.CatchUp(),
            CatchUpWindow = b.Seconds("catchUpWindowSec") is { } w ? TimeSpan.FromSeconds(w) : null,
            Overlap = b.Overlap(),
            Jitter = b.Seconds("jitterSec") is { } j ? TimeSpan.FromSeconds(j) : null,
            Enabled = b.Bool("enabled"),
            Clear = clear,
        };
    }

    /// <summary>Reads the fields of a schedule body; a wrong one is an <see cref="ArgumentException"/> naming it.</summary>
    private sealed class Body
    {
        private readonly JsonElement _body;

        public Body(JsonElement body, string[] known)
        {
            if (body.ValueKind != JsonValueKind.Object) throw new ArgumentException("The body must be a JSON object.");
            foreach (var p in body.EnumerateObject())
                if (!known.Contains(p.Name, StringComparer.Ordinal))
                    throw new ArgumentException($"Unknown field '{p.Name}'; known: {string.Join(", ", known)}.");
            _body = body;
        }

        public string Text(string field, bool required)
        {
            if (!_body.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null)
                return required ? throw new ArgumentException($"'{field}' is required.") : "";
            return v.ValueKind == JsonValueKind.String ? v.GetString()! : throw new ArgumentException($"'{field}' must be a string.");
        }

        public double? Seconds(string field)
        {
            if (!_body.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null) return null;
            return v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var d) && double.IsFinite(d) && d >= 0 && d <= int.MaxValue
                ? d
                : throw new ArgumentException($"'{field}' must be a non-negative number of seconds.");
        }

        public bool? Bool(string field) => !_body.TryGetProperty(field, out var v) ? null : v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Null => null,
            _ => throw new ArgumentException($"'{field}' must be true or false."),
        };

        public object? Input() => _body.TryGetProperty("input", out var i) && i.ValueKind != JsonValueKind.Null ? i.Clone() : null;

        public TimeSpan? Timeout()
        {
            var timeout = Seconds("timeoutSec");
            if (timeout is 0) throw new ArgumentException("'timeoutSec' must be positive.");
            return timeout is { } t ? TimeSpan.FromSeconds(t) : null;
        }

        public RetryPolicy? Retry()
        {
            if (!_body.TryGetProperty("maxRetries", out var v) || v.ValueKind == JsonValueKind.Null) return null;
            return v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) && n >= 0 && n < RetryPolicy.MaxAttemptsLimit
                ? new RetryPolicy { MaxAttempts = n + 1 }
                : throw new ArgumentException($"'maxRetries' must be a whole number from 0 to {RetryPolicy.MaxAttemptsLimit - 1}.");
        }

        public ScheduleCatchUp? CatchUp() =>
            Choice("catchUp", ("skip", ScheduleCatchUp.Skip), ("once", ScheduleCatchUp.Once), ("all", ScheduleCatchUp.All));

        public ScheduleOverlap? Overlap() =>
            Choice("overlap", ("skip", ScheduleOverlap.Skip), ("buffer-one", ScheduleOverlap.BufferOne), ("allow", ScheduleOverlap.Allow),
                ("cancel-previous", ScheduleOverlap.CancelPrevious));

        private T? Choice<T>(string field, params (string Text, T Value)[] choices) where T : struct
        {
            var text = Text(field, required: false);
            if (text.Length == 0) return null;
            foreach (var (t, v) in choices) if (t == text) return v;
            throw new ArgumentException($"'{field}' must be one of {string.Join(", ", choices.Select(c => c.Text))}, got '{text}'.");
        }
    }
}
