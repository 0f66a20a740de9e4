using System.Net.Http.Json;

namespace Praison.Actors.Server.Tests;

/// <summary>Every <c>{id}</c> endpoint refuses a malformed id with a JSON 400 (one check for all), and answers a well-formed unknown id with a JSON 404.</summary>
public sealed class TaskIdRouteTests : IAsyncLifetime
{
    private JobsHost _host = null!;

    public async Task InitializeAsync() => _host = await JobsHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    public static TheoryData<string, string> Endpoints => new()
    {
        { "GET", "{0}" },
        { "GET", "{0}/result" },
        { "POST", "{0}/cancel" },
        { "DELETE", "{0}" },
        { "GET", "{0}/stream" },
        { "POST", "{0}/retry" },
    };

    // As they appear in the URL (already escaped).
    private static readonly string[] BadIds = ["%20", "a%20b", "a.b", "%E2%82%AC", "%2F", "%0A", new('x', TaskLimits.MaxIdLength + 1)];

    private Task<HttpResponseMessage> SendAsync(string method, string template, string id) =>
        _host.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), PraisonJobsEndpoints.RunsPath + "/" + string.Format(template, id)));

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task A_malformed_id_is_a_400_naming_the_rule(string method, string template)
    {
        foreach (var id in BadIds)
        {
            var response = await SendAsync(method, template, id);
            var error = await ErrorAnswer.AssertAsync(response, 400, "task id");
            Assert.Contains(id.Length > TaskLimits.MaxIdLength ? $"at most {TaskLimits.MaxIdLength} characters" : "letters, digits, '_' and '-'", error);
        }
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task A_well_formed_unknown_id_is_a_404(string method, string template)
    {
        var response = await SendAsync(method, template, "no-such_task-0123");
        await ErrorAnswer.AssertAsync(response, 404, "Job not found: no-such_task-0123");
    }

    [Fact]
    public async Task The_runtimes_own_ids_pass()
    {
        var submitted = await _host.Http.PostAsJsonAsync(PraisonJobsEndpoints.RunsPath, new { recipe = "echo", prompt = "p" });
        var id = (await submitted.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("job_id").GetString()!;
        Assert.True(TaskIds.IsValid(id), id);
        Assert.Matches("^run_[0-9a-f]{12}$", id);
        Assert.Equal(200, (int)(await _host.Http.GetAsync($"{PraisonJobsEndpoints.RunsPath}/{id}")).StatusCode);
    }
}

/// <summary>The one id rule, used by the routes and by BackgroundRunner.</summary>
public sealed class TaskIdsTests
{
    [Theory]
    [InlineData("0193a5b2c3d4e5f60718293a4b5c6d7e")]
    [InlineData("a")]
    [InlineData("my_task-1")]
    public void Well_formed_ids_pass(string id)
    {
        Assert.True(TaskIds.IsValid(id));
        Assert.Null(TaskIds.Problem(id));
        Assert.True(TaskIds.IsValid(new string('a', TaskLimits.MaxIdLength)));
    }

    [Theory]
    [InlineData(null, "required")]
    [InlineData("", "required")]
    [InlineData(" ", "a space")]
    [InlineData("a/b", "'/'")]
    [InlineData("a\nb", "U+000A")]
    [InlineData("é", "'é'")]
    public void Malformed_ids_are_named(string? id, string named)
    {
        Assert.False(TaskIds.IsValid(id));
        Assert.Contains(named, TaskIds.Problem(id));
    }

    [Fact]
    public void A_lone_surrogate_is_named()
    {
        // Built in code: an attribute cannot carry a lone surrogate (metadata stores UTF-8).
        var id = "a" + (char)0xD800;
        Assert.False(TaskIds.IsValid(id));
        Assert.Contains("U+D800", TaskIds.Problem(id));
    }

    [Fact]
    public void A_long_id_names_the_limit() =>
        Assert.Contains($"at most {TaskLimits.MaxIdLength}", TaskIds.Problem(new string('a', TaskLimits.MaxIdLength + 1)));

    [Fact]
    public async Task The_runner_refuses_a_malformed_id_before_asking_the_runtime()
    {
        await using var runtime = await PraisonRuntime.StartAsync();
        var ex = Assert.Throws<ArgumentException>(() => runtime.Runner.GetHandle("a b"));
        Assert.Contains("a space", ex.Message);
        await Assert.ThrowsAsync<TaskNotFoundException>(() => runtime.Runner.GetStatusAsync("well-formed"));
    }
}
