using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Praison.Actors.Server.Tests;

/// <summary>POST /api/v1/runs with bodies that must be refused with a JSON error naming the problem, storing nothing.</summary>
public sealed class SubmitBodyTests : IAsyncLifetime
{
    private JobsHost _host = null!;

    public async Task InitializeAsync() => _host = await JobsHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task AssertNothingStoredAsync()
    {
        Assert.Equal(0, await _host.StoredTaskCountAsync());
        var page = await _host.Http.GetFromJsonAsync<JsonElement>(PraisonJobsEndpoints.RunsPath);
        Assert.Equal(0, page.GetProperty("total").GetInt32());
    }

    private static byte[] Bytes(string before, byte[] middle, string after) =>
        [.. Encoding.UTF8.GetBytes(before), .. middle, .. Encoding.UTF8.GetBytes(after)];

    [Theory]
    [InlineData("{\"recipe\":\"echo\",\"input\":{\"text\":\"a", new byte[] { 0xFF }, "b\"}}", "0xFF")]
    [InlineData("{\"recipe\":\"echo\",\"session_id\":\"s", new byte[] { 0xC3, 0x28 }, "\"}", "0xC3")] // a lead byte without its continuation
    [InlineData("{\"recipe\":\"echo\",\"input\":{\"k", new byte[] { 0xED, 0xA0, 0x80 }, "\":1}}", "0xED")] // an encoded surrogate, in a property name
    public async Task Invalid_utf8_is_a_400_naming_the_byte(string before, byte[] bad, string after, string named)
    {
        var response = await _host.PostRawAsync(Bytes(before, bad, after));
        await ErrorAnswer.AssertAsync(response, 400, "not valid UTF-8", named);
        await AssertNothingStoredAsync();
    }

