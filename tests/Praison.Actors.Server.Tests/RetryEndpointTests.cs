using System.Net.Http.Json;
using System.Text.Json;

namespace Praison.Actors.Server.Tests;

/// <summary>
/// <c>POST /api/v1/runs/{id}/retry</c> and the retry fields of a run: a failed run is run again as a new run with the
/// same input; a run that is not failed or cancelled, or a delegate, is a JSON 409; the dead-letter view lists the
/// failed run with every attempt's error.
/// </summary>
public sealed class RetryEndpointTests : IAsyncLifetime
{
    private int _calls;
    private JobsHost _host = null!;

    public async Task InitializeAsync() => _host = await JobsHost.StartAsync(moreRecipes: r => r.Register("""
        name: flaky
        runtime:
          retry:
            max_attempts: 2
            initial_delay_sec: 0
        """, ctx => Interlocked.Increment(ref _calls) <= 2
            ? throw new InvalidOperationException($"flake {ctx.Attempt}")
            : Task.FromResult<object?>(new { input = ctx.Input.GetProperty("n").GetInt32() })));

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task A_failed_run_shows_every_attempt_and_is_run_again_as_a_new_run_with_its_input()
    {
        var submitted = await _host.Http.PostAsJsonAsync(PraisonJobsEndpoints.RunsPath, new { recipe = "flaky", input = new { n = 7 } });
        var id = (await submitted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("job_id").GetString()!;
        var handle = _host.Runtime.Runner.GetHandle(id);
        await Assert.ThrowsAsync<RecipeException>(() => handle.WaitAsync(TimeSpan.FromSeconds(30)));

        var failed = await _host.Http.GetFromJsonAsync<JsonElement>($"{PraisonJobsEndpoints.RunsPath}/{id}");
        Assert.Equal("failed", failed.GetProperty("status").GetString());
        Assert.Equal("retries-exhausted", failed.GetProperty("error_detail").GetProperty("kind").GetString());
        Assert.Equal("All 2 attempts failed; the last: flake 2", failed.GetProperty("error").GetString());
        Assert.Equal((2, 2), (failed.GetProperty("attempt").GetInt32(), failed.GetProperty("max_attempts").GetInt32()));
        Assert.Equal(["flake 1", "flake 2"], failed.GetProperty("attempt_errors").EnumerateArray().Select(e => e.GetProperty("message").GetString()));

        var retried = await _host.Http.PostAsync($"{PraisonJobsEndpoints.RunsPath}/{id}/retry", null);
        Assert.Equal(202, (int)retried.StatusCode);
        var run = await retried.Content.ReadFromJsonAsync<JsonElement>();
        var newId = run.GetProperty("job_id").GetString()!;
        Assert.Equal("flaky", run.GetProperty("recipe").GetString());
        Assert.Equal(2, run.GetProperty("max_attempts").GetInt32());
        Assert.NotEqual(id, newId);
        Assert.Equal($"{PraisonJobsEndpoints.RunsPath}/{newId}", retried.Headers.Location?.AbsolutePath);
        Assert.Equal("{\"input\":7}", JsonSerializer.Serialize(await _host.Runtime.Runner.GetHandle(newId).WaitAsync(TimeSpan.FromSeconds(30))));
        Assert.Equal("failed", (await _host.Http.GetFromJsonAsync<JsonElement>($"{PraisonJobsEndpoints.RunsPath}/{id}")).GetProperty("status").GetString());

        // A completed run is not retried.
        var again = await _host.Http.PostAsync($"{PraisonJobsEndpoints.RunsPath}/{newId}/retry", null);
        Assert.Contains("only a failed or cancelled task", await ErrorAnswer.AssertAsync(again, 409, "completed"));
    }

    [Fact]
    public async Task A_delegate_cannot_be_retried_from_the_api()
    {
        var handle = await _host.Runtime.Runner.SubmitAsync<int>(_ => throw new InvalidOperationException("no"));
        await Assert.ThrowsAsync<BackgroundTaskFailedException>(() => handle.WaitAsync(TimeSpan.FromSeconds(30)));
        var response = await _host.Http.PostAsync($"{PraisonJobsEndpoints.RunsPath}/{handle.TaskId}/retry", null);
        await ErrorAnswer.AssertAsync(response, 409, "delegate");
        Assert.Equal(1, await _host.StoredTaskCountAsync()); // nothing new was stored
    }
}
