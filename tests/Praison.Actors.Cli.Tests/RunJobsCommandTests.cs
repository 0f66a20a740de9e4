using System.Text.Json;

namespace Praison.Actors.Cli.Tests;

/// <summary>
/// `praison-actors run ...` against <see cref="FakeJobsServer"/>, a server that speaks only PraisonAI's jobs contract:
/// the requests the CLI sends (body, headers, query) and how it reads the answers (exit codes, output).
/// </summary>
public sealed class RunJobsCommandTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private FakeJobsServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeJobsServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _dir.Dispose();
    }

    private Task<CliResult> Run(params string[] args) => CliProcess.RunAsync(_dir, ["run", .. args, "--api-url", _server.Url]);

    private async Task<string> SubmitAsync(string prompt, params string[] extra)
    {
        var r = await Run(["submit", prompt, .. extra]);
        Assert.True(r.ExitCode == 0, r.ToString());
        return r.Stdout.Trim();
    }

    private FakeJobsServer.Recorded Last(string method, string pathStart) =>
        _server.Requests.Last(q => q.Method == method && q.Path.StartsWith(pathStart, StringComparison.Ordinal));

    [Fact]
    public async Task Submit_sends_the_contract_body_and_the_Idempotency_Key_header_and_prints_the_202_answer()
    {
        var r = await Run("submit", "succeed", "--recipe", "hello", "--recipe-config", """{"loud": true}""", "--session-id", "s1",
            "--timeout", "60", "--idempotency-key", "k1", "--idempotency-scope", "session", "--webhook-url", "http://hooks.example.com/x",
            "--metadata", "team=core", "--metadata", "note=a=b", "--json");

        Assert.True(r.ExitCode == 0, r.ToString());
        var answer = r.Json();
        Assert.Matches("^run_[0-9a-f]{12}$", answer.GetProperty("job_id").GetString());
        Assert.Equal("queued", answer.GetProperty("status").GetString());
        Assert.Contains("Job submitted: " + answer.GetProperty("job_id").GetString(), r.Stderr);

        var sent = Last("POST", "/api/v1/runs");
        Assert.Equal("k1", sent.Headers["Idempotency-Key"]);
        Assert.StartsWith("application/json", sent.Headers["Content-Type"]);
        var body = sent.Json();
        Assert.Equal("succeed", body.GetProperty("prompt").GetString());
        Assert.Equal("hello", body.GetProperty("recipe_name").GetString());
        Assert.True(body.GetProperty("recipe_config").GetProperty("loud").GetBoolean());
        Assert.Equal("s1", body.GetProperty("session_id").GetString());
        Assert.Equal(60, body.GetProperty("timeout").GetInt32());
        Assert.Equal("k1", body.GetProperty("idempotency_key").GetString());
        Assert.Equal("session", body.GetProperty("idempotency_scope").GetString());
        Assert.Equal("http://hooks.example.com/x", body.GetProperty("webhook_url").GetString());
        Assert.Equal("core", body.GetProperty("metadata").GetProperty("team").GetString());
        Assert.Equal("a=b", body.GetProperty("metadata").GetProperty("note").GetString());
    }

    [Fact]
    public async Task A_plain_submit_sends_only_the_prompt_and_prints_the_job_id()
    {
        var id = await SubmitAsync("hello there");

        Assert.Matches("^run_[0-9a-f]{12}$", id);
        var sent = Last("POST", "/api/v1/runs");
        Assert.False(sent.Headers.ContainsKey("Idempotency-Key"));
        Assert.Equal(["prompt"], sent.Json().EnumerateObject().Select(p => p.Name).ToArray());
    }

    [Fact]
    public async Task The_same_idempotency_key_gets_the_same_job()
    {
        var first = await SubmitAsync("succeed", "--idempotency-key", "order-42");
        var second = await SubmitAsync("succeed", "--idempotency-key", "order-42");
        Assert.Equal(first, second);
    }

    [Fact]
    public async Task Submit_wait_follows_the_progress_and_prints_the_result_object()
    {
        var r = await Run("submit", "succeed", "--wait", "--poll-interval", "0.01", "--json");

        Assert.True(r.ExitCode == 0, r.ToString());
        var result = r.Json();
        Assert.Equal("succeeded", result.GetProperty("status").GetString());
        Assert.Equal("Hello", result.GetProperty("result").GetProperty("greeting").GetString());
        Assert.Equal(1.5, result.GetProperty("duration_seconds").GetDouble());
        var id = result.GetProperty("job_id").GetString();
        Assert.Contains($"{id} queued", r.Stderr);
        Assert.Contains($"{id} [ 50%] halfway", r.Stderr);
        Assert.Contains($"{id} succeeded", r.Stderr);
    }

    [Fact]
    public async Task Without_poll_interval_the_wait_honours_the_servers_retry_after()
    {
        // "text" is already succeeded at the first read: one status read, then the result, no wait at all.
        var r = await Run("submit", "text", "--wait");

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("plain words", r.Stdout.Trim()); // a string result is printed as it is
        Assert.Single(_server.Requests, q => q.Method == "GET" && q.Path.StartsWith("/api/v1/runs/run_") && !q.Path.EndsWith("/result"));
    }

    [Theory]
    [InlineData("fail", 1, "failed: boom")]
    [InlineData("timeout", 4, "timed out: Job timed out after 1s")]
    public async Task A_job_that_does_not_succeed_exits_with_backgrounds_code(string prompt, int code, string message)
    {
        var r = await Run("submit", prompt, "--wait", "--poll-interval", "0.01");

        Assert.True(r.ExitCode == code, r.ToString());
        Assert.Contains(message, r.Stderr);
    }

    [Fact]
    public async Task Ctrl_C_while_waiting_stops_following_leaves_the_job_running_and_exits_5()
    {
        using var wait = CliProcess.Start(_dir, "run", "submit", "hang", "--wait", "--poll-interval", "0.05", "--api-url", _server.Url);
        var id = (await wait.WaitForLineAsync("Job submitted: ")).Split(' ')[^1];
        await wait.WaitForLineAsync($"{id} running"); // "hang" stays running: the client polls until interrupted

        await wait.SignalAsync("INT");
        var r = await wait.WaitForExitAsync();

        Assert.True(r.ExitCode == 5, r.ToString());
        Assert.Contains($"stopped following job {id}; it keeps running on the server", r.Stderr);
        Assert.DoesNotContain(_server.Requests, q => q.Path.EndsWith("/cancel", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Status_prints_the_status_object_as_the_server_sent_it()
    {
        var id = await SubmitAsync("hang", "--session-id", "s9");

        var json = await Run("status", id, "--json");
        Assert.True(json.ExitCode == 0, json.ToString());
        Assert.Equal("running", json.Json().GetProperty("status").GetString());
        Assert.Equal(10, json.Json().GetProperty("progress").GetProperty("percentage").GetDouble());
        Assert.Equal(5, json.Json().GetProperty("retry_after").GetInt32());

        var text = await Run("status", id);
        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Contains("running", text.Stdout);
        Assert.Contains("10%", text.Stdout);
        Assert.Contains("working", text.Stdout);
        Assert.Contains("s9", text.Stdout);
    }

    [Fact]
    public async Task Cancel_then_result_then_cancel_again_exit_0_3_and_7()
    {
        var id = await SubmitAsync("hang");

        var running = await Run("result", id);
        Assert.True(running.ExitCode == 5, running.ToString());
        Assert.Contains("still running", running.Stderr);

        var cancel = await Run("cancel", id, "--json");
        Assert.True(cancel.ExitCode == 0, cancel.ToString());
        Assert.Equal("cancelled", cancel.Json().GetProperty("status").GetString());

        var result = await Run("result", id, "--json");
        Assert.True(result.ExitCode == 3, result.ToString());
        Assert.Equal("cancelled", result.Json().GetProperty("status").GetString());

        var again = await Run("cancel", id);
        Assert.True(again.ExitCode == 7, again.ToString());
        Assert.Contains("Cannot cancel job in status cancelled", again.Stderr);
    }

    [Fact]
    public async Task An_unknown_job_exits_6_with_the_servers_detail()
    {
        var r = await Run("status", "run_000000000000");
        Assert.True(r.ExitCode == 6, r.ToString());
        Assert.Contains("Job not found: run_000000000000", r.Stderr);
    }

    [Fact]
    public async Task A_422_exits_2_naming_the_field_and_the_problem()
    {
        var r = await Run("submit", "reject", "--json");
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("body.prompt: Value error, rejected by the test", r.Json().GetProperty("error").GetString());
    }

    [Fact]
    public async Task List_asks_for_one_page_and_prints_the_servers_page()
    {
        foreach (var _ in Enumerable.Range(0, 3)) await SubmitAsync("hang", "--session-id", "paged");
        await SubmitAsync("hang", "--session-id", "other");

        var json = await Run("list", "--session-id", "paged", "--page", "2", "--page-size", "2", "--json");
        Assert.True(json.ExitCode == 0, json.ToString());
        Assert.Equal(3, json.Json().GetProperty("total").GetInt32());
        Assert.Single(json.Json().GetProperty("jobs").EnumerateArray());
        Assert.Equal("?page=2&page_size=2&session_id=paged", Last("GET", "/api/v1/runs").Query);

        var text = await Run("list", "--status", "running", "--page-size", "2");
        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Contains("Total: 4 jobs (page 1 of 2)", text.Stderr);
        Assert.Equal("?page=1&page_size=2&status=running", Last("GET", "/api/v1/runs").Query);
    }

    [Fact]
    public async Task Stream_json_prints_every_event_as_a_line_and_exits_with_the_jobs_code()
    {
        var id = await SubmitAsync("succeed");

        var r = await Run("stream", id, "--json");

        Assert.True(r.ExitCode == 0, r.ToString());
        var events = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        Assert.Equal(["status", "heartbeat", "progress", "status", "progress", "status", "progress", "result"],
            events.Select(e => e.GetProperty("event").GetString()!).ToArray());
        Assert.Equal(50, events[4].GetProperty("data").GetProperty("percentage").GetDouble());
        Assert.Equal("halfway", events[4].GetProperty("data").GetProperty("step").GetString());
        Assert.Contains("Hello", events[^1].GetProperty("data").GetProperty("result").GetString());
    }

    [Fact]
    public async Task A_stream_that_breaks_resumes_with_Last_Event_ID_and_misses_nothing()
    {
        var id = await SubmitAsync("drop");

        var r = await Run("stream", id, "--json");

        Assert.True(r.ExitCode == 0, r.ToString());
        var ids = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetString()).OfType<string>().ToArray();
        Assert.Equal(Enumerable.Range(1, 7).Select(i => i.ToString()).ToArray(), ids);
        var streams = _server.Requests.Where(q => q.Path == $"/api/v1/runs/{id}/stream").ToList();
        Assert.Equal(2, streams.Count);
        Assert.False(streams[0].Headers.ContainsKey("Last-Event-ID"));
        Assert.Equal("2", streams[1].Headers["Last-Event-ID"]);
    }

    [Fact]
    public async Task Submit_stream_shows_progress_and_ends_with_the_failure()
    {
        var r = await Run("submit", "fail", "--stream");

        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("failed: boom", r.Stderr);
        Assert.Contains(" failed", r.Stderr);
    }

    [Fact]
    public async Task The_api_url_and_key_come_from_the_environment_and_a_missing_key_exits_2()
    {
        await using var keyed = await FakeJobsServer.StartAsync(apiKey: "s3cret");

        var refused = await CliProcess.RunAsync(_dir, psi => psi.Environment["PRAISON_API_URL"] = keyed.Url, "run", "submit", "hi");
        Assert.True(refused.ExitCode == 2, refused.ToString());
        Assert.Contains("Unauthorized", refused.Stderr);
        Assert.Contains("--api-key", refused.Stderr);

        var ok = await CliProcess.RunAsync(_dir, psi =>
        {
            psi.Environment["PRAISON_API_URL"] = keyed.Url;
            psi.Environment["PRAISON_JOBS_API_KEY"] = "s3cret";
        }, "run", "submit", "hi");
        Assert.True(ok.ExitCode == 0, ok.ToString());
        Assert.Equal("Bearer s3cret", keyed.Requests.Last().Headers["Authorization"]);
    }

    [Theory]
    [InlineData("submit", "x", "--recipe-config", "[1]")]
    [InlineData("submit", "x", "--recipe", "a", "--agent-file", "agents.yaml")]
    [InlineData("submit", "x", "--webhook-url", "not a url")]
    [InlineData("submit", "x", "--metadata", "novalue")]
    [InlineData("submit", "x", "--idempotency-scope", "user")]
    [InlineData("submit", "x", "--timeout", "0")]
    [InlineData("list", "--page-size", "101")]
    public async Task Bad_flags_exit_2_before_anything_is_sent(params string[] args)
    {
        var r = await Run(args);
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.DoesNotContain(_server.Requests, q => q.Path.StartsWith("/api/v1/runs", StringComparison.Ordinal));
    }

    [Fact]
    public async Task No_server_exits_8()
    {
        var r = await CliProcess.RunAsync(_dir, "run", "status", "run_000000000000", "--api-url", "http://127.0.0.1:1");
        Assert.True(r.ExitCode == 8, r.ToString());
        Assert.Contains("did not answer", r.Stderr);
    }
}