    [Theory]
    [InlineData("""{"recipe":"echo","input":{"text":"\ud800"}}""", "$.input.text")]
    [InlineData("""{"recipe":"echo","session_id":"x\udc00y"}""", "$.session_id")]
    [InlineData("""{"recipe":"echo","input":["ok", {"deep":"\udbff"}]}""", "$.input[1].deep")]
    [InlineData("""{"recipe":"echo","input":{"\ud800":1}}""", "property name in $.input")]
    public async Task A_lone_surrogate_escape_is_a_400_naming_where_it_is(string json, string where)
    {
        var response = await _host.PostJsonTextAsync(json);
        await ErrorAnswer.AssertAsync(response, 400, "not valid Unicode", where);
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task A_paired_surrogate_escape_and_a_utf8_bom_are_accepted()
    {
        var body = Bytes("\uFEFF", [], """{"recipe":"echo","input":{"text":"\ud83d\ude00 é"}}""");
        var response = await _host.PostRawAsync(body);
        Assert.Equal(202, (int)response.StatusCode);
        Assert.Equal(1, await _host.StoredTaskCountAsync());
    }

    [Theory]
    [InlineData("""{"recipe":""", "not valid JSON")]
    [InlineData("""{"recipe":"echo"} trailing""", "not valid JSON")]
    [InlineData("", "empty")]
    [InlineData("  \n ", "empty")]
        public async Task Malformed_bodies_are_a_400_naming_the_problem(string text, string named)
    {
        var response = await _host.PostJsonTextAsync(text);
        await ErrorAnswer.AssertAsync(response, 400, named);
        await AssertNothingStoredAsync();
    }

    [Theory]
    [InlineData("text/plain", "got 'text/plain'")]
    [InlineData("application/x-www-form-urlencoded", "got 'application/x-www-form-urlencoded'")]
    [InlineData("multipart/form-data; boundary=x", "got 'multipart/form-data'")]
    [InlineData("application/json; charset=utf-16", "charset 'utf-16'")]
    [InlineData(null, "no Content-Type")]
    public async Task A_body_not_declared_as_utf8_json_is_a_415(string? contentType, string named)
    {
        var response = await _host.PostRawAsync(Encoding.UTF8.GetBytes("""{"recipe":"echo","prompt":"p"}"""), contentType);
        await ErrorAnswer.AssertAsync(response, 415, "application/json", named);
        await AssertNothingStoredAsync();
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("APPLICATION/JSON; charset=UTF-8")]
    [InlineData("application/vnd.praison+json")]
    public async Task Json_content_types_are_accepted(string contentType)
    {
        var response = await _host.PostRawAsync(Encoding.UTF8.GetBytes("""{"recipe":"echo","prompt":"p"}"""), contentType);
        Assert.Equal(202, (int)response.StatusCode);
    }

    [Fact]
    public async Task A_50_MB_body_is_a_413_naming_the_limit_without_an_error_in_the_log()
    {
        var body = new byte[50 * 1024 * 1024];
        Encoding.UTF8.GetBytes("{\"recipe\":\"echo\",\"session_id\":\"").CopyTo(body, 0);
        body.AsSpan(32).Fill((byte)'a');
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        // As curl sends a large body: the server answers before the body is sent, so the client reads the answer
        // instead of a broken pipe (without it, the server answers and closes the connection while the client sends).
        var request = new HttpRequestMessage(HttpMethod.Post, PraisonJobsEndpoints.RunsPath) { Content = content };
        request.Headers.ExpectContinue = true;
        var response = await _host.Http.SendAsync(request);
        await ErrorAnswer.AssertAsync(response, 413, $"{body.Length} bytes", $"limit of {PraisonJobsOptions.DefaultMaxRequestBodyBytes} bytes", "MaxRequestBodyBytes");
        await AssertNothingStoredAsync();
        Assert.DoesNotContain(_host.Logs.Entries, e => e.Level >= LogLevel.Warning);
    }

    [Fact]
    public async Task A_chunked_body_past_the_configured_limit_is_a_413_once_it_passes_it()
    {
        await using var host = await JobsHost.StartAsync(new PraisonJobsOptions { MaxRequestBodyBytes = 1000 });
        var json = "{\"recipe\":\"echo\",\"input\":{\"text\":\"" + new string('x', 5000) + "\"}}";
        // No Content-Length: the server can only find out by reading.
        var content = new StreamContent(new NonSeekable(Encoding.UTF8.GetBytes(json)));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var response = await host.Http.PostAsync(PraisonJobsEndpoints.RunsPath, content);
        Assert.Null(response.RequestMessage!.Content!.Headers.ContentLength);
        await ErrorAnswer.AssertAsync(response, 413, "more than 1000 bytes", "MaxRequestBodyBytes");
        Assert.Equal(0, await host.StoredTaskCountAsync());
        Assert.DoesNotContain(host.Logs.Entries, e => e.Level >= LogLevel.Warning);
    }

    [Fact]
    public async Task A_20_MB_session_id_is_refused_by_the_body_limit_and_nothing_is_stored()
    {
        var json = "{\"recipe\":\"echo\",\"session_id\":\"" + new string('s', 20 * 1024 * 1024) + "\"}";
        var response = await _host.PostJsonTextAsync(json);
        await ErrorAnswer.AssertAsync(response, 413, "MaxRequestBodyBytes");
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task A_session_id_past_256_characters_is_a_422_naming_the_limit()
    {
        var tooLong = await _host.Http.PostAsJsonAsync(PraisonJobsEndpoints.RunsPath, new { recipe = "echo", prompt = "p", session_id = new string('s', TaskLimits.MaxSessionIdLength + 1) });
        await ErrorAnswer.AssertInvalidAsync(tooLong, "session_id", "'session_id'", $"limit of {TaskLimits.MaxSessionIdLength}");
        await AssertNothingStoredAsync();

        var atLimit = await _host.Http.PostAsJsonAsync(PraisonJobsEndpoints.RunsPath, new { recipe = "echo", prompt = "p", session_id = new string('s', TaskLimits.MaxSessionIdLength) });
        Assert.Equal(202, (int)atLimit.StatusCode);
    }

    [Fact]
    public async Task A_recipe_name_past_200_characters_is_a_422_naming_the_limit_without_echoing_it()
    {
        var name = new string('r', TaskLimits.MaxNameLength + 1);
        var response = await _host.Http.PostAsJsonAsync(PraisonJobsEndpoints.RunsPath, new { recipe_name = name, prompt = "p" });
        var error = await ErrorAnswer.AssertInvalidAsync(response, "recipe_name", "'recipe_name'", $"limit of {TaskLimits.MaxNameLength}");
        Assert.DoesNotContain(name, error);
        await AssertNothingStoredAsync();
    }

    /// <summary>A stream whose length is unknown, so HttpClient sends it chunked.</summary>
    private sealed class NonSeekable(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    }
}
