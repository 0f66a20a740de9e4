using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Praison.Actors.Server.Tests;

/// <summary>
/// The requests PraisonAI's clients send, and the fields they read: <c>recipe.submit_job</c> (prompt = str(input),
/// recipe_name, timeout, config, session_id, idempotency_key, webhook_url), <c>JobHandle</c> (polls the status until
/// succeeded|failed|cancelled, reads progress["percentage"], then the result) and <c>praisonai run</c>.
/// </summary>
public sealed class ContractTests : IAsyncLifetime
{
    private JobsHost _host = null!;

    public async Task InitializeAsync() => _host = await JobsHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static readonly string[] Terminal = ["succeeded", "failed", "cancelled"];

    /// <summary>What submit_job sends (Python's json.dumps of its dict: nulls included).</summary>
    private Task<HttpResponseMessage> SubmitJobAsync(string prompt, string? recipe, object? config = null, string? session = null, string? key = null) =>
        _host.Http.PostAsJsonAsync(PraisonJobsEndpoints.RunsPath, new Dictionary<string, object?>
        {
            ["prompt"] = prompt,
            ["recipe_name"] = recipe,
            ["timeout"] = 3600,
            ["config"] = config ?? new { },
            ["session_id"] = session,
            ["idempotency_key"] = key,
            ["webhook_url"] = null,
        });

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    /// <summary>JobHandle.wait(): poll GET /runs/{id} until a terminal status, reading progress["percentage"] each time.</summary>
    private async Task<JsonElement> PollUntilTerminalAsync(string id)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var status = await _host.Http.GetFromJsonAsync<JsonElement>($"{PraisonJobsEndpoints.RunsPath}/{id}");
            var percentage = status.GetProperty("progress").GetProperty("percentage").GetDouble();
            Assert.InRange(percentage, 0, 100);
            if (Terminal.Contains(status.GetProperty("status").GetString())) return status;
            Assert.True(DateTime.UtcNow < deadline, $"job {id} did not finish: {status}");
            await Task.Delay(20); // a client's poll interval, not synchronisation: the loop ends on the observed status
        }
    }

    [Fact]
    public async Task Submit_job_as_the_python_sdk_sends_it_then_job_handle_polls_and_reads_the_result()
    {
        var response = await SubmitJobAsync("{'name': 'Ada', 'n': 3, 'ok': True, 'x': None}", "echo-input",
            config: new { model = "small", shared = "config" }, session: "s1");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var submitted = await JsonAsync(response);
        var id = submitted.GetProperty("job_id").GetString()!;
        Assert.Matches("^run_[0-9a-f]{12}$", id);
        Assert.Contains(submitted.GetProperty("status").GetString(), new[] { "queued", "running", "succeeded" });
        Assert.True(submitted.TryGetProperty("created_at", out _));
        var baseUrl = _host.Http.BaseAddress!.ToString().TrimEnd('/');
        Assert.Equal($"{baseUrl}/api/v1/runs/{id}", submitted.GetProperty("poll_url").GetString());
        Assert.Equal($"{baseUrl}/api/v1/runs/{id}/stream", submitted.GetProperty("stream_url").GetString());
        Assert.Equal(new Uri($"{baseUrl}/api/v1/runs/{id}"), response.Headers.Location);
        Assert.True(response.Headers.Location!.IsAbsoluteUri);
        Assert.Equal(TimeSpan.FromSeconds(2), response.Headers.RetryAfter?.Delta);

        var final = await PollUntilTerminalAsync(id);
        Assert.Equal("succeeded", final.GetProperty("status").GetString());
        Assert.Equal(100, final.GetProperty("progress").GetProperty("percentage").GetDouble());
        Assert.Equal("s1", final.GetProperty("session_id").GetString());

        var result = await _host.Http.GetFromJsonAsync<JsonElement>($"{PraisonJobsEndpoints.RunsPath}/{id}/result");
        Assert.Equal(id, result.GetProperty("job_id").GetString());
        Assert.Equal("succeeded", result.GetProperty("status").GetString());
        foreach (var field in new[] { "result_url", "metrics", "created_at", "started_at", "completed_at", "duration_seconds", "error" })
            Assert.True(result.TryGetProperty(field, out _), $"/result lacks {field}: {result}");
        Assert.Equal(JsonValueKind.Null, result.GetProperty("error").ValueKind);
        var input = result.GetProperty("result").GetProperty("input");
        Assert.Equal("{'name': 'Ada', 'n': 3, 'ok': True, 'x': None}", input.GetProperty("prompt").GetString());
        Assert.Equal("Ada", input.GetProperty("name").GetString());
        Assert.Equal(3, input.GetProperty("n").GetInt32());
        Assert.True(input.GetProperty("ok").GetBoolean());
        Assert.Equal(JsonValueKind.Null, input.GetProperty("x").ValueKind);
        Assert.Equal("small", result.GetProperty("result").GetProperty("config").GetProperty("model").GetString());
    }

    [Fact]
    public async Task Recipe_config_is_merged_over_config()
    {
        var response = await _host.Http.PostAsJsonAsync(PraisonJobsEndpoints.RunsPath, new
        {
            prompt = "plain text",
            recipe_name = "echo-input",
            config = new { a = 1, shared = "config" },
            recipe_config = new { b = 2, shared = "recipe_config" },
        });
        var id = (await JsonAsync(response)).GetProperty("job_id").GetString()!;
        await PollUntilTerminalAsync(id);
        var result = (await _host.Http.GetFromJsonAsync<JsonElement>($"{PraisonJobsEndpoints.RunsPath}/{id}/result")).GetProperty("result");
        Assert.Equal("""{"prompt":"plain text"}""", result.GetProperty("input").GetRawText());
        var config = result.GetProperty("config");
        Assert.Equal(1, config.GetProperty("a").GetInt32());
        Assert.Equal(2, config.GetProperty("b").GetInt32());
        Assert.Equal("recipe_config", config.GetProperty("shared").GetString());
    }

    [Fact]
    public async Task The_status_object_has_every_field_praisonai_reads_and_progress_is_always_an_object()
    {
        var response = await SubmitJobAsync("""{"gate": "fields"}""", "gated");
        var id = (await JsonAsync(response)).GetProperty("job_id").GetString()!;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        JsonElement status;
        do
        {
            status = await _host.Http.GetFromJsonAsync<JsonElement>($"{PraisonJobsEndpoints.RunsPath}/{id}");
            foreach (var field in new[] { "job_id", "status", "progress", "created_at", "started_at", "completed_at", "agent_id", "run_id", "session_id", "error", "retry_after" })
                Assert.True(status.TryGetProperty(field, out _), $"the status object lacks {field}: {status}");
            Assert.Equal(JsonValueKind.Object, status.GetProperty("progress").ValueKind);
            Assert.True(DateTime.UtcNow < deadline, $"no progress reported: {status}");
        }
        while (status.GetProperty("progress").GetProperty("percentage").GetDouble() < 50);

        Assert.Equal("running", status.GetProperty("status").GetString());
        Assert.Equal(5, status.GetProperty("retry_after").GetInt32());
        var progress = status.GetProperty("progress");
        Assert.Equal(50, progress.GetProperty("percentage").GetDouble());
        Assert.Equal("step 1/2: first", progress.GetProperty("current_step").GetString());
        Assert.Equal(0, progress.GetProperty("steps_completed").GetInt32());
        Assert.Equal(2, progress.GetProperty("steps_total").GetInt32());
        Assert.Equal(HttpStatusCode.Conflict, (await _host.Http.GetAsync($"{PraisonJobsEndpoints.RunsPath}/{id}/result")).StatusCode);
        await ErrorAnswer.AssertAsync(await _host.Http.DeleteAsync($"{PraisonJobsEndpoints.RunsPath}/{id}"), 409, "Cancel it first");

        JobsHost.Open("fields");
        var final = await PollUntilTerminalAsync(id);
        Assert.Equal("succeeded", final.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, final.GetProperty("retry_after").ValueKind);
        Assert.Equal(2, final.GetProperty("progress").GetProperty("steps_completed").GetInt32());
    }

    [Fact]
    public async Task A_queued_job_says_queued_with_retry_after_2()
    {
        await using var host = await JobsHost.StartAsync();
        // Fill every slot (MaxConcurrentTasks) with gated jobs; one more waits in the queue.
        var ids = new List<string>();
        for (var i = 0; i < host.Runtime.Runner.Options.MaxConcurrentTasks + 1; i++)
        {
            var r = await host.Http.PostAsJsonAsync(PraisonJobsEndpoints.RunsPath, new { prompt = """{"gate": "queue"}""", recipe_name = "gated" });
            ids.Add((await JsonAsync(r)).GetProperty("job_id").GetString()!);
        }
        // The slots fill as the runner starts the jobs: wait until every slot runs one, then exactly one is queued.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while ((await host.Http.GetFromJsonAsync<JsonElement>($"{PraisonJobsEndpoints.RunsPath}?status=running")).GetProperty("total").GetInt32()
               < host.Runtime.Runner.Options.MaxConcurrentTasks)
        {
            Assert.True(DateTime.UtcNow < deadline, "the slots never filled");
            await Task.Delay(20); // a poll interval: the loop ends on the observed count
        }
        var queued = await host.Http.GetFromJsonAsync<JsonElement>($"{PraisonJobsEndpoints.RunsPath}?status=queued");
        Assert.Equal(1, queued.GetProperty("total").GetInt32());
        var job = queued.GetProperty("jobs")[0];
        Assert.Equal("queued", job.GetProperty("status").GetString());
        Assert.Equal(2, job.GetProperty("retry_after").GetInt32());
        Assert.Equal(0, job.GetProperty("progress").GetProperty("percentage").GetDouble());
        Assert.Equal(1, (await host.Http.GetFromJsonAsync<JsonElement>($"{PraisonJobsEndpoints.RunsPath}?status=pending")).GetProperty("total").GetInt32());
        JobsHost.Open("queue");
    }

    [Fact]
    public async Task A_failed_job_has_error_as_a_string_and_the_structure_beside_it()
    {
        var id = (await JsonAsync(await SubmitJobAsync("x", "fail"))).GetProperty("job_id").GetString()!;
        var final = await PollUntilTerminalAsync(id);
        Assert.Equal("failed", final.GetProperty("status").GetString());
        Assert.Equal("the recipe failed on purpose", final.GetProperty("error").GetString());
        Assert.Equal("exception", final.GetProperty("error_detail").GetProperty("kind").GetString());
        var result = await _host.Http.GetFromJsonAsync<JsonElement>($"{PraisonJobsEndpoints.RunsPath}/{id}/result");
        Assert.Equal("failed", result.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, result.GetProperty("result").ValueKind);
        Assert.Equal("the recipe failed on purpose", result.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Cancel_answers_the_status_object_then_409_and_delete_is_204_then_404_with_detail()
    {
        var id = (await JsonAsync(await SubmitJobAsync("""{"gate": "never-cancel"}""", "gated"))).GetProperty("job_id").GetString()!;
        var cancel = await _host.Http.PostAsync($"{PraisonJobsEndpoints.RunsPath}/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        var body = await JsonAsync(cancel);
        Assert.Equal(id, body.GetProperty("job_id").GetString());
        Assert.Equal("cancelled", body.GetProperty("status").GetString());
        await ErrorAnswer.AssertAsync(await _host.Http.PostAsync($"{PraisonJobsEndpoints.RunsPath}/{id}/cancel", null), 409, "already complete", "cancelled");
        var result = await _host.Http.GetFromJsonAsync<JsonElement>($"{PraisonJobsEndpoints.RunsPath}/{id}/result");
        Assert.Equal("cancelled", result.GetProperty("status").GetString());

        Assert.Equal(HttpStatusCode.NoContent, (await _host.Http.DeleteAsync($"{PraisonJobsEndpoints.RunsPath}/{id}")).StatusCode);
        var gone = await _host.Http.GetAsync($"{PraisonJobsEndpoints.RunsPath}/{id}");
        await ErrorAnswer.AssertAsync(gone, 404, $"Job not found: {id}");
        Assert.Equal($"Job not found: {id}", (await JsonAsync(gone)).GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("succeeded")]
    [InlineData("completed")]
    [InlineData("SUCCEEDED")]
    public async Task List_filters_by_either_status_vocabulary_and_answers_in_praisonais(string filter)
    {
        var id = (await JsonAsync(await SubmitJobAsync("x", "echo", session: "list"))).GetProperty("job_id").GetString()!;
        await PollUntilTerminalAsync(id);
        var page = await _host.Http.GetFromJsonAsync<JsonElement>($"{PraisonJobsEndpoints.RunsPath}?status={filter}&session_id=list&page=1&page_size=100");
        Assert.Equal(1, page.GetProperty("total").GetInt32());
        Assert.Equal(1, page.GetProperty("page").GetInt32());
        Assert.Equal(100, page.GetProperty("page_size").GetInt32());
        Assert.Equal(id, page.GetProperty("jobs")[0].GetProperty("job_id").GetString());
        Assert.Equal("succeeded", page.GetProperty("jobs")[0].GetProperty("status").GetString());
    }

    [Fact]
    public async Task An_unknown_status_filter_is_a_400_with_detail()
    {
        var response = await _host.Http.GetAsync($"{PraisonJobsEndpoints.RunsPath}?status=done");
        await ErrorAnswer.AssertAsync(response, 400, "Invalid status: done", "queued, running, succeeded, failed, cancelled");
    }

    [Fact]
    public async Task A_missing_prompt_is_a_422_with_fastapi_detail()
    {
        var response = await _host.Http.PostAsJsonAsync(PraisonJobsEndpoints.RunsPath, new { recipe_name = "echo" });
        await ErrorAnswer.AssertInvalidAsync(response, "prompt", "'prompt' is required");
        var detail = (await JsonAsync(response)).GetProperty("detail")[0];
        Assert.Equal("missing", detail.GetProperty("type").GetString());
        Assert.Equal(0, await _host.StoredTaskCountAsync());
    }

    [Theory]
    [InlineData("""{"prompt": 5, "recipe_name": "echo"}""", "prompt", "valid string")]
    [InlineData("""{"prompt": "x", "recipe_name": "echo", "config": [1]}""", "config", "valid dictionary")]
    [InlineData("""{"prompt": "x", "recipe_name": "echo", "recipe_config": "a"}""", "recipe_config", "valid dictionary")]
    [InlineData("""{"prompt": "x", "recipe_name": "echo", "timeout": "soon"}""", "timeout", "whole number")]
    [InlineData("""{"prompt": "x", "recipe_name": "echo", "timeout": 0}""", "timeout", "positive")]
    [InlineData("""{"prompt": "x", "recipe_name": "echo", "idempotency_scope": "planet"}""", "idempotency_scope", "'none', 'session' or 'global'")]
    [InlineData("""{"prompt": "x", "recipe_name": "no-such-recipe"}""", "recipe_name", "no-such-recipe")]
    public async Task Body_validation_failures_are_422_naming_the_field_and_store_nothing(string json, string field, string named)
    {
        var response = await _host.Http.PostAsync(PraisonJobsEndpoints.RunsPath, new StringContent(json, Encoding.UTF8, "application/json"));
        await ErrorAnswer.AssertInvalidAsync(response, field, named);
        Assert.Equal(0, await _host.StoredTaskCountAsync());
    }

    [Fact]
    public async Task Without_a_recipe_or_a_default_one_it_is_a_422_saying_how_to_configure_one()
    {
        var response = await _host.Http.PostAsync(PraisonJobsEndpoints.RunsPath, new StringContent("""{"prompt": "hello"}""", Encoding.UTF8, "application/json"));
        await ErrorAnswer.AssertInvalidAsync(response, "recipe_name", "a job without 'recipe_name'", "OPENAI_BASE_URL", "\"recipe_name\"");
        Assert.Equal(0, await _host.StoredTaskCountAsync());
    }

    [Theory]
    [InlineData("""{"prompt": "hello", "agent_file": "agents.yaml"}""", "agent_file")]
    [InlineData("""{"prompt": "hello", "agent_yaml": "roles: {}"}""", "agent_yaml")]
    public async Task Agents_files_on_a_host_without_the_agents_recipe_are_a_422_saying_how_to_register_it(string json, string field)
    {
        var response = await _host.Http.PostAsync(PraisonJobsEndpoints.RunsPath, new StringContent(json, Encoding.UTF8, "application/json"));
        await ErrorAnswer.AssertInvalidAsync(response, field, "'agents' recipe", "AddAgentRecipes");
        Assert.Equal(0, await _host.StoredTaskCountAsync());
    }

    [Fact]
    public async Task A_prompt_only_job_runs_the_default_recipe_with_the_prompt_as_input()
    {
        await using var host = await JobsHost.StartAsync(new PraisonJobsOptions { DefaultRecipe = "echo-input" });
        var response = await host.Http.PostAsync(PraisonJobsEndpoints.RunsPath,
            new StringContent("""{"prompt": "Analyze this data"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await JsonAsync(response)).GetProperty("job_id").GetString()!;

        var handle = host.Runtime.Runner.GetHandle(id);
        await handle.WaitAsync(TimeSpan.FromSeconds(30));
        var result = await host.Http.GetFromJsonAsync<JsonElement>($"{PraisonJobsEndpoints.RunsPath}/{id}/result");
        Assert.Equal("Analyze this data", result.GetProperty("result").GetProperty("input").GetProperty("prompt").GetString());
        Assert.Equal("echo-input", (await handle.StatusAsync()).RecipeName);
    }

    [Fact]
    public async Task A_recipe_the_host_cannot_run_now_is_a_422_with_its_reason_and_nothing_is_stored()
    {
        await using var host = await JobsHost.StartAsync(new PraisonJobsOptions
        {
            DefaultRecipe = "echo",
            CheckRecipe = r => throw new TaskRejectedException($"'{r.Template.Name}' needs a model endpoint: set OPENAI_BASE_URL."),
        });
        var response = await host.Http.PostAsync(PraisonJobsEndpoints.RunsPath,
            new StringContent("""{"prompt": "hello"}""", Encoding.UTF8, "application/json"));
        await ErrorAnswer.AssertInvalidAsync(response, "recipe_name", "'echo' needs a model endpoint");
        Assert.Equal(0, await host.StoredTaskCountAsync());
    }

    [Fact]
    public async Task Health_is_public_and_has_store_and_executor_stats_and_stats_counts_by_status()
    {
        var health = await _host.Http.GetFromJsonAsync<JsonElement>("/health");
        Assert.Equal("healthy", health.GetProperty("status").GetString());
        Assert.True(health.GetProperty("store").GetProperty("healthy").GetBoolean());
        Assert.Equal(5, health.GetProperty("executor_stats").GetProperty("max_concurrent").GetInt32());

        var id = (await JsonAsync(await SubmitJobAsync("x", "echo"))).GetProperty("job_id").GetString()!;
        await PollUntilTerminalAsync(id);
        var stats = await _host.Http.GetFromJsonAsync<JsonElement>("/stats");
        Assert.Equal(1, stats.GetProperty("total_jobs").GetInt64());
        Assert.Equal(1, stats.GetProperty("by_status").GetProperty("succeeded").GetInt64());
        Assert.Equal(0, stats.GetProperty("by_status").GetProperty("queued").GetInt64());
        Assert.True(stats.TryGetProperty("executor_stats", out _));
    }

    [Fact]
    public async Task Our_own_input_field_still_runs_a_recipe_with_that_json_as_is()
    {
        var response = await _host.Http.PostAsJsonAsync(PraisonJobsEndpoints.RunsPath, new { recipe = "echo-input", input = new[] { 1, 2 } });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await JsonAsync(response)).GetProperty("job_id").GetString()!;
        await PollUntilTerminalAsync(id);
        var result = await _host.Http.GetFromJsonAsync<JsonElement>($"{PraisonJobsEndpoints.RunsPath}/{id}/result");
        Assert.Equal("[1,2]", result.GetProperty("result").GetProperty("input").GetRawText());
    }
}
