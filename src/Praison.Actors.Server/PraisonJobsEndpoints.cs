using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Praison.Actors.Server;

/// <summary>
/// The jobs API of praisonai's async-jobs server over a <see cref="BackgroundRunner"/>, wire-compatible with its
/// clients (<c>submit_job</c>, <c>JobHandle</c>, <c>praisonai run</c>):
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
        services.AddSingleton(new JobsSecurity(options));
        return services;
    }

    /// <summary>
    /// Maps <c>/api/v1/runs</c>, <c>/health</c> and <c>/stats</c>. Every error is JSON with <c>detail</c>; the Host
    /// check and CORS apply to every route, the API key to every route but <c>/health</c>.
    /// </summary>
    public static IEndpointRouteBuilder MapPraisonJobs(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("");
        api.AddEndpointFilter(ApiErrors.CatchAsync);
        api.AddEndpointFilter(ApiGuards.CorsAndHostAsync);
        api.MapGet("/health", HealthAsync);
        api.MapMethods(RunsPath, ["OPTIONS"], ApiGuards.Preflight);
        api.MapMethods(RunsPath + "/{**rest}", ["OPTIONS"], ApiGuards.Preflight);

        var secured = api.MapGroup("");
        secured.AddEndpointFilter(ApiGuards.RequireKeyAsync);
        secured.MapGet("/stats", StatsAsync);
        var runs = secured.MapGroup(RunsPath);
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
        secured.MapPraisonSchedules(); // behind the API key, Host check and CORS like the runs
        return app;
    }

    internal static IResult Error(int status, string message) => ApiErrors.Result(status, message);

    internal static IResult NotFound(string id) => Error(404, $"Job not found: {id}");

    internal static IResult Json<T>(T value, int status = 200) => Results.Json(value, JobsJson.Options, statusCode: status);

    /// <summary>
    /// 200 <c>healthy</c> while the store takes writes; 503 <c>unhealthy</c> with the last write error from the first
    /// failed write until writes succeed again. Public (no key), as in praisonai.
    /// </summary>
    private static async Task<IResult> HealthAsync(BackgroundRunner runner, CancellationToken ct)
    {
        var store = await runner.GetStoreHealthAsync(ct);
        var body = new
        {
            status = store.Healthy ? "healthy" : "unhealthy",
            system = runner.System.Name,
            store = new { healthy = store.Healthy, last_error = store.LastError, since = store.Since },
            executor_stats = Executor(runner),
        };
        return store.Healthy ? Json(body) : Json(body, StatusCodes.Status503ServiceUnavailable);
    }

    private static object Executor(BackgroundRunner runner) => new
    {
        max_concurrent = runner.Options.MaxConcurrentTasks,
        max_queued = runner.Options.MaxQueued,
        execute_tasks = runner.Options.ExecuteTasks,
    };

    /// <summary>Counts by status (in the API's vocabulary) and the executor's limits.</summary>
    private static async Task<IResult> StatsAsync(BackgroundRunner runner, CancellationToken ct)
    {
        var counts = new Dictionary<string, long>();
        long total = 0;
        foreach (var status in Enum.GetValues<BackgroundTaskStatus>())
        {
            var page = await runner.ListPageAsync(new TaskQuery(status), 0, 0, ct);
            counts[JobStatusNames.Of(status)] = page.Total;
            total += page.Total;
        }
        return Json(new { total_jobs = total, by_status = counts, executor_stats = Executor(runner) });
    }

    private static async Task<IResult> SubmitAsync(HttpRequest request, BackgroundRunner runner, PraisonJobsOptions options, CancellationToken ct)
    {
        var read = await JsonRequestBody.ReadAsync(request, options.MaxRequestBodyBytes, ct);
        if (read.Problem is { } problem) return problem;
        JobSubmitRequest body;
        List<ValidationProblem> problems;
        using (var doc = read.Document!)
            body = JobSubmitRequest.Parse(doc.RootElement, request.Headers["Idempotency-Key"].ToString(), out problems, options.DefaultRecipe);
        if (problems.Count > 0) return Invalid(problems);
        var input = body.RecipeInput();
        if (body.RunsAgentsFile)
        {
            if (!runner.Recipes.TryGet(AgentsYamlRecipe.Name, out _))
                return Invalid([new(["body", body.AgentFile is not null ? "agent_file" : "agent_yaml"],
                    $"This server does not run agents files: its runner has no '{AgentsYamlRecipe.Name}' recipe (register it with RecipeRegistry.AddAgentRecipes).",
                    "agents_not_configured")]);
            if (body.AgentsInput(options.AgentsRoot, out var agentsProblem) is not { } withAgents) return Invalid([agentsProblem!]);
            input = withAgents;
        }
        if (options.CheckRecipe is { } check && runner.Recipes.TryGet(body.RecipeName!, out var recipe))
        {
            try
            {
                check(recipe);
            }
            catch (PraisonActorsException ex)
            {
                return Invalid([new(["body", "recipe_name"], ex.Message, "recipe_not_runnable")]);
            }
        }

        var keyedId = body.IdempotentJobId(runner.Recipes.TryGet(body.RecipeName!, out var named) ? named.Template.Job.IdempotencyScope : null);
        BackgroundTaskHandle handle;
        try
        {
            // An unkeyed id is random (48 bits, praisonai's form): on the rare clash with an existing task the
            // runtime hands back that task (Created false), so draw again.
            var attempts = 0;
            do
            {
                handle = await runner.RunBackgroundAsync(body.RecipeName!, new RecipeRunOptions
                {
                    TaskId = keyedId ?? JobSubmitRequest.NewJobId(),
                    Input = input,
                    Config = body.RecipeConfiguration(),
                    SessionId = body.SessionId,
                    TimeoutSec = body.TimeoutSec,
                    WebhookUrl = body.WebhookUrl,
                }, ct);
            }
            while (keyedId is null && !handle.Created && ++attempts < 5);
        }
        catch (RecipeException ex)
        {
            return Invalid([new(["body", "recipe_name"], ex.Message, "value_error")]);
        }
        catch (ArgumentException ex) when (ex.ParamName == WebhookView.RefusedParamName)
        {
            // A webhook URL refused (not http(s), or the SSRF guard): a validation error of that field.
            return Invalid([new(["body", "webhook_url"], ex.Message, "value_error")]);
        }
        catch (ArgumentException ex)
        {
            return Invalid([new(["body"], ex.Message, "value_error")]);
        }
        catch (TaskRejectedException ex)
        {
            // The runtime refused the run (a full queue): nothing was stored; try again later. (A keyed id already
            // stored is not a refusal: the store's claim hands back that job, Created false.)
            request.HttpContext.Response.Headers.RetryAfter = "5";
            return Error(503, ex.Message);
        }
        return Submitted(request, await handle.StatusAsync(ct), handle.Created);
    }

    private static IResult Submitted(HttpRequest request, TaskStatusInfo info, bool created)
    {
        // praisonai's answer: absolute URLs, Location, Retry-After: 2. A repeat of a keyed submission answers 200 with
        // the first job (the work runs once).
        var jobUrl = BaseUrl(request) + RunsPath + "/" + info.TaskId;
        request.HttpContext.Response.Headers.Location = jobUrl;
        request.HttpContext.Response.Headers.RetryAfter = "2";
        var view = new JobSubmittedView(info.TaskId, JobStatusNames.Of(info.Status), info.SubmittedAt, jobUrl, jobUrl + "/stream");
        return Json(view, created ? StatusCodes.Status202Accepted : StatusCodes.Status200OK);
    }

    /// <summary>422 in FastAPI's shape (<c>detail</c> is the list of problems), with the messages in <c>error</c> too.</summary>
    private static IResult Invalid(IReadOnlyList<ValidationProblem> problems) =>
        Results.Json(new { detail = problems, error = string.Join(" ", problems.Select(p => p.Msg)) }, JobsJson.Options,
            statusCode: StatusCodes.Status422UnprocessableEntity);

    internal static string BaseUrl(HttpRequest request) => $"{request.Scheme}://{request.Host.ToUriComponent()}{request.PathBase.ToUriComponent()}";

    // The query values arrive as text so that a bad one gets a message naming it, not an empty 400 from binding.
    private static async Task<IResult> ListAsync(BackgroundRunner runner, string? status, string? session_id, string? page, string? page_size,
        string? schedule, CancellationToken ct)
    {
        BackgroundTaskStatus? filter = null;
        if (!string.IsNullOrEmpty(status))
        {
            filter = JobStatusNames.ToTaskStatus(status);
            if (filter is null)
                return Error(400, $"Invalid status: {Clip(status)}. Valid values: queued, running, succeeded, failed, cancelled (or pending, completed).");
        }
        if (TaskLimits.SessionIdProblem(session_id) is { } badSession) return Error(400, badSession);
        if (!string.IsNullOrEmpty(schedule) && TaskLimits.ScheduleNameProblem(schedule) is { } badSchedule) return Error(400, badSchedule);
        if (!TryParsePaging(page, "page", 1, int.MaxValue, 1, out var p, out var badPage)) return Error(400, badPage);
        if (!TryParsePaging(page_size, "page_size", 1, MaxPageSize, DefaultPageSize, out var size, out var badSize)) return Error(400, badSize);

        var query = new TaskQuery(filter, string.IsNullOrEmpty(session_id) ? null : session_id)
        {
            ScheduleName = string.IsNullOrEmpty(schedule) ? null : schedule,
        };
        // In long: (page - 1) * page_size overflows int for a page near int.MaxValue; a page past int.MaxValue is past
        // every task, so only the total is read.
        var skip = (long)(p - 1) * size;
        var result = skip > int.MaxValue
            ? await runner.ListPageAsync(query, 0, 0, ct)
            : await runner.ListPageAsync(query, (int)skip, size, ct);
        var jobs = skip > int.MaxValue ? [] : result.Tasks.Select(JobView.From).ToList();
        return Json(new JobListView(jobs, result.Total, p, size));
    }

    private static bool TryParsePaging(string? text, string name, int min, int max, int fallback, out int value, out string problem)
    {
        problem = "";
        value = fallback;
        if (string.IsNullOrEmpty(text)) return true;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= min && value <= max)
            return true;
        problem = $"{name} must be a whole number from {min} to {max}, got '{Clip(text)}'.";
        return false;
    }

    private static string Clip(string s) => s.Length <= 32 ? s : s[..32] + "…";

    private static async Task<IResult> GetAsync(string id, BackgroundRunner runner, CancellationToken ct)
    {
        try
        {
            return Json(JobView.From(await runner.GetStatusAsync(id, ct)) with { Webhook = await WebhookAsync(runner, id, ct) });
        }
        catch (TaskNotFoundException)
        {
            return NotFound(id);
        }
    }

    /// <summary>The job's webhook delivery (its attempts), when it has a webhook.</summary>
    private static async Task<WebhookView?> WebhookAsync(BackgroundRunner runner, string id, CancellationToken ct) =>
        await runner.GetWebhookDeliveryAsync(id, ct) is { } d ? WebhookView.From(d) : null;

    private static async Task<IResult> ResultAsync(string id, BackgroundRunner runner, CancellationToken ct)
    {
        try
        {
            var info = await runner.GetStatusAsync(id, ct);
            if (!info.IsTerminal)
                return Error(409, $"Job is not complete. Current status: {JobStatusNames.Of(info.Status)}");
            var result = await ResultJsonAsync(runner, info, ct);
            var view = JobView.From(info);
            var metrics = new Dictionary<string, object?> { ["attempt"] = info.Attempt };
            if (result is { } r) metrics["result_bytes"] = Encoding.UTF8.GetByteCount(r.GetRawText());
            return Json(new JobResultView
            {
                JobId = info.TaskId,
                Status = view.Status,
                Result = result,
                Metrics = metrics,
                CreatedAt = info.SubmittedAt,
                StartedAt = info.StartedAt,
                CompletedAt = info.FinishedAt,
                DurationSeconds = info is { StartedAt: { } s, FinishedAt: { } f } ? Math.Round((f - s).TotalSeconds, 3) : null,
                Error = view.Error,
                ErrorDetail = view.ErrorDetail,
                Webhook = await WebhookAsync(runner, id, ct),
            });
        }
        catch (TaskNotFoundException)
        {
            return NotFound(id);
        }
    }

    /// <summary>The CLI's view of a terminal task, with its result when it completed.</summary>
    public static async Task<RunView> WithResultAsync(BackgroundRunner runner, TaskStatusInfo info, CancellationToken ct) =>
        RunView.From(info) with { Result = await ResultJsonAsync(runner, info, ct) };

    /// <summary>The result of a terminal task as JSON when it succeeded; null otherwise.</summary>
    private static async Task<JsonElement?> ResultJsonAsync(BackgroundRunner runner, TaskStatusInfo info, CancellationToken ct)
    {
        if (info.Status != BackgroundTaskStatus.Completed) return null;
        // The task is terminal, so the wait answers at once; the value round-trips through JSON unchanged.
        var value = await runner.GetHandle(info.TaskId).WaitAsync(TimeSpan.FromSeconds(30), ct);
        return JsonSerializer.SerializeToElement(value, PraisonJson.Options);
    }

    private static async Task<IResult> CancelAsync(string id, BackgroundRunner runner, CancellationToken ct)
    {
        try
        {
            var info = await runner.GetStatusAsync(id, ct);
            if (info.IsTerminal)
                return Error(409, $"Job is already complete. Status: {JobStatusNames.Of(info.Status)}");
            if (!await runner.CancelAsync(id, ct))
            {
                info = await runner.GetStatusAsync(id, ct);
                return Error(409, $"Job is already complete. Status: {JobStatusNames.Of(info.Status)}");
            }
            return Json(JobView.From(await runner.GetStatusAsync(id, ct)));
        }
        catch (TaskNotFoundException)
        {
            return NotFound(id);
        }
    }

    private static async Task<IResult> DeleteAsync(string id, BackgroundRunner runner, CancellationToken ct)
    {
        try
        {
            var info = await runner.GetStatusAsync(id, ct);
            if (!info.IsTerminal) return Error(409, $"Cannot delete a {JobStatusNames.Of(info.Status)} job. Cancel it first.");
            await runner.RemoveAsync(id, cancelIfActive: false, ct);
            return Results.NoContent();
        }
        catch (TaskNotFoundException)
        {
            return NotFound(id);
        }
        catch (TaskRejectedException ex)
        {
            return Error(409, ex.Message);
        }
    }

    private static Task StreamAsync(string id, HttpContext http, BackgroundRunner runner, PraisonJobsOptions options) =>
        JobEventStream.RunAsync(id, http, runner, options);
}
