using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using YamlDotNet.RepresentationModel;

namespace Praison.Actors.Dashboard;

/// <summary>
/// The live dashboard over a <see cref="BackgroundRunner"/> registered in DI (as <c>AddPraisonJobs</c> does):
/// <code>app.MapPraisonDashboard(new PraisonDashboardOptions { ApiKey = key });</code>
/// A single page (embedded HTML, JS and CSS) at <see cref="PraisonDashboardOptions.Path"/> over a JSON API at
/// <c>{Path}/api</c>; running tasks' progress arrives as server-sent events from <c>{Path}/api/events</c>. In a
/// clustered host, an <see cref="IClusterInfo"/> in DI feeds the nodes page.
/// </summary>
public static class PraisonDashboardEndpoints
{
    /// <summary>Maps the dashboard's page, assets and API.</summary>
    /// <param name="app">The application.</param>
    /// <param name="options">Path, API key and read-only mode; null: <c>/dashboard</c>, no key, actions allowed.</param>
    /// <exception cref="InvalidOperationException">No <see cref="BackgroundRunner"/> is registered.</exception>
    public static IEndpointRouteBuilder MapPraisonDashboard(this IEndpointRouteBuilder app, PraisonDashboardOptions? options = null)
    {
        options ??= new PraisonDashboardOptions();
        options.Validate();
        var runner = app.ServiceProvider.GetService<BackgroundRunner>()
            ?? throw new InvalidOperationException("MapPraisonDashboard needs a BackgroundRunner in the services (e.g. services.AddPraisonJobs(runner) or services.AddSingleton(runner)).");
        var auth = new DashboardAuth(options);
        var activity = new DashboardActivity();
        runner.System.RegisterOnTermination(activity.Dispose);
        var api = new DashboardApi(runner, options, auth, activity);

        var root = app.MapGroup(options.Path);
        // One route matches both /dashboard and /dashboard/; the page's relative links (assets/, api/) need the slash.
        root.MapGet("", (HttpContext http) => http.Request.Path.Value?.EndsWith('/') == true
            ? DashboardAssets.Page()
            : Results.Redirect(http.Request.PathBase + options.Path + "/"));
        root.MapGet("/assets/{file}", (string file) => DashboardAssets.Asset(file));
        root.MapPost("/login", (Delegate)api.LoginAsync);
        root.MapPost("/logout", api.Logout);

        var data = root.MapGroup("/api");
        data.AddEndpointFilter(api.GuardAsync);
        data.MapGet("/session", api.Session);
        data.MapGet("/overview", api.OverviewAsync);
        data.MapGet("/tasks", api.TasksAsync);
        data.MapGet("/tasks/{id}", api.TaskAsync);
        data.MapPost("/tasks/{id}/cancel", api.CancelAsync);
        data.MapPost("/tasks/{id}/retry", api.RetryAsync);
        data.MapDelete("/tasks/{id}", api.DeleteAsync);
        data.MapPost("/runs", api.RunAsync);
        data.MapGet("/recipes", api.Recipes);
        data.MapGet("/events", api.EventsAsync);

        var schedules = new DashboardScheduleApi(runner);
        data.MapGet("/schedules", schedules.ListAsync);
        data.MapPost("/schedules", schedules.CreateAsync);
        data.MapPost("/schedules/{name}/pause", schedules.PauseAsync);
        data.MapPost("/schedules/{name}/resume", schedules.ResumeAsync);
        data.MapPost("/schedules/{name}/trigger", schedules.TriggerAsync);
        data.MapGet("/schedules/{name}/history", schedules.HistoryAsync);
        data.MapDelete("/schedules/{name}", schedules.DeleteAsync);

        // A clustered host registers an IClusterInfo; without one the nodes page says "not clustered".
        var cluster = app.ServiceProvider.GetService<IClusterInfo>();
        data.MapGet("/cluster", async (CancellationToken ct) => Results.Json(
            new ClusterView(cluster is not null, cluster is null ? null : await cluster.GetSnapshotAsync(ct)), DashboardJson.Options));
        return app;
    }
}

