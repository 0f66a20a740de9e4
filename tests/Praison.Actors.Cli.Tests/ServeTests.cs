using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Praison.Actors.Cli.Tests;

/// <summary>`serve`: the jobs API over HTTP, and the CLI commands that go through it from other processes.</summary>
public sealed class ServeTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Submit_without_a_host_stays_pending_until_serve_runs_it()
    {
        var submit = await CliProcess.RunAsync(_dir, "background", "submit", "--recipe", "hello", "-i", """{"name":"later"}""", "--json");
        Assert.True(submit.ExitCode == 0, submit.ToString());
        var id = submit.Json().GetProperty("taskId").GetString()!;
        Assert.Equal("pending", submit.Json().GetProperty("status").GetString());
        Assert.Contains("No host is running", submit.Stderr);

        var status = await CliProcess.RunAsync(_dir, "background", "status", id, "--json");
        Assert.Equal("pending", status.Json().GetProperty("status").GetString());

        using var serve = await Serve.StartAsync(_dir);
        var wait = await CliProcess.RunAsync(_dir, "background", "wait", id, "--timeout", "60", "--json");
        Assert.True(wait.ExitCode == 0, wait.ToString());
        Assert.Equal("Hello, later!", wait.Json().GetProperty("result").GetProperty("greeting").GetString());
    }

    [Fact]
    public async Task Run_submit_wait_status_list_and_an_idempotency_key_against_serve()
    {
        using var serve = await Serve.StartAsync(_dir);
        var url = serve.Url.ToString();

        // PraisonAI's `praisonai run submit` form: the prompt is the input (a JSON object's properties reach the recipe).
        var waited = await CliProcess.RunAsync(_dir, "run", "submit", """{"name": "Ada"}""", "--recipe", "hello", "--wait",
            "--idempotency-key", "order-7", "--json", "--api-url", url);
        Assert.True(waited.ExitCode == 0, waited.ToString());
        var result = waited.Json();
        Assert.Equal("succeeded", result.GetProperty("status").GetString());
        Assert.Equal("Hello, Ada!", result.GetProperty("result").GetProperty("greeting").GetString());
        var id = result.GetProperty("job_id").GetString()!;

        // The same key names the same job: nothing new runs, whatever the prompt says.
        var again = await CliProcess.RunAsync(_dir, "run", "submit", """{"name": "Bob"}""", "--recipe", "hello",
            "--idempotency-key", "order-7", "--json", "--api-url", url);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal(id, again.Json().GetProperty("job_id").GetString());

        var status = await CliProcess.RunAsync(_dir, "run", "status", id, "--json", "--api-url", url);
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Equal("succeeded", status.Json().GetProperty("status").GetString());
        Assert.Equal(100, status.Json().GetProperty("progress").GetProperty("percentage").GetDouble());

        var list = await CliProcess.RunAsync(_dir, "run", "list", "--status", "succeeded", "--json", "--api-url", url);
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains(id, list.Stdout);

        var unknown = await CliProcess.RunAsync(_dir, "run", "status", "run_000000000000", "--api-url", url);
        Assert.Equal(6, unknown.ExitCode);
    }

    [Fact]
    public async Task Cancel_from_another_process_goes_through_serve()
    {
        using var serve = await Serve.StartAsync(_dir);
        // No --server: the CLI finds the host through the data directory.
        var submit = await CliProcess.RunAsync(_dir, "background", "submit", "-r", "sleep", "-i", """{"seconds":120}""", "--json");
        Assert.True(submit.ExitCode == 0, submit.ToString());
        var id = submit.Json().GetProperty("taskId").GetString()!;
        await EventuallyStatusAsync(serve, id, "running");

        var cancel = await CliProcess.RunAsync(_dir, "background", "cancel", id, "--server", serve.Url.ToString(), "--json");
        Assert.True(cancel.ExitCode == 0, cancel.ToString());
        Assert.Equal("cancelled", cancel.Json().GetProperty("status").GetString());

        var again = await CliProcess.RunAsync(_dir, "background", "cancel", id);
        Assert.True(again.ExitCode == 7, again.ToString());
        Assert.Matches("already (finished|complete)", again.Stderr); // the host's answer, in the jobs API's words

        var wait = await CliProcess.RunAsync(_dir, "background", "wait", id);
        Assert.Equal(3, wait.ExitCode);
    }

    [Fact]
    public async Task Jobs_api_submit_status_result_list_cancel_delete_and_health()
    {
        using var serve = await Serve.StartAsync(_dir);
        var http = serve.Http;

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health")).StatusCode);

        var bad = await http.PostAsJsonAsync("/api/v1/runs", new { recipe_name = "nope", prompt = "x" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.StatusCode);
        Assert.Contains("Unknown recipe 'nope'", (await bad.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
        var badTimeout = await http.PostAsJsonAsync("/api/v1/runs", new { recipe = "sleep", prompt = "x", timeout_sec = -1 });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, badTimeout.StatusCode);

        var submitted = await http.PostAsJsonAsync("/api/v1/runs", new { recipe = "sleep", input = new { seconds = 120 }, session_id = "api" });
        Assert.Equal(HttpStatusCode.Accepted, submitted.StatusCode);
        var id = (await submitted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("job_id").GetString()!;
        Assert.Equal(new Uri(http.BaseAddress!, $"/api/v1/runs/{id}"), submitted.Headers.Location);

        var running = await EventuallyStatusAsync(serve, id, "running");
        Assert.Equal("sleep", running.GetProperty("recipe").GetString());
        Assert.Equal(HttpStatusCode.Conflict, (await http.GetAsync($"/api/v1/runs/{id}/result")).StatusCode);

        var quick = await http.PostAsJsonAsync("/api/v1/runs", new { recipe_name = "hello", input = new { name = "api" } });
        var quickId = (await quick.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("job_id").GetString()!;
        await EventuallyStatusAsync(serve, quickId, "completed");
        var result = await http.GetFromJsonAsync<JsonElement>($"/api/v1/runs/{quickId}/result");
        Assert.Equal("Hello, api!", result.GetProperty("result").GetProperty("greeting").GetString());

        var page = await http.GetFromJsonAsync<JsonElement>("/api/v1/runs?status=running&session_id=api&page=1&page_size=10");
        Assert.Equal(1, page.GetProperty("total").GetInt32());
        Assert.Equal(id, page.GetProperty("jobs")[0].GetProperty("job_id").GetString());
        var secondPage = await http.GetFromJsonAsync<JsonElement>("/api/v1/runs?page=2&page_size=1");
        Assert.Equal(2, secondPage.GetProperty("total").GetInt32());
        Assert.Equal(1, secondPage.GetProperty("jobs").GetArrayLength());
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync("/api/v1/runs?status=bogus")).StatusCode);

        Assert.Equal(HttpStatusCode.Conflict, (await http.DeleteAsync($"/api/v1/runs/{id}")).StatusCode);
        var cancel = await http.PostAsync($"/api/v1/runs/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.Equal("cancelled", (await cancel.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.Conflict, (await http.PostAsync($"/api/v1/runs/{id}/cancel", null)).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync($"/api/v1/runs/{id}")).StatusCode);
        await EventuallyAsync(async () => (await http.GetAsync($"/api/v1/runs/{id}")).StatusCode == HttpStatusCode.NotFound,
            "the deleted run to answer 404");
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/api/v1/runs/nope/result")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.PostAsync("/api/v1/runs/nope/cancel", null)).StatusCode);
    }

    [Fact]
    public async Task A_stream_gets_heartbeat_events_and_still_ends_with_the_result()
    {
        using var serve2 = await Serve.StartAsync(_dir, "--sse-heartbeat", "0.2");
        var submitted = await serve2.Http.PostAsJsonAsync("/api/v1/runs", new { recipe = "sleep", input = new { seconds = 2 } });
        var id = (await submitted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("job_id").GetString()!;

        using var response = await serve2.Http.GetAsync($"/api/v1/runs/{id}/stream", HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var lines = new List<string>();
        while (await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)) is { } line) lines.Add(line);

        // Heartbeats arrive while the run sleeps, between whole events: the last event is the result.
        Assert.Contains("event: heartbeat", lines);
        var events = lines.Where(l => l.StartsWith("event: ", StringComparison.Ordinal)).ToList();
        Assert.Equal("event: result", events[^1]);
        Assert.True(lines.IndexOf("event: heartbeat") < lines.IndexOf("event: result"), string.Join(" | ", lines));
    }

    [Fact]
    public async Task A_heartbeat_that_is_not_positive_is_refused()
    {
        var serve = CliProcess.Start(_dir, ["serve", "--urls", "http://127.0.0.1:0", "--sse-heartbeat", "0"]);
        var result = await serve.WaitForExitAsync();
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--sse-heartbeat must be a number of seconds above 0", result.Stderr);
    }

    [Fact]
    public async Task Serve_off_loopback_without_an_api_key_refuses_to_start_and_says_how_to_set_one()
    {
        var serve = CliProcess.Start(_dir, ["serve", "--urls", "http://0.0.0.0:0"]);
        var result = await serve.WaitForExitAsync();
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("no API key", result.Stderr);
        Assert.Contains("PRAISON_JOBS_API_KEY=", result.Stderr);
    }

    [Fact]
    public async Task Serve_with_an_api_key_answers_401_without_it_and_the_cli_sends_it_from_the_environment()
    {
        const string key = "cli-test-key-0123456789";
        using var serve = await Serve.StartAsync(_dir, psi => psi.Environment["PRAISON_JOBS_API_KEY"] = key);
        Assert.Equal(HttpStatusCode.OK, (await serve.Http.GetAsync("/health")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await serve.Http.GetAsync("/api/v1/runs")).StatusCode);
        var withBearer = new HttpRequestMessage(HttpMethod.Get, "/api/v1/runs");
        withBearer.Headers.Authorization = new("Bearer", key);
        Assert.Equal(HttpStatusCode.OK, (await serve.Http.SendAsync(withBearer)).StatusCode);

        var refused = await CliProcess.RunAsync(_dir, psi => psi.Environment.Remove("PRAISON_JOBS_API_KEY"),
            "background", "submit", "-r", "hello", "--server", serve.Url.ToString());
        Assert.True(refused.ExitCode != 0, refused.ToString());
        Assert.Contains("Unauthorized", refused.Stderr);
        var submit = await CliProcess.RunAsync(_dir, psi => psi.Environment["PRAISONAI_JOBS_API_KEY"] = key,
            "background", "submit", "-r", "hello", "-i", """{"name":"key"}""", "--server", serve.Url.ToString(), "--json");
        Assert.True(submit.ExitCode == 0, submit.ToString());
    }

    [Fact]
    public async Task Two_stream_subscribers_on_one_run_each_get_status_progress_and_the_result()
    {
        // Waits for a release file, so both subscribers are connected before any progress happens.
        var release = Path.Combine(_dir.Path, "release");
        _dir.Write("recipes/gated/TEMPLATE.yaml", """
            name: gated
            steps:
              - name: wait for release
                command: sh
                args: ["-c", "while [ ! -f \"$0\" ]; do sleep 0.05; done", "{{input.release}}"]
                allow_outside: true   # the release file lives in the test's folder, outside the recipe's
              - name: finish
                command: echo
                args: ["done"]
            """);
        using var serve2 = await Serve.StartAsync(_dir);

        var submitted = await serve2.Http.PostAsJsonAsync("/api/v1/runs", new { recipe = "gated", input = new { release } });
        var id = (await submitted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("job_id").GetString()!;
        await EventuallyStatusAsync(serve2, id, "running");

        var a = SseReader.Open(serve2.Http, $"/api/v1/runs/{id}/stream");
        var b = SseReader.Open(serve2.Http, $"/api/v1/runs/{id}/stream");
        // Each subscriber's first event is the current state: both are connected once it arrives.
        await a.WaitForEventAsync("status");
        await b.WaitForEventAsync("status");
        File.WriteAllText(release, "go");

        foreach (var reader in new[] { a, b })
        {
            var events = await reader.ReadToEndAsync();
            var names = events.Select(e => e.Name).ToList();
            Assert.Contains("progress", names);
            Assert.Equal("result", names[^1]);
            Assert.Contains(events, e => e.Name == "progress" && e.Data.GetProperty("step").GetString() == "step 2/2: finish");
            Assert.Contains(events, e => e.Name == "status" && e.Data.GetProperty("status").GetString() == "succeeded");
            Assert.StartsWith("{\"", events[^1].Data.GetProperty("result").GetString()); // str(result) (its JSON text), as praisonai sends it
        }
        var result = await serve2.Http.GetFromJsonAsync<JsonElement>($"/api/v1/runs/{id}/result");
        Assert.Equal("done\n", result.GetProperty("result").GetProperty("steps")[1].GetProperty("output").GetString());
    }

    internal static async Task<JsonElement> EventuallyStatusAsync(Serve serve, string id, string status)
    {
        JsonElement last = default;
        await EventuallyAsync(async () =>
        {
            last = await serve.Http.GetFromJsonAsync<JsonElement>($"/api/v1/runs/{id}");
            // Either vocabulary: the API answers praisonai's (succeeded), callers may name ours (completed).
            return ApiName(last.GetProperty("status").GetString()!) == ApiName(status);
        }, $"run {id} to be {status}");
        return last;
    }

    private static string ApiName(string status) => status switch { "pending" => "queued", "completed" => "succeeded", _ => status };

    /// <summary>Polls <paramref name="condition"/> until it holds, failing after 60 s.</summary>
    internal static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new Xunit.Sdk.XunitException($"Timed out waiting for {what}.");
            await Task.Delay(50);
        }
    }
}

/// <summary>Reads a server-sent-events stream into (event, data) pairs as they arrive.</summary>
public sealed class SseReader
{
    private readonly List<(string Name, JsonElement Data)> _events = new();
    private readonly Lock _lock = new();
    private readonly List<(string Name, TaskCompletionSource Found)> _waiters = new();
    private readonly Task _reading;

    private SseReader(HttpClient http, string path) => _reading = ReadAsync(http, path);

    public static SseReader Open(HttpClient http, string path) => new(http, path);

    private async Task ReadAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        string? name = null;
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("event: ")) name = line["event: ".Length..];
            else if (line.StartsWith("data: ") && name is not null)
            {
                using var doc = JsonDocument.Parse(line["data: ".Length..]);
                lock (_lock)
                {
                    _events.Add((name, doc.RootElement.Clone()));
                    foreach (var w in _waiters.Where(w => w.Name == name).ToList())
                    {
                        _waiters.Remove(w);
                        w.Found.TrySetResult();
                    }
                }
            }
        }
    }

    public async Task WaitForEventAsync(string name)
    {
        var found = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            if (_events.Any(e => e.Name == name)) return;
            _waiters.Add((name, found));
        }
        var first = await Task.WhenAny(found.Task, _reading, Task.Delay(TimeSpan.FromSeconds(60)));
        if (first != found.Task)
        {
            if (_reading.IsFaulted) await _reading;
            throw new Xunit.Sdk.XunitException($"No '{name}' event arrived.");
        }
    }

    /// <summary>Every event, once the server ends the stream (after the terminal event).</summary>
    public async Task<List<(string Name, JsonElement Data)>> ReadToEndAsync()
    {
        await _reading.WaitAsync(TimeSpan.FromSeconds(60));
        lock (_lock) return _events.ToList();
    }
}
