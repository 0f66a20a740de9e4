using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Praison.Actors.TestSupport;

namespace Praison.Actors.Cli.Tests;

/// <summary>Agents recipes through `background run`: a PraisonAI agents.yaml folder against the stub, and a missing endpoint.</summary>
public sealed class AgentRecipeCliTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private OpenAIStub _stub = null!;

    public async Task InitializeAsync() => _stub = await OpenAIStub.StartAsync();

    public async Task DisposeAsync()
    {
        await _stub.DisposeAsync();
        _dir.Dispose();
    }

    private Action<ProcessStartInfo> Endpoint(string? baseUrl) => psi =>
    {
        foreach (var key in new[] { "OPENAI_BASE_URL", "OPENAI_API_BASE", "OPENAI_API_KEY", "OPENAI_MODEL_NAME", "PRAISON_MODEL_PRICES" })
            psi.Environment.Remove(key);
        if (baseUrl is null) return;
        psi.Environment["OPENAI_BASE_URL"] = baseUrl;
        psi.Environment["OPENAI_MODEL_NAME"] = "echo";
    };

    [Fact]
    public async Task An_agents_yaml_folder_runs_its_tasks_in_order_through_background_run()
    {
        _dir.Write("recipes/team/TEMPLATE.yaml", "name: team\nruntime:\n  timeout_sec: 60\n");
        _dir.Write("recipes/team/agents.yaml", """
            framework: praisonai
            topic: Actors
            roles:
              researcher:
                role: Researcher
                goal: Find facts
                backstory: Curious.
                tasks:
                  research:
                    description: Research {topic} for {{input.audience}}
                    expected_output: Facts
              writer:
                role: Writer
                goal: Write
                backstory: Clear.
                tasks:
                  write:
                    description: Summarise for {{input.audience}}
                    expected_output: A paragraph
            """);

        var r = await CliProcess.RunAsync(_dir, Endpoint(_stub.BaseUrl), "background", "run", "team", "-i", """{"audience":"kids"}""", "--json");

        Assert.True(r.ExitCode == 0, r.ToString());
        var result = r.Json().GetProperty("result");
        Assert.StartsWith("ECHO: Summarise for kids", result.GetProperty("text").GetString());
        Assert.Equal(2, result.GetProperty("tasks").GetArrayLength());
        Assert.Equal(2, _stub.For("echo").Count);
        Assert.Contains("Context from the previous task:\nECHO: Research Actors for kids", _stub.For("echo")[1].Messages[1].Text);
    }

    [Fact]
    public async Task Ask_without_a_model_endpoint_exits_2_naming_the_setting_and_stores_nothing()
    {
        var r = await CliProcess.RunAsync(_dir, Endpoint(null), "background", "run", "ask", "-i", """{"prompt":"hi"}""");

        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("OPENAI_BASE_URL", r.ToString());
        Assert.Contains("--base-url", r.ToString());
        var list = await CliProcess.RunAsync(_dir, "background", "list", "--json");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.DoesNotContain("\"ask\"", list.ToString());
    }

    [Fact]
    public async Task Endpoint_flags_override_the_environment_and_the_key_comes_from_the_named_variable()
    {
        var r = await CliProcess.RunAsync(_dir, psi =>
            {
                Endpoint("http://127.0.0.1:9/v1")(psi); // an endpoint nothing listens on: the flags must win
                psi.Environment["OPENAI_API_KEY"] = "not-this-one";
                psi.Environment["STUB_KEY"] = "sk-from-stub-key";
            },
            "background", "run", "ask", "-i", """{"prompt":"hi there"}""", "--json",
            "--base-url", _stub.BaseUrl, "--llm", "tokens-3", "--api-key-env", "STUB_KEY");

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("t t t", r.Json().GetProperty("result").GetProperty("text").GetString()!.Trim());
        var request = Assert.Single(_stub.For("tokens-3"));
        Assert.Equal("Bearer sk-from-stub-key", request.Authorization);
    }

    [Theory]
    [InlineData("--api-key-env", "NO_SUCH_KEY_VARIABLE", "NO_SUCH_KEY_VARIABLE is not set")]
    [InlineData("--base-url", "ftp://example.com", "--base-url must be an http(s) URL")]
    [InlineData("--model", " ", "--model is empty")]
    public async Task Bad_endpoint_flags_exit_2_naming_the_flag_and_store_nothing(string flag, string value, string message)
    {
        var r = await CliProcess.RunAsync(_dir, Endpoint(_stub.BaseUrl), "background", "run", "ask", "-i", """{"prompt":"hi"}""", flag, value);

        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains(message, r.Stderr);
        Assert.Empty(_stub.Requests);
        var list = await CliProcess.RunAsync(_dir, "background", "list", "--json");
        Assert.DoesNotContain("\"ask\"", list.ToString());
    }

    [Fact]
    public async Task Serve_refuses_an_agents_root_that_is_not_a_folder()
    {
        var r = await CliProcess.RunAsync(_dir, Endpoint(_stub.BaseUrl), "serve", "--urls", "http://127.0.0.1:0", "--agents-root", Path.Combine(_dir.Path, "missing"));

        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("--agents-root", r.Stderr);
    }

    [Fact]
    public async Task Serve_runs_agent_file_jobs_from_its_agents_root_on_the_endpoint_its_flags_name()
    {
        _dir.Write("agents/team.yaml", """
            roles:
              writer:
                role: Writer
                tasks:
                  write:
                    description: "Write about {{input.prompt}}"
            """);
        using var serve = await Serve.StartAsync(_dir, Endpoint(null), "--agents-root", Path.Combine(_dir.Path, "agents"), "--base-url", _stub.BaseUrl, "--model", "echo");

        var submitted = await serve.Http.PostAsJsonAsync("/api/v1/runs", new { prompt = "actors", agent_file = "team.yaml" });
        Assert.True(submitted.StatusCode == System.Net.HttpStatusCode.Accepted, await submitted.Content.ReadAsStringAsync());
        var id = (await submitted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("job_id").GetString()!;
        await ServeTests.EventuallyStatusAsync(serve, id, "succeeded");

        var result = await serve.Http.GetFromJsonAsync<JsonElement>($"/api/v1/runs/{id}/result");
        Assert.Equal("ECHO: Write about actors", result.GetProperty("result").GetProperty("text").GetString());
        var escape = await serve.Http.PostAsJsonAsync("/api/v1/runs", new { prompt = "x", agent_file = "../recipes/x.yaml" });
        Assert.Equal(422, (int)escape.StatusCode);
        Assert.Contains("outside the agents root", await escape.Content.ReadAsStringAsync());
    }
}