/// <summary>The handlers behind <see cref="PraisonDashboardEndpoints"/>; every error is a JSON <see cref="DashboardError"/>.</summary>
internal sealed class DashboardApi(BackgroundRunner runner, PraisonDashboardOptions options, DashboardAuth auth, DashboardActivity activity)
{
    private static IResult Error(int status, string message) => Results.Json(new DashboardError(message), DashboardJson.Options, statusCode: status);
    private static IResult Ok<T>(T value) => Results.Json(value, DashboardJson.Options);

    /// <summary>
    /// Signed in for every API call (except the session probe); state-changing calls also need the action header and
    /// a writable dashboard. Errors the handlers did not answer become JSON, never a stack trace.
    /// </summary>
    public async ValueTask<object?> GuardAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (!auth.AllowedWithoutKey(http)) return Error(403, "This dashboard has no API key, so it answers only on loopback; set PraisonDashboardOptions.ApiKey.");
        var isSession = http.Request.Path.Value?.EndsWith("/api/session", StringComparison.Ordinal) == true;
        if (!isSession && !auth.IsSignedIn(http)) return Error(401, "Sign in with the API key first.");
        if (!HttpMethods.IsGet(http.Request.Method))
        {
            if (options.ReadOnly) return Error(403, "This dashboard is read-only.");
            if (!http.Request.Headers.ContainsKey(DashboardAuth.ActionHeader))
                return Error(400, $"Actions need the {DashboardAuth.ActionHeader} header (the dashboard's page sends it).");
        }
        try
        {
            return await next(context);
        }
        catch (TaskNotFoundException ex) { return Error(404, ex.Message); }
        catch (ScheduleNotFoundException ex) { return Error(404, ex.Message); }
        catch (ScheduleException ex) { return Error(400, ex.Message); }
        catch (TaskRejectedException ex) { return Error(409, ex.Message); }
        catch (RecipeException ex) { return Error(400, ex.Message); }
        catch (ArgumentException ex) { return Error(400, ex.Message); }
        catch (TaskStoreException ex) { return Error(503, ex.Message); }
        catch (TimeoutException ex) { return Error(503, ex.Message); }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested) { return Results.Empty; }
    }

    public async Task<IResult> LoginAsync(HttpContext http)
    {
        string? key = null;
        if (http.Request.HasFormContentType)
            key = (await http.Request.ReadFormAsync(http.RequestAborted))["key"];
        else
        {
            try
            {
                using var doc = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted);
                if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("key", out var k) && k.ValueKind == JsonValueKind.String)
                    key = k.GetString();
            }
            catch (JsonException)
            {
                return Error(400, "The body must be JSON {\"key\": \"...\"} or a form with a 'key' field.");
            }
        }
        if (!auth.KeyMatches(key)) return Error(401, "That API key is not valid.");
        auth.SignIn(http);
        return Ok(Session(http) with { SignedIn = true }); // the cookie arrives with the next request
    }

    public IResult Logout(HttpContext http)
    {
        auth.SignOut(http);
        return Results.NoContent();
    }

    public SessionView Session(HttpContext http) => new(auth.Required, auth.IsSignedIn(http), options.ReadOnly, options.PageSize);

    public async Task<IResult> OverviewAsync(CancellationToken ct)
    {
        // One indexed count per status (limit 0 reads only the total), never the rows.
        var counts = new Dictionary<string, long>();
        foreach (var status in Enum.GetValues<BackgroundTaskStatus>())
            counts[status.ToString()] = (await runner.ListPageAsync(new TaskQuery(status), 0, 0, ct)).Total;
        var running = await runner.ListPageAsync(new TaskQuery(BackgroundTaskStatus.Running), 0, 10, ct);
        var store = await runner.GetStoreHealthAsync(ct);
        return Ok(new OverviewView(counts, counts.Values.Sum(), counts[nameof(BackgroundTaskStatus.Running)],
            counts[nameof(BackgroundTaskStatus.Pending)], store.Healthy, store.LastError, runner.System.Name,
            running.Tasks.Select(TaskRow.From).ToList(), activity.Snapshot()));
    }

    public async Task<IResult> TasksAsync(string? status, string? recipe, string? session, string? page, string? size, CancellationToken ct)
    {
        BackgroundTaskStatus? filter = null;
        if (!string.IsNullOrEmpty(status)) filter = BackgroundTaskStatusExtensions.ParseStatus(status);
        if (TaskLimits.SessionIdProblem(session) is { } badSession) return Error(400, badSession);
        if (!TryInt(page, "page", 1, int.MaxValue, 1, out var p, out var badPage)) return Error(400, badPage);
        if (!TryInt(size, "size", 1, PraisonDashboardOptions.MaxPageSize, options.PageSize, out var s, out var badSize)) return Error(400, badSize);
        var query = new TaskQuery(filter, string.IsNullOrEmpty(session) ? null : session, string.IsNullOrEmpty(recipe) ? null : recipe);
        var skip = (long)(p - 1) * s;
        var result = skip > int.MaxValue ? await runner.ListPageAsync(query, 0, 0, ct) : await runner.ListPageAsync(query, (int)skip, s, ct);
        var rows = skip > int.MaxValue ? [] : result.Tasks.Select(TaskRow.From).ToList();
        return Ok(new TaskPageView(rows, result.Total, p, s, (int)Math.Max(1, (result.Total + s - 1) / s)));
    }

    private static bool TryInt(string? text, string name, int min, int max, int fallback, out int value, out string problem)
    {
        problem = "";
        value = fallback;
        if (string.IsNullOrEmpty(text)) return true;
        if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out value) && value >= min && value <= max)
            return true;
        problem = $"{name} must be a whole number from {min} to {max}, got '{(text.Length <= 32 ? text : text[..32] + "…")}'.";
        return false;
    }

    public async Task<IResult> TaskAsync(string id, CancellationToken ct)
    {
        if (TaskIds.Problem(id) is { } bad) return Error(400, bad);
        var info = await runner.GetStatusAsync(id, ct);
        return Ok(await DetailAsync(info, ct));
    }

    private async Task<TaskDetailView> DetailAsync(TaskStatusInfo info, CancellationToken ct)
    {
        JsonElement? result = null;
        if (info.Status == BackgroundTaskStatus.Completed)
        {
            // Terminal: the wait answers at once with the stored result.
            var value = await runner.GetHandle(info.TaskId).WaitAsync(TimeSpan.FromSeconds(30), ct);
            result = JsonSerializer.SerializeToElement(value, DashboardJson.Options);
        }
        var webhook = await runner.GetWebhookDeliveryAsync(info.TaskId, ct);
        var timeline = new List<TimelineEntry> { new(info.SubmittedAt, "Submitted") };
        if (info.StartedAt is { } started) timeline.Add(new(started, info.Attempt > 1 ? $"Started (attempt {info.Attempt})" : "Started"));
        if (info.Progress is { } progress && !info.IsTerminal)
            timeline.Add(new(progress.At, $"Progress {progress.Fraction:P0}{(progress.Message is null ? "" : ": " + progress.Message)}"));
        if (info.NextAttemptAt is { } next)
            timeline.Add(new(next, $"Attempt {info.Attempt + 1} of {info.MaxAttempts} due"));
        if (info.FinishedAt is { } finished)
            timeline.Add(new(finished, info.Error is { } e ? $"{info.Status} ({e.Kind}): {e.Message}" : info.Status.ToString()));
        foreach (var a in webhook?.Attempts ?? [])
            timeline.Add(new(a.At, $"Webhook attempt {a.Attempt}: {(a.StatusCode is { } code ? "HTTP " + code : a.Error ?? "no answer")}"));
        if (webhook?.NextAttemptAt is { } nextWebhook)
            timeline.Add(new(nextWebhook, "Webhook attempt due"));
        var ordered = timeline.OrderBy(e => e.At).ToList(); // OrderBy is stable: equal times keep the order above
        var input = await runner.GetInputAsync(info.TaskId, ct);
        return new TaskDetailView(TaskRow.From(info), result, info.Error?.ErrorType, info.Error?.StackTrace, ordered, info.Progress?.At,
            input is not null, Parse(input?.InputJson), Parse(input?.ConfigJson))
        {
            MaxAttempts = info.MaxAttempts,
            NextAttemptAt = info.NextAttemptAt,
            AttemptErrors = info.AttemptErrors.Select((e, i) => new AttemptErrorView(i + 1, e.Kind.ToString(), e.Message, e.ErrorType)).ToList(),
            Webhook = webhook is null ? null : WebhookDeliveryView.From(webhook),
        };
    }

    private static JsonElement? Parse(string? json)
    {
        if (json is null) return null;
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.Clone();
    }

    public async Task<IResult> CancelAsync(string id, CancellationToken ct)
    {
        if (TaskIds.Problem(id) is { } bad) return Error(400, bad);
        var info = await runner.GetStatusAsync(id, ct);
        if (info.IsTerminal) return Error(409, $"Task {id} has already finished ({info.Status}).");
        if (!await runner.CancelAsync(id, ct)) return Error(409, $"Task {id} finished before it could be cancelled.");
        return Ok(TaskRow.From(await runner.GetStatusAsync(id, ct)));
    }

    /// <summary>A failed or cancelled recipe task runs again as a new task (409 for any other).</summary>
    public async Task<IResult> RetryAsync(string id, CancellationToken ct)
    {
        if (TaskIds.Problem(id) is { } bad) return Error(400, bad);
        BackgroundTaskHandle handle;
        try { handle = await runner.RetryAsync(id, ct); }
        catch (InvalidOperationException ex) { return Error(409, ex.Message); }
        return Results.Json(TaskRow.From(await handle.StatusAsync(ct)), DashboardJson.Options, statusCode: 201);
    }

    public async Task<IResult> DeleteAsync(string id, CancellationToken ct)
    {
        if (TaskIds.Problem(id) is { } bad) return Error(400, bad);
        await runner.RemoveAsync(id, cancelIfActive: false, ct);
        return Results.NoContent();
    }

    public async Task<IResult> RunAsync(HttpContext http, CancellationToken ct)
    {
        string recipe;
        RecipeRunOptions run;
        try
        {
            using var doc = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: ct);
            var body = doc.RootElement;
            if (body.ValueKind != JsonValueKind.Object) return Error(400, "The body must be a JSON object {\"recipe\": \"...\", \"input\": ..., \"sessionId\": \"...\"}.");
            if (!body.TryGetProperty("recipe", out var r) || r.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(r.GetString()))
                return Error(400, "\"recipe\" must name a recipe.");
            recipe = r.GetString()!;
            string? session = null;
            if (body.TryGetProperty("sessionId", out var sid) && sid.ValueKind == JsonValueKind.String && sid.GetString() is { Length: > 0 } sv) session = sv;
            run = new RecipeRunOptions
            {
                Input = body.TryGetProperty("input", out var input) && input.ValueKind != JsonValueKind.Null ? input.Clone() : null,
                SessionId = session,
            };
        }
        catch (JsonException ex)
        {
            return Error(400, $"The body is not valid JSON: {ex.Message}");
        }
        var handle = await runner.RunBackgroundAsync(recipe, run, ct);
        return Results.Json(TaskRow.From(await handle.StatusAsync(ct)), DashboardJson.Options, statusCode: 201);
    }

    public IResult Recipes() => Ok(runner.Recipes.List().Select(RecipeOf).ToList());

    private static RecipeView RecipeOf(RecipeTemplate t)
    {
        string? yaml = null;
        if (t.SourcePath is { } path && File.Exists(path))
        {
            try { yaml = File.ReadAllText(path); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        if (yaml is null && t.Document is { } document)
        {
            var writer = new StringWriter();
            new YamlStream(new YamlDocument(document)).Save(writer, assignAnchors: false);
            yaml = writer.ToString();
        }
        var steps = new List<string>();
        if (t.Document is { } doc && doc.Children.TryGetValue(new YamlScalarNode("steps"), out var node) && node is YamlSequenceNode seq)
            foreach (var step in seq)
                steps.Add(step switch
                {
                    YamlScalarNode s => s.Value ?? "",
                    YamlMappingNode m when m.Children.TryGetValue(new YamlScalarNode("name"), out var n) && n is YamlScalarNode ns => ns.Value ?? "",
                    _ => step.ToString(),
                });
        return new RecipeView(t.Name, t.Description, t.Version, t.TimeoutSec, t.Background.Enabled, t.Background.MaxConcurrent,
            t.Background.CleanupDelaySec, t.Background.RerunOnRestart, t.SourcePath, yaml, steps);
    }

    /// <summary>
    /// Server-sent events for the tasks the page shows (<c>?ids=a,b</c>): one <c>task</c> event per update of each, from
    /// the runner's watch (no polling), and <c>: keep-alive</c> comments every 15 s. Ends when every task is final.
    /// </summary>
    public async Task EventsAsync(HttpContext http, string? ids)
    {
        var ct = http.RequestAborted;
        var list = (ids ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToList();
        if (list.Count > PraisonDashboardOptions.MaxWatchedTasks)
        {
            await Error(400, $"At most {PraisonDashboardOptions.MaxWatchedTasks} tasks can be followed at once, got {list.Count}.").ExecuteAsync(http);
            return;
        }
        if (list.FirstOrDefault(id => TaskIds.Problem(id) is not null) is { } badId)
        {
            await Error(400, TaskIds.Problem(badId)!).ExecuteAsync(http);
            return;
        }
        http.Response.StatusCode = 200;
        http.Response.Headers.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        await http.Response.WriteAsync(": open\n\n", ct);
        await http.Response.Body.FlushAsync(ct);

        using var writing = new SemaphoreSlim(1, 1);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        async Task WriteAsync(string text)
        {
            await writing.WaitAsync(stop.Token);
            try
            {
                await http.Response.WriteAsync(text, Encoding.UTF8, stop.Token);
                await http.Response.Body.FlushAsync(stop.Token);
            }
            finally { writing.Release(); }
        }
        async Task WatchOneAsync(string id)
        {
            try
            {
                await foreach (var update in runner.GetHandle(id).WatchAsync(stop.Token))
                    await WriteAsync($"event: task\ndata: {JsonSerializer.Serialize(TaskRow.From(update.Task), DashboardJson.Options)}\n\n");
            }
            catch (TaskNotFoundException)
            {
                await WriteAsync($"event: gone\ndata: {JsonSerializer.Serialize(new { taskId = id }, DashboardJson.Options)}\n\n");
            }
        }
        async Task HeartbeatAsync()
        {
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(15));
            while (await timer.WaitForNextTickAsync(stop.Token)) await WriteAsync(": keep-alive\n\n");
        }
        var heartbeat = HeartbeatAsync();
        try
        {
            await Task.WhenAll(list.Select(WatchOneAsync));
            await WriteAsync("event: done\ndata: {}\n\n");
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // The page went away (a new page of tasks opens a new stream).
        }
        finally
        {
            await stop.CancelAsync();
            try { await heartbeat; }
            catch (Exception ex) when (ex is OperationCanceledException or IOException) { }
        }
    }
}
