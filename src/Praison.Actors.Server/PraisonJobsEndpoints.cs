using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Praison.Actors.Server;

/// <summary>
/// The jobs API of praisonai's async-jobs server over a <see cref="BackgroundRunner"/>:
/// <code>
/// builder.Services.AddPraisonJobs(runtime.Runner);
/// app.MapPraisonJobs();
/// </code>
/// </summary>
public static class PraisonJobsEndpoints
{
    /// <summary>The path the runs endpoints are mapped under.</summary>
    public const string RunsPath = "/api/v1/runs";
    /// <summary>Page size of <c>GET runs</c> when <c>page_size</c> is not given.</summary>
    public const int DefaultPageSize = 20;
    /// <summary>The largest <c>page_size</c> accepted; larger is a 400.</summary>
    public const int MaxPageSize = 100;

    /// <summary>Registers the runner the endpoints use, and the API's settings (defaults when null).</summary>
    public static IServiceCollection AddPraisonJobs(this IServiceCollection services, BackgroundRunner runner, PraisonJobsOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(runner);
        options ??= new PraisonJobsOptions();
        options.Validate();
        services.AddSingleton(runner);
        services.AddSingleton(options);
        return services;
    }

    /// <summary>
    /// Maps <c>/api/v1/runs</c> and <c>/health</c>. Every error is a JSON <see cref="ApiError"/>: ids are checked
    /// once for all the <c>{id}</c> routes, and one filter over every endpoint answers what an endpoint did not.
    /// </summary>
    public static IEndpointRouteBuilder MapPraisonJobs(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("");
        api.AddEndpointFilter(ApiErrors.CatchAsync);
        api.MapGet("/health", HealthAsync);

        var runs = api.MapGroup(RunsPath);
        runs.MapPost("", SubmitAsync);
        runs.MapGet("", ListAsync);
        var one = runs.MapGroup("/{id}");
        one.AddEndpointFilter(ApiErrors.CheckTaskIdAsync);
        one.MapGet("", GetAsync);
        one.MapGet("/result", ResultAsync);
        one.MapPost("/cancel", CancelAsync);
        one.MapDelete("", DeleteAsync);
        one.MapGet("/stream", StreamAsync);
        one.MapRetry(); // POST {id}/retry: RetryEndpoint.cs
        return app;
    }

    private static IResult Error(int status, string message) => ApiErrors.Result(status, message);

