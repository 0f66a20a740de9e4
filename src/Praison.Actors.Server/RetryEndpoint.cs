using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Praison.Actors.Server;

/// <summary>
/// <c>POST /api/v1/runs/{id}/retry</c>: runs a failed (timed-out) or cancelled recipe run again as a new run with the
/// same recipe, input, config, session, timeout and retry policy (<see cref="BackgroundRunner.RetryAsync"/>). Answers
/// 202 with the new job's status object (<see cref="JobView"/>) and its absolute Location, as a submission does; the
/// jobs API's 404 (<c>Job not found: {id}</c>) for an unknown id; 409 for a run that is not failed or cancelled, or a
/// delegate task. Kept apart from the other endpoints on purpose (one small map call).
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
        catch (TaskNotFoundException)
        {
            return PraisonJobsEndpoints.NotFound(id);
        }
        catch (InvalidOperationException ex)
        {
            return PraisonJobsEndpoints.Error(StatusCodes.Status409Conflict, ex.Message);
        }
        catch (TaskRejectedException ex)
        {
            request.HttpContext.Response.Headers.RetryAfter = "5";
            return PraisonJobsEndpoints.Error(StatusCodes.Status503ServiceUnavailable, ex.Message);
        }
        request.HttpContext.Response.Headers.Location = PraisonJobsEndpoints.BaseUrl(request) + PraisonJobsEndpoints.RunsPath + "/" + handle.TaskId;
        return PraisonJobsEndpoints.Json(JobView.From(await handle.StatusAsync(ct)), StatusCodes.Status202Accepted);
    }
}
