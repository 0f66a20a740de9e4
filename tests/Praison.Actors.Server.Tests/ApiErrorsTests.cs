using Akka.Actor;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Praison.Actors.Persistence;

namespace Praison.Actors.Server.Tests;

/// <summary>
/// The filter over every jobs endpoint: what an endpoint does not handle is still a JSON answer — 503 when the store
/// or the runtime does not answer, 500 (logged, no stack trace, no exception text) for a genuine fault.
/// </summary>
public sealed class ApiErrorsTests : IAsyncLifetime
{
    private JobsHost _host = null!;

    public async Task InitializeAsync() => _host = await JobsHost.StartAsync(map: app =>
    {
        // Endpoints of the test's own behind the same filter, throwing what a real endpoint could meet.
        var boom = app.MapGroup("/boom");
        boom.AddEndpointFilter(ApiErrors.CatchAsync);
        boom.MapGet("/store", IResult () => throw new TaskStoreException("SQLite store at /data", "database is locked"));
        boom.MapGet("/ask", IResult () => throw new AskTimeoutException("Timeout after 00:00:30 seconds"));
        boom.MapGet("/timeout", IResult () => throw new TimeoutException("The runtime did not answer about task x."));
        boom.MapGet("/fault", IResult () => throw new InvalidOperationException("secret internals"));
        boom.MapGet("/request", IResult () => throw new BadHttpRequestException("Unexpected end of request content.", 400));
    });

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Theory]
    [InlineData("/boom/store", "The task store is unavailable", "database is locked")]
    [InlineData("/boom/ask", "did not answer in time", "Timeout after")]
    [InlineData("/boom/timeout", "did not answer in time", "about task x")]
    public async Task The_store_or_runtime_not_answering_is_a_503_with_retry_after(string path, string what, string cause)
    {
        var response = await _host.Http.GetAsync(path);
        await ErrorAnswer.AssertAsync(response, 503, what, cause);
        Assert.Equal(TimeSpan.FromSeconds(5), response.Headers.RetryAfter?.Delta);
    }

    [Fact]
    public async Task An_unexpected_fault_is_a_500_with_a_json_body_that_hides_the_exception_and_the_log_has_it()
    {
        var response = await _host.Http.GetAsync("/boom/fault");
        var error = await ErrorAnswer.AssertAsync(response, 500, "Internal server error", "trace");
        Assert.DoesNotContain("secret internals", error);
        Assert.DoesNotContain("InvalidOperationException", error);
        Assert.Contains(_host.Logs.Entries, e => e.Level == LogLevel.Error && e.Exception?.Message == "secret internals");
    }

    [Fact]
    public async Task A_bad_request_found_while_reading_keeps_its_status()
    {
        var response = await _host.Http.GetAsync("/boom/request");
        await ErrorAnswer.AssertAsync(response, 400, "Unexpected end of request content");
    }
}
