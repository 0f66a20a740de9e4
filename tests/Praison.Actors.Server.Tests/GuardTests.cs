using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Praison.Actors.Server.Tests;

/// <summary>The API key (Bearer or X-API-Key; /health public), the Host check and CORS.</summary>
public sealed class GuardTests
{
    private const string Key = "s3cret-key-for-tests";

    private static HttpRequestMessage Get(string path, Action<HttpRequestMessage>? with = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        with?.Invoke(request);
        return request;
    }

    [Fact]
    public async Task With_a_key_every_route_but_health_needs_it()
    {
        await using var host = await JobsHost.StartAsync(new PraisonJobsOptions { ApiKey = Key });
        foreach (var path in new[] { PraisonJobsEndpoints.RunsPath, PraisonJobsEndpoints.RunsPath + "/run_000000000000", "/stats" })
        {
            var refused = await host.Http.SendAsync(Get(path));
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            var body = await refused.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("Unauthorized", body.GetProperty("error").GetString());
            Assert.Contains("X-API-Key", body.GetProperty("detail").GetString());
        }
        var post = await host.Http.PostAsJsonAsync(PraisonJobsEndpoints.RunsPath, new { prompt = "x", recipe_name = "echo" });
        Assert.Equal(HttpStatusCode.Unauthorized, post.StatusCode);
        Assert.Equal(0, await host.StoredTaskCountAsync());
        Assert.Equal(HttpStatusCode.OK, (await host.Http.GetAsync("/health")).StatusCode);
    }

    [Theory]
    [InlineData("Authorization", "Bearer " + Key, HttpStatusCode.OK)]
    [InlineData("Authorization", "bearer " + Key, HttpStatusCode.OK)]
    [InlineData("X-API-Key", Key, HttpStatusCode.OK)]
    [InlineData("X-API-Key", Key + "x", HttpStatusCode.Unauthorized)]
    [InlineData("X-API-Key", "s3cret", HttpStatusCode.Unauthorized)]
    [InlineData("Authorization", "Basic " + Key, HttpStatusCode.Unauthorized)]
    [InlineData("Authorization", "Bearer ", HttpStatusCode.Unauthorized)]
    public async Task The_key_is_accepted_as_bearer_or_x_api_key_and_nothing_else(string header, string value, HttpStatusCode expected)
    {
        await using var host = await JobsHost.StartAsync(new PraisonJobsOptions { ApiKey = Key });
        var response = await host.Http.SendAsync(Get(PraisonJobsEndpoints.RunsPath, r => r.Headers.TryAddWithoutValidation(header, value)));
        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public void The_key_comes_from_the_option_then_praison_then_praisonai_environment_variables()
    {
        var env = new Dictionary<string, string?> { ["PRAISONAI_JOBS_API_KEY"] = "theirs" };
        Assert.Equal("theirs", new PraisonJobsOptions().EffectiveApiKey(n => env.GetValueOrDefault(n)));
        env["PRAISON_JOBS_API_KEY"] = "ours";
        Assert.Equal("ours", new PraisonJobsOptions().EffectiveApiKey(n => env.GetValueOrDefault(n)));
        Assert.Equal("option", new PraisonJobsOptions { ApiKey = "option" }.EffectiveApiKey(n => env.GetValueOrDefault(n)));
        Assert.Null(new PraisonJobsOptions().EffectiveApiKey(_ => null));
        Assert.True(new JobsSecurity(new PraisonJobsOptions(), n => env.GetValueOrDefault(n)).RequiresKey);
    }

    [Fact]
    public async Task A_host_header_not_in_allowed_hosts_is_a_400_with_json_and_health_too()
    {
        await using var host = await JobsHost.StartAsync(new PraisonJobsOptions { AllowedHosts = ["127.0.0.1"] });
        Assert.Equal(HttpStatusCode.OK, (await host.Http.GetAsync(PraisonJobsEndpoints.RunsPath)).StatusCode);
        foreach (var path in new[] { PraisonJobsEndpoints.RunsPath, "/health" })
        {
            var response = await host.Http.SendAsync(Get(path, r => r.Headers.Host = "evil.example"));
            await ErrorAnswer.AssertAsync(response, 400, "Host header 'evil.example'", "AllowedHosts");
        }
    }

    [Fact]
    public async Task Cors_is_off_unless_origins_are_configured()
    {
        await using var host = await JobsHost.StartAsync();
        var response = await host.Http.SendAsync(Get(PraisonJobsEndpoints.RunsPath, r => r.Headers.Add("Origin", "https://app.example.com")));
        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
        var preflight = new HttpRequestMessage(HttpMethod.Options, PraisonJobsEndpoints.RunsPath);
        preflight.Headers.Add("Origin", "https://app.example.com");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        var answer = await host.Http.SendAsync(preflight);
        Assert.False(answer.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.False(answer.Headers.Contains("Access-Control-Allow-Methods"));
    }

    [Fact]
    public async Task A_configured_origin_gets_cors_headers_and_a_preflight_and_others_do_not()
    {
        await using var host = await JobsHost.StartAsync(new PraisonJobsOptions { CorsOrigins = ["https://app.example.com"] });
        var allowed = await host.Http.SendAsync(Get(PraisonJobsEndpoints.RunsPath, r => r.Headers.Add("Origin", "https://app.example.com")));
        Assert.Equal("https://app.example.com", allowed.Headers.GetValues("Access-Control-Allow-Origin").Single());
        var other = await host.Http.SendAsync(Get(PraisonJobsEndpoints.RunsPath, r => r.Headers.Add("Origin", "https://evil.example")));
        Assert.False(other.Headers.Contains("Access-Control-Allow-Origin"));

        var preflight = new HttpRequestMessage(HttpMethod.Options, PraisonJobsEndpoints.RunsPath + "/run_000000000000/cancel");
        preflight.Headers.Add("Origin", "https://app.example.com");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        var answer = await host.Http.SendAsync(preflight);
        Assert.Equal(HttpStatusCode.NoContent, answer.StatusCode);
        Assert.Contains("POST", answer.Headers.GetValues("Access-Control-Allow-Methods").Single());
        Assert.Contains("Idempotency-Key", answer.Headers.GetValues("Access-Control-Allow-Headers").Single());
    }

    [Theory]
    [InlineData("app.example.com")]
    [InlineData("https://app.example.com/path")]
    [InlineData("ftp://app.example.com")]
    public void A_cors_origin_that_is_not_an_origin_is_refused_at_startup(string origin)
    {
        var ex = Assert.Throws<ArgumentException>(() => new PraisonJobsOptions { CorsOrigins = [origin] }.Validate());
        Assert.Contains(origin, ex.Message);
    }
}