    /// <summary>
    /// 200 <c>healthy</c> while the store takes writes; 503 <c>unhealthy</c> with the last write error from the first
    /// failed write until writes succeed again (tasks stay visible meanwhile, their writes retried).
    /// </summary>
    private static async Task<IResult> HealthAsync(BackgroundRunner runner, CancellationToken ct)
    {
        var store = await runner.GetStoreHealthAsync(ct);
        var body = new
        {
            status = store.Healthy ? "healthy" : "unhealthy",
            system = runner.System.Name,
            store = new { healthy = store.Healthy, last_error = store.LastError, since = store.Since },
        };
        return store.Healthy ? Results.Ok(body) : Results.Json(body, statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    private static async Task<IResult> SubmitAsync(HttpRequest request, BackgroundRunner runner, PraisonJobsOptions options, CancellationToken ct)
    {
        var read = await JsonRequestBody.ReadAsync(request, options.MaxRequestBodyBytes, ct);
        if (read.Problem is { } problem) return problem;
        SubmitRunRequest body;
        using (var doc = read.Document!)
        {
            try
            {
                body = SubmitRunRequest.Parse(doc.RootElement);
            }
            catch (ArgumentException ex)
            {
                return Error(400, ex.Message);
            }
        }

        BackgroundTaskHandle handle;
        try
        {
            handle = await runner.RunBackgroundAsync(body.Recipe, new RecipeRunOptions
            {
                Input = body.Input,
                Config = body.Config,
                SessionId = body.SessionId,
                TimeoutSec = body.TimeoutSec,
            }, ct);
        }
        catch (RecipeException ex)
        {
            return Error(400, ex.Message);
        }
        catch (ArgumentException ex)
        {
            return Error(400, ex.Message);
        }
        catch (TaskRejectedException ex)
        {
            request.HttpContext.Response.Headers.RetryAfter = "5";
            return Error(503, ex.Message);
        }

        // 202 with Location, as praisonai's server answers; the body is the stored (pending) run.
        var location = $"{RunsPath}/{handle.TaskId}";
        request.HttpContext.Response.Headers.Location = location;
        request.HttpContext.Response.Headers.RetryAfter = "1";
        return Results.Json(RunView.From(await handle.StatusAsync(ct)), PraisonJson.Options, statusCode: 202);
    }

    // The query values arrive as text so that a bad one gets a message naming it, not an empty 400 from binding.
    private static async Task<IResult> ListAsync(BackgroundRunner runner, string? status, string? session_id, string? page, string? page_size,
        CancellationToken ct)
    {
        BackgroundTaskStatus? filter = null;
        if (!string.IsNullOrEmpty(status))
        {
            try { filter = BackgroundTaskStatusExtensions.ParseStatus(status); }
            catch (ArgumentException ex) { return Error(400, ex.Message); }
        }
        if (TaskLimits.SessionIdProblem(session_id) is { } badSession) return Error(400, badSession);
        if (!TryParsePaging(page, "page", 1, int.MaxValue, 1, out var p, out var badPage)) return Error(400, badPage);
        if (!TryParsePaging(page_size, "page_size", 1, MaxPageSize, DefaultPageSize, out var size, out var badSize)) return Error(400, badSize);

        var query = new TaskQuery(filter, string.IsNullOrEmpty(session_id) ? null : session_id);
        // In long: (page - 1) * page_size overflows int for a page near int.MaxValue; a page past int.MaxValue is past
        // every task, so only the total is read.
        var skip = (long)(p - 1) * size;
        var result = skip > int.MaxValue
            ? await runner.ListPageAsync(query, 0, 0, ct)
            : await runner.ListPageAsync(query, (int)skip, size, ct);
        var jobs = skip > int.MaxValue ? [] : result.Tasks.Select(RunView.From).ToList();
        return Results.Ok(new RunListView(jobs, (int)Math.Min(result.Total, int.MaxValue), p, size));
    }

    private static bool TryParsePaging(string? text, string name, int min, int max, int fallback, out int value, out string problem)
    {
        problem = "";
        value = fallback;
        if (string.IsNullOrEmpty(text)) return true;
        if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out value)
            && value >= min && value <= max)
            return true;
        var shown = text.Length <= 32 ? text : text[..32] + "…";
        problem = $"{name} must be a whole number from {min} to {max}, got '{shown}'.";
        return false;
    }

    private static async Task<IResult> GetAsync(string id, BackgroundRunner runner, CancellationToken ct)
    {
        try
        {
            return Results.Ok(RunView.From(await runner.GetStatusAsync(id, ct)));
        }
        catch (TaskNotFoundException ex)
        {
            return Error(404, ex.Message);
        }
    }

    private static async Task<IResult> ResultAsync(string id, BackgroundRunner runner, CancellationToken ct)
    {
        try
        {
            var info = await runner.GetStatusAsync(id, ct);
            if (!info.IsTerminal)
                return Error(409, $"Task {id} is not finished yet; its status is {info.Status.ToWireName()}.");
            return Results.Ok(await WithResultAsync(runner, info, ct));
        }
        catch (TaskNotFoundException ex)
        {
            return Error(404, ex.Message);
        }
    }

    /// <summary>The view of a terminal task, with its result when it completed.</summary>
    public static async Task<RunView> WithResultAsync(BackgroundRunner runner, TaskStatusInfo info, CancellationToken ct)
    {
        var view = RunView.From(info);
        if (info.Status != BackgroundTaskStatus.Completed) return view;
        // The task is terminal, so the wait answers at once; the value round-trips through JSON unchanged.
        var value = await runner.GetHandle(info.TaskId).WaitAsync(TimeSpan.FromSeconds(30), ct);
        return view with { Result = JsonSerializer.SerializeToElement(value, PraisonJson.Options) };
    }

    private static async Task<IResult> CancelAsync(string id, BackgroundRunner runner, CancellationToken ct)
    {
        try
        {
            var info = await runner.GetStatusAsync(id, ct);
            if (info.IsTerminal)
                return Error(409, $"Task {id} has already finished; its status is {info.Status.ToWireName()}.");
            if (!await runner.CancelAsync(id, ct))
            {
                info = await runner.GetStatusAsync(id, ct);
                return Error(409, $"Task {id} finished before it could be cancelled; its status is {info.Status.ToWireName()}.");
            }
            return Results.Ok(RunView.From(await runner.GetStatusAsync(id, ct)));
        }
        catch (TaskNotFoundException ex)
        {
            return Error(404, ex.Message);
        }
    }

