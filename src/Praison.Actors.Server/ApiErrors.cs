using Akka.Actor;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Praison.Actors.Persistence;

namespace Praison.Actors.Server;

/// <summary>
/// Every error the jobs API answers is a JSON <see cref="ApiError"/>. The two endpoint filters here are the single
/// place ids are checked and the single place an unexpected exception becomes an answer, so no endpoint can
/// answer an empty 500 or a stack trace.
/// </summary>
internal static class ApiErrors
{
    public static IResult Result(int status, string message) => Results.Json(new ApiError(message), statusCode: status);

    /// <summary>Refuses a malformed <c>{id}</c> route value with 400 before any endpoint looks it up.</summary>
    public static async ValueTask<object?> CheckTaskIdAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
        TaskIds.Problem(context.HttpContext.Request.RouteValues["id"] as string) is { } problem
            ? Result(StatusCodes.Status400BadRequest, problem)
            : await next(context);

    /// <summary>
    /// Turns what an endpoint did not handle into a JSON answer: the store or the runtime not answering is 503
    /// (retry later), bad input that slipped through is 4xx, and anything else is a genuine fault: 500, logged
    /// here with its stack, answered with only a reference to that log line.
    /// </summary>
    public static async ValueTask<object?> CatchAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        try
        {
            return await next(context);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            throw; // The client went away: there is no one to answer.
        }
        catch (Exception ex)
        {
            var (status, message) = Classify(ex);
            var logger = http.RequestServices.GetService<ILoggerFactory>()?.CreateLogger("Praison.Actors.Server");
            if (status == StatusCodes.Status500InternalServerError)
                logger?.LogError(ex, "{Method} {Path} failed (trace {TraceId})", http.Request.Method, http.Request.Path, http.TraceIdentifier);
            else if (status >= 500)
                logger?.LogWarning("{Method} {Path} answered {Status}: {Message}", http.Request.Method, http.Request.Path, status, message);
            if (http.Response.HasStarted)
                return Results.Empty; // Mid-stream: the status line is gone; the connection just ends.
            if (status == StatusCodes.Status503ServiceUnavailable)
                http.Response.Headers.RetryAfter = "5";
            return Result(status, status == StatusCodes.Status500InternalServerError
                ? $"Internal server error (trace {http.TraceIdentifier}); the server's log has the details."
                : message);
        }
    }

    private static (int Status, string Message) Classify(Exception ex) => ex switch
    {
        TaskStoreException s => (StatusCodes.Status503ServiceUnavailable, $"The task store is unavailable: {s.Message}"),
        AskTimeoutException or TimeoutException => (StatusCodes.Status503ServiceUnavailable, $"The task runtime did not answer in time: {ex.Message}"),
        OperationCanceledException => (StatusCodes.Status503ServiceUnavailable, "The request was cancelled before it completed (is the server stopping?)."),
        BadHttpRequestException b => (b.StatusCode, b.Message),
        TaskNotFoundException => (StatusCodes.Status404NotFound, ex.Message),
        ArgumentException => (StatusCodes.Status400BadRequest, ex.Message),
        _ => (StatusCodes.Status500InternalServerError, ex.Message),
    };
}
