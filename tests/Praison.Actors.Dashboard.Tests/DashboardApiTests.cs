using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Praison.Actors.Dashboard.Tests;

/// <summary>The dashboard's HTTP surface without a browser: pages, auth, read-only mode and bad input as JSON 4xx.</summary>
public sealed class DashboardApiTests
{
    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"Expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static HttpRequestMessage Action(HttpMethod method, string path, object? body = null)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Add("X-Praison-Dashboard", "1");
        if (body is not null) request.Content = JsonContent.Create(body);
        return request;
    }

    [Fact]
    public async Task The_page_and_its_assets_are_served_from_the_assembly()
    {
        await using var host = await DashboardHost.StartAsync();
        using var noRedirect = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(host.BaseUrl) };

        var bare = await noRedirect.GetAsync("/dashboard");
        Assert.Equal(HttpStatusCode.Redirect, bare.StatusCode);
        Assert.Equal("/dashboard/", bare.Headers.Location?.ToString());
        var page = await host.Http.GetAsync("/dashboard/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("assets/app.js", await page.Content.ReadAsStringAsync());
        Assert.Contains("script-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single());
        var js = await host.Http.GetAsync("/dashboard/assets/app.js");
        Assert.Equal("text/javascript", js.Content.Headers.ContentType?.MediaType);
        var missing = await JsonAsync(await host.Http.GetAsync("/dashboard/assets/nope.js"), HttpStatusCode.NotFound);
        Assert.Contains("nope.js", missing.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Bad_paging_and_filters_are_400_with_a_message()
    {
        await using var host = await DashboardHost.StartAsync();
        var page = await JsonAsync(await host.Http.GetAsync("/dashboard/api/tasks?page=0"), HttpStatusCode.BadRequest);
        Assert.Contains("page must be a whole number", page.GetProperty("error").GetString());
        var size = await JsonAsync(await host.Http.GetAsync("/dashboard/api/tasks?size=100000"), HttpStatusCode.BadRequest);
        Assert.Contains("size", size.GetProperty("error").GetString());
        var status = await JsonAsync(await host.Http.GetAsync("/dashboard/api/tasks?status=sleeping"), HttpStatusCode.BadRequest);
        Assert.Contains("sleeping", status.GetProperty("error").GetString());
        await JsonAsync(await host.Http.GetAsync("/dashboard/api/tasks/no-such-task"), HttpStatusCode.NotFound);
        var run = await JsonAsync(await host.Http.SendAsync(Action(HttpMethod.Post, "/dashboard/api/runs", new { recipe = "missing" })), HttpStatusCode.BadRequest);
        Assert.Contains("missing", run.GetProperty("error").GetString());
        Assert.Empty(await host.Runner.ListAsync());
    }

    [Fact]
    public async Task Pages_are_read_from_the_task_table_a_page_at_a_time()
    {
        await using var host = await DashboardHost.StartAsync();
        await host.Runner.RunBackgroundManyAsync("echo", Enumerable.Range(0, 7).Select(i => (RecipeRunOptions?)new RecipeRunOptions { Input = i }));
        var second = await JsonAsync(await host.Http.GetAsync("/dashboard/api/tasks?page=2&size=3"), HttpStatusCode.OK);
        Assert.Equal(7, second.GetProperty("total").GetInt64());
        Assert.Equal(3, second.GetProperty("pages").GetInt32());
        Assert.Equal(3, second.GetProperty("tasks").GetArrayLength());
    }

    [Fact]
    public async Task Without_the_cookie_every_api_call_is_401_and_a_wrong_key_sets_none()
    {
        await using var host = await DashboardHost.StartAsync(new PraisonDashboardOptions { ApiKey = "k-123" });
        foreach (var path in new[] { "overview", "tasks", "recipes", "events?ids=x" })
            await JsonAsync(await host.Http.GetAsync("/dashboard/api/" + path), HttpStatusCode.Unauthorized);
        var session = await JsonAsync(await host.Http.GetAsync("/dashboard/api/session"), HttpStatusCode.OK);
        Assert.True(session.GetProperty("authRequired").GetBoolean());
        Assert.False(session.GetProperty("signedIn").GetBoolean());

        var wrong = await host.Http.PostAsJsonAsync("/dashboard/login", new { key = "nope" });
        await JsonAsync(wrong, HttpStatusCode.Unauthorized);
        Assert.False(wrong.Headers.Contains("Set-Cookie"));

        var right = await host.Http.PostAsJsonAsync("/dashboard/login", new { key = "k-123" });
        await JsonAsync(right, HttpStatusCode.OK);
        var setCookie = right.Headers.GetValues("Set-Cookie").Single();
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", setCookie, StringComparison.OrdinalIgnoreCase);
        // HttpClient keeps the cookie: now the API answers.
        await JsonAsync(await host.Http.GetAsync("/dashboard/api/overview"), HttpStatusCode.OK);
    }

    [Fact]
    public async Task Read_only_refuses_actions_and_actions_need_the_dashboard_header()
    {
        await using var ro = await DashboardHost.StartAsync(new PraisonDashboardOptions { ReadOnly = true });
        var refused = await JsonAsync(await ro.Http.SendAsync(Action(HttpMethod.Post, "/dashboard/api/runs", new { recipe = "echo" })), HttpStatusCode.Forbidden);
        Assert.Contains("read-only", refused.GetProperty("error").GetString());
        Assert.Empty(await ro.Runner.ListAsync());
        var failed = await ro.Runner.RunBackgroundAsync("boom");
        await ro.UntilAsync(failed.TaskId, t => t.IsTerminal, "finished");
        foreach (var (method, path) in new[] { (HttpMethod.Post, "/cancel"), (HttpMethod.Post, "/retry"), (HttpMethod.Delete, "") })
        {
            var no = await JsonAsync(await ro.Http.SendAsync(Action(method, "/dashboard/api/tasks/" + failed.TaskId + path)), HttpStatusCode.Forbidden);
            Assert.Contains("read-only", no.GetProperty("error").GetString());
        }
        Assert.Single(await ro.Runner.ListAsync()); // not retried, not deleted

        await using var rw = await DashboardHost.StartAsync();
        var noHeader = await JsonAsync(await rw.Http.PostAsJsonAsync("/dashboard/api/runs", new { recipe = "echo" }), HttpStatusCode.BadRequest);
        Assert.Contains("X-Praison-Dashboard", noHeader.GetProperty("error").GetString());
        Assert.Empty(await rw.Runner.ListAsync());
        var created = await JsonAsync(await rw.Http.SendAsync(Action(HttpMethod.Post, "/dashboard/api/runs", new { recipe = "echo", input = new { a = 1 } })), HttpStatusCode.Created);
        Assert.Equal("echo", created.GetProperty("recipeName").GetString());
    }
}

public sealed class DashboardApiReadTests
{
    [Fact]
    public async Task Detail_of_a_completed_task_carries_its_result_and_recipes_their_template()
    {
        await using var host = await DashboardHost.StartAsync();
        var task = await host.Runner.RunBackgroundAsync("echo", new RecipeRunOptions { Input = new { word = "w1" } });
        await host.UntilAsync(task.TaskId, t => t.IsTerminal, "finished");
        var detail = await host.Http.GetAsync("/dashboard/api/tasks/" + task.TaskId);
        var text = await detail.Content.ReadAsStringAsync();
        Assert.True(detail.IsSuccessStatusCode, text);
        Assert.Contains("\"w1\"", text);
        var recipes = await host.Http.GetAsync("/dashboard/api/recipes");
        var rtext = await recipes.Content.ReadAsStringAsync();
        Assert.True(recipes.IsSuccessStatusCode, rtext);
        Assert.Contains("wait for the gate", rtext);
    }
}