    private static async Task<IResult> DeleteAsync(string id, BackgroundRunner runner, CancellationToken ct)
    {
        try
        {
            await runner.RemoveAsync(id, cancelIfActive: false, ct);
            return Results.NoContent();
        }
        catch (TaskNotFoundException ex)
        {
            return Error(404, ex.Message);
        }
        catch (TaskRejectedException ex)
        {
            return Error(409, ex.Message);
        }
    }

    /// <summary>
    /// Server-sent events: <c>status</c> when the status changes, <c>progress</c> when progress changes, then one
    /// of <c>result</c>, <c>error</c> or <c>cancelled</c>. Each event's data is the run view. Every subscriber has its
    /// own watch on the task, so each gets every update. A comment line every <see cref="PraisonJobsOptions.StreamHeartbeat"/>
    /// keeps a quiet stream open through proxies.
    /// </summary>
    private static async Task StreamAsync(string id, HttpContext http, BackgroundRunner runner, PraisonJobsOptions options)
    {
        var ct = http.RequestAborted;
        var handle = runner.GetHandle(id);
        try
        {
            await handle.StatusAsync(ct);
        }
        catch (TaskNotFoundException ex)
        {
            await Error(404, ex.Message).ExecuteAsync(http);
            return;
        }

        http.Response.StatusCode = 200;
        http.Response.Headers.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        await http.Response.Body.FlushAsync(ct);

        string? lastStatus = null;
        TaskProgress? lastProgress = null;
        // Events and heartbeats share the response: one writer at a time.
        using var writing = new SemaphoreSlim(1, 1);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var heartbeat = HeartbeatAsync(http, writing, options.StreamHeartbeat, stop.Token);
        try
        {
            await foreach (var update in handle.WatchAsync(ct))
            {
                var view = RunView.From(update.Task);
                if (view.Status != lastStatus)
                {
                    lastStatus = view.Status;
                    await WriteLockedAsync(writing, http, update.Sequence, "status", view, ct);
                }
                if (update.Progress is { } p && p != lastProgress)
                {
                    lastProgress = p;
                    await WriteLockedAsync(writing, http, update.Sequence, "progress", view, ct);
                }
                if (update.IsFinal)
                {
                    var kind = update.Status switch
                    {
                        BackgroundTaskStatus.Completed => "result",
                        BackgroundTaskStatus.Cancelled => "cancelled",
                        _ => "error",
                    };
                    await WriteLockedAsync(writing, http, update.Sequence, kind, await WithResultAsync(runner, update.Task, ct), ct);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The client went away.
        }
        catch (TaskNotFoundException ex)
        {
            await WriteLockedAsync(writing, http, 0, "error", new ApiError(ex.Message), CancellationToken.None);
        }
        finally
        {
            await stop.CancelAsync();
            await heartbeat;
        }
    }

    /// <summary>Writes <c>: keep-alive</c> every <paramref name="every"/> until <paramref name="ct"/> ends the stream.</summary>
    private static async Task HeartbeatAsync(HttpContext http, SemaphoreSlim writing, TimeSpan every, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(every);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                await writing.WaitAsync(ct);
                try
                {
                    await http.Response.WriteAsync(": keep-alive\n\n", Encoding.UTF8, ct);
                    await http.Response.Body.FlushAsync(ct);
                }
                finally
                {
                    writing.Release();
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The stream ended, or the client went away.
        }
        catch (IOException)
        {
            // The client went away mid-write; the event loop sees it too.
        }
    }

    private static async Task WriteLockedAsync<T>(SemaphoreSlim writing, HttpContext http, long id, string name, T data, CancellationToken ct)
    {
        await writing.WaitAsync(ct);
        try
        {
            await WriteEventAsync(http, id, name, data, ct);
        }
        finally
        {
            writing.Release();
        }
    }

    private static async Task WriteEventAsync<T>(HttpContext http, long id, string name, T data, CancellationToken ct)
    {
        var json = JsonSerializer.Serialize(data, PraisonJson.Options);
        await http.Response.WriteAsync($"id: {id}\nevent: {name}\ndata: {json}\n\n", Encoding.UTF8, ct);
        await http.Response.Body.FlushAsync(ct);
    }
}
