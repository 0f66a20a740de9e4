using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Praison.Actors.Server;

/// <summary>
/// <c>POST /api/v1/runs/{id}/retry</c>: runs a failed (timed-out) or cancelled recipe run again as a new run with the
/// same recipe, input, config, session, timeout and retry policy (<see cref="BackgroundRunner.RetryAsync"/>). Answers
/// 202 with the new run and its Location, as a submission does; 404 for an unknown id; 409 for a run that is not failed
/// or cancelled, or a delegate task. Kept apart from the other endpoints on purpose (one small map call).
/// </summary>
internal static class RetryEndpoint
{
    public static RouteHandlerBuilder MapRetry(this RouteGroupBuilder oneRun) => oneRun.MapPost("/retry", RetryAsync);

    private static async Task<IResult> RetryAsync(string id, HttpRequest request, BackgroundRunner runner, CancellationToken ct)
    {
        BackgroundTaskHandle handle;
        try
        {
            handle = await runner.RetryAsync(id, ct);
        }
        catch (TaskNotFoundException ex)
        {
            return ApiErrors.Result(StatusCodes.Status404NotFound, ex.Message);
        }
        catch (InvalidOperationException ex)
        {
            return ApiErrors.Result(StatusCodes.Status409Conflict, ex.Message);
        }
        catch (TaskRejectedException ex)
        {
            request.HttpContext.Response.Headers.RetryAfter = "5";
            return ApiErrors.Result(StatusCodes.Status503ServiceUnavailable, ex.Message);
        }
        request.HttpContext.Response.Headers.Location = $"{PraisonJobsEndpoints.RunsPath}/{handle.TaskId}";
        return Results.Json(RunView.From(await handle.StatusAsync(ct)), PraisonJson.Options, statusCode: StatusCodes.Status202Accepted);
    }
}
