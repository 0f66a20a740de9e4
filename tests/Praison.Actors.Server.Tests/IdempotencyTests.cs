using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Praison.Actors.Server.Tests;

/// <summary>
/// Idempotency-Key (header) or idempotency_key (body), scoped none|session|global: a keyed job's id is derived from
/// the key, so repeats (also after a restart on the same store) answer 200 with the first job and store nothing.
/// </summary>
public sealed class IdempotencyTests : IAsyncLifetime
{
    private JobsHost _host = null!;

    public async Task InitializeAsync() => _host = await JobsHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static Task<HttpResponseMessage> SubmitAsync(HttpClient http, object body, string? headerKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, PraisonJobsEndpoints.RunsPath) { Content = JsonContent.Create(body) };
        if (headerKey is not null) request.Headers.Add("Idempotency-Key", headerKey);
        return http.SendAsync(request);
    }

    private static async Task<string> JobIdAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("job_id").GetString()!;

    [Fact]
    public async Task Four_submits_with_one_header_key_make_one_task_first_202_then_200_with_the_same_job()
    {
        var responses = new List<HttpResponseMessage>();
        for (var i = 0; i < 4; i++)
            responses.Add(await SubmitAsync(_host.Http, new { prompt = "x", recipe_name = "echo" }, headerKey: "order-123"));
        Assert.Equal(HttpStatusCode.Accepted, responses[0].StatusCode);
        Assert.All(responses.Skip(1), r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var ids = await Task.WhenAll(responses.Select(JobIdAsync));
        Assert.Single(ids.Distinct());
        Assert.Matches("^run_[0-9a-f]{24}$", ids[0]);
        Assert.All(responses, r => Assert.Equal(new Uri(_host.Http.BaseAddress!, $"/api/v1/runs/{ids[0]}"), r.Headers.Location));
        Assert.Equal(1, await _host.StoredTaskCountAsync());
    }

    [Fact]
    public async Task Concurrent_submits_with_one_body_key_make_one_task()
    {
        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            SubmitAsync(_host.Http, new { prompt = "x", recipe_name = "echo", idempotency_key = "race" })));
        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Accepted);
        Assert.Single((await Task.WhenAll(responses.Select(JobIdAsync))).Distinct());
        Assert.Equal(1, await _host.StoredTaskCountAsync());
    }

    [Fact]
    public async Task A_key_without_a_scope_takes_the_recipes_runtime_job_idempotency_scope()
    {
        var a = await SubmitAsync(_host.Http, new { prompt = "x", recipe_name = "per-session", session_id = "s1" }, headerKey: "k");
        var b = await SubmitAsync(_host.Http, new { prompt = "x", recipe_name = "per-session", session_id = "s2" }, headerKey: "k");
        var again = await SubmitAsync(_host.Http, new { prompt = "x", recipe_name = "per-session", session_id = "s1" }, headerKey: "k");
        var global = await SubmitAsync(_host.Http, new { prompt = "x", recipe_name = "per-session", session_id = "s3", idempotency_scope = "global" }, headerKey: "k");
        var globalAgain = await SubmitAsync(_host.Http, new { prompt = "x", recipe_name = "per-session", session_id = "s4", idempotency_scope = "global" }, headerKey: "k");

        var (idA, idB, idAgain) = (await JobIdAsync(a), await JobIdAsync(b), await JobIdAsync(again));
        Assert.NotEqual(idA, idB); // one key, two sessions: two jobs
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(idA, idAgain);
        Assert.Equal(await JobIdAsync(global), await JobIdAsync(globalAgain)); // the body's scope wins over the recipe's
        Assert.Equal(3, await _host.StoredTaskCountAsync());
    }

    [Fact]
    public async Task The_header_key_wins_over_the_body_key()
    {
        var a = await JobIdAsync(await SubmitAsync(_host.Http, new { prompt = "x", recipe_name = "echo", idempotency_key = "body" }, headerKey: "header"));
        var b = await JobIdAsync(await SubmitAsync(_host.Http, new { prompt = "x", recipe_name = "echo", idempotency_key = "header" }));
        Assert.Equal(a, b);
    }

    [Fact]
    public async Task Scope_none_does_not_deduplicate()
    {
        for (var i = 0; i < 3; i++)
        {
            var r = await SubmitAsync(_host.Http, new { prompt = "x", recipe_name = "echo", idempotency_key = "k", idempotency_scope = "none" });
            Assert.Equal(HttpStatusCode.Accepted, r.StatusCode);
            Assert.Matches("^run_[0-9a-f]{12}$", await JobIdAsync(r));
        }
        Assert.Equal(3, await _host.StoredTaskCountAsync());
    }

    [Fact]
    public async Task Scope_session_keys_within_the_session_and_global_keys_alone()
    {
        async Task<string> Submit(string? session, string? scope) => await JobIdAsync(await SubmitAsync(_host.Http,
            new { prompt = "x", recipe_name = "echo", idempotency_key = "same", session_id = session, idempotency_scope = scope }));

        var s1 = await Submit("s1", "session");
        var s2 = await Submit("s2", "session");
        var s1Again = await Submit("s1", "session");
        var global1 = await Submit("s1", "global");
        var global2 = await Submit("s2", "global");
        var unscoped = await Submit("s3", null); // a key without a scope is global
        Assert.NotEqual(s1, s2);
        Assert.Equal(s1, s1Again);
        Assert.NotEqual(s1, global1);
        Assert.Equal(global1, global2);
        Assert.Equal(global1, unscoped);
        Assert.Equal(3, await _host.StoredTaskCountAsync());
    }

    [Fact]
    public async Task A_key_survives_a_host_restart_on_the_same_sqlite_store()
    {
        var dir = Directory.CreateTempSubdirectory("praison-idem-").FullName;
        try
        {
            string first;
            await using (var host = await JobsHost.StartAsync(store: TaskStore.Sqlite(dir)))
            {
                var r = await SubmitAsync(host.Http, new { prompt = "x", recipe_name = "echo" }, headerKey: "restart-key");
                Assert.Equal(HttpStatusCode.Accepted, r.StatusCode);
                first = await JobIdAsync(r);
            }
            await using (var host = await JobsHost.StartAsync(store: TaskStore.Sqlite(dir)))
            {
                var r = await SubmitAsync(host.Http, new { prompt = "x", recipe_name = "echo" }, headerKey: "restart-key");
                Assert.Equal(HttpStatusCode.OK, r.StatusCode);
                Assert.Equal(first, await JobIdAsync(r));
                Assert.Equal(1, await host.StoredTaskCountAsync());
                var other = await SubmitAsync(host.Http, new { prompt = "x", recipe_name = "echo" }, headerKey: "another-key");
                Assert.Equal(HttpStatusCode.Accepted, other.StatusCode);
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            try { Directory.Delete(dir, recursive: true); }
            catch (IOException) { /* a file may still be held for a moment; the temp dir is left behind */ }
        }
    }
}
