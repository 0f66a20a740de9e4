using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Praison.Actors.TestSupport;

namespace Praison.Actors.Server.Tests;

/// <summary>
/// PraisonAI's <c>agent_file</c> / <c>agent_yaml</c> jobs against the OpenAI-compatible stub: the text is checked at
/// submit and stored in the task's input (the built-in <c>agents</c> recipe runs it); <c>agent_file</c> only inside
/// the configured root.
/// </summary>
public sealed class AgentJobsTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);
    private readonly string _root = Directory.CreateTempSubdirectory("agents-root-").FullName;
    private readonly string _outside = Directory.CreateTempSubdirectory("agents-outside-").FullName;
    private OpenAIStub _stub = null!;
    private JobsHost _host = null!;

    private static string Agents(string model = "echo", string description = "Summarise {topic} for {{input.prompt}}") => $$"""
        framework: praisonai
        topic: Actors
        roles:
          writer:
            role: Writer
            goal: Write clearly
            backstory: Clear.
            llm: {{model}}
            tasks:
              write:
                description: "{{description}}"
                expected_output: A sentence
        """;

    public async Task InitializeAsync()
    {
        _stub = await OpenAIStub.StartAsync();
        _host = await Start(_root);
    }

    private Task<JobsHost> Start(string? root) => JobsHost.StartAsync(new PraisonJobsOptions
    {
        AgentsRoot = root,
        CheckRecipe = AgentRecipes.EnsureRunnable,
    }, moreRecipes: r => r.AddAgentRecipes(() => new AgentEndpoint(new AgentEndpointOptions { BaseUrl = _stub.BaseUrl, Model = "echo" })));

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _stub.DisposeAsync();
        Directory.Delete(_root, recursive: true);
        Directory.Delete(_outside, recursive: true);
    }

    private Task<HttpResponseMessage> SubmitAsync(object body) => _host.Http.PostAsJsonAsync(PraisonJobsEndpoints.RunsPath, body);

    private async Task<JsonElement> ResultAsync(HttpResponseMessage response)
    {
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("job_id").GetString()!;
        await _host.Runtime.Runner.GetHandle(id).WaitAsync(Wait);
        var result = await _host.Http.GetFromJsonAsync<JsonElement>($"{PraisonJobsEndpoints.RunsPath}/{id}/result");
        Assert.True(result.GetProperty("status").GetString() == "succeeded", result.ToString());
        return result.GetProperty("result");
    }

    [Fact]
    public async Task An_agent_yaml_job_runs_its_agents_on_the_endpoint_with_usage()
    {
        var result = await ResultAsync(await SubmitAsync(new { prompt = "kids", agent_yaml = Agents() }));

        Assert.Equal("agents", result.GetProperty("recipe").GetString());
        Assert.Equal("ECHO: Summarise Actors for kids\n\nExpected output: A sentence", result.GetProperty("text").GetString());
        Assert.True(result.GetProperty("usage").GetProperty("outputTokens").GetInt64() > 0, result.ToString());
        var request = Assert.Single(_stub.For("echo"));
        Assert.Equal(("system", "You are Writer. Clear.\nYour goal: Write clearly"), request.Messages[0]);
    }

    [Fact]
    public async Task An_agent_file_inside_the_root_runs_and_what_runs_is_the_text_read_at_submit()
    {
        Directory.CreateDirectory(Path.Combine(_root, "team"));
        var file = Path.Combine(_root, "team", "agents.yaml");
        await File.WriteAllTextAsync(file, Agents(model: "gated"));

        var response = await SubmitAsync(new { prompt = "kids", agent_file = "team/agents.yaml" });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        // The file changes while the run waits on the model: the stored input still holds what was submitted.
        await File.WriteAllTextAsync(file, Agents(model: "echo", description: "something else"));
        _stub.Gate.TrySetResult();
        var result = await ResultAsync(response);

        Assert.Equal("t t t t t t t t t t", result.GetProperty("text").GetString()!.Trim());
        Assert.Equal("Summarise Actors for kids\n\nExpected output: A sentence", Assert.Single(_stub.For("gated")).Messages[1].Text);
        Assert.Empty(_stub.For("echo"));
    }

    [Fact]
    public async Task Bad_agent_yaml_is_a_422_naming_the_line_and_nothing_is_stored()
    {
        const string broken = "framework: praisonai\nroles:\n  writer:\n    role: Writer\n    tasks: [not, a, mapping]\n";
        var response = await SubmitAsync(new { prompt = "x", agent_yaml = broken });

        await ErrorAnswer.AssertInvalidAsync(response, "agent_yaml", "agent_yaml:5:", "roles.writer.tasks");
        var invalid = await SubmitAsync(new { prompt = "x", agent_yaml = "roles: [unclosed" });
        await ErrorAnswer.AssertInvalidAsync(invalid, "agent_yaml", "agent_yaml:", "invalid YAML");
        Assert.Equal(0, await _host.StoredTaskCountAsync());
        Assert.Empty(_stub.Requests);
    }

    [Fact]
    public async Task Without_a_configured_root_agent_file_is_a_422_saying_how_to_configure_one()
    {
        await using var host = await Start(root: null);
        var response = await host.Http.PostAsJsonAsync(PraisonJobsEndpoints.RunsPath, new { prompt = "x", agent_file = "agents.yaml" });

        await ErrorAnswer.AssertInvalidAsync(response, "agent_file", "--agents-root", AgentsRoot.Variable, "agent_yaml");
        Assert.Equal(0, await host.StoredTaskCountAsync());
    }

    [Fact]
    public async Task Agent_files_that_leave_the_root_are_refused_without_saying_where_they_lead()
    {
        var secret = Path.Combine(_outside, "agents.yaml");
        await File.WriteAllTextAsync(secret, Agents());
        Directory.CreateDirectory(Path.Combine(_root, "sub"));
        File.CreateSymbolicLink(Path.Combine(_root, "link.yaml"), secret);
        Directory.CreateSymbolicLink(Path.Combine(_root, "sub", "out"), _outside);

        foreach (var path in new[] { "../" + Path.GetFileName(_outside) + "/agents.yaml", secret, "link.yaml", "sub/out/agents.yaml", "sub/../../x.yaml" })
        {
            var response = await SubmitAsync(new { prompt = "x", agent_file = path });
            var msg = await ErrorAnswer.AssertInvalidAsync(response, "agent_file", $"'{path}'", "outside the agents root");
            Assert.DoesNotContain(_outside, msg.Replace($"'{path}'", ""));
        }
        Assert.Equal(0, await _host.StoredTaskCountAsync());
        Assert.Empty(_stub.Requests);
    }

    [Theory]
    [InlineData("missing.yaml", "does not exist")]
    [InlineData("folder", "is a folder")]
    [InlineData("", "empty")]
    public async Task An_agent_file_that_is_not_a_readable_file_in_the_root_is_a_422(string path, string problem)
    {
        Directory.CreateDirectory(Path.Combine(_root, "folder"));
        var response = await SubmitAsync(new { prompt = "x", agent_file = path });

        await ErrorAnswer.AssertInvalidAsync(response, "agent_file", problem);
        Assert.Equal(0, await _host.StoredTaskCountAsync());
    }

    [Fact]
    public async Task A_fifo_in_the_root_is_refused_without_opening_it()
    {
        // Opening a FIFO for reading blocks until a writer comes: the submission must be answered, not hang.
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", Path.Combine(_root, "pipe.yaml")))
            await mkfifo.WaitForExitAsync();
        var response = await SubmitAsync(new { prompt = "x", agent_file = "pipe.yaml" });

        await ErrorAnswer.AssertInvalidAsync(response, "agent_file", "not a regular file");
        Assert.Equal(0, await _host.StoredTaskCountAsync());
    }

    [Theory]
    [InlineData("""{"prompt": "x", "agent_file": "a.yaml", "agent_yaml": "roles: {}"}""", "agent_yaml", "not both")]
    [InlineData("""{"prompt": "x", "agent_yaml": "roles: {}", "recipe_name": "echo"}""", "recipe_name", "not both")]
    [InlineData("""{"input": [1], "agent_yaml": "roles: {}"}""", "input", "JSON object")]
    public async Task Conflicting_fields_are_a_422_naming_them(string json, string field, string named)
    {
        var response = await _host.Http.PostAsync(PraisonJobsEndpoints.RunsPath, new StringContent(json, Encoding.UTF8, "application/json"));

        await ErrorAnswer.AssertInvalidAsync(response, field, named);
        Assert.Equal(0, await _host.StoredTaskCountAsync());
    }

    [Fact]
    public async Task Without_a_model_endpoint_an_agent_yaml_job_is_a_422_naming_the_settings()
    {
        await using var host = await JobsHost.StartAsync(new PraisonJobsOptions { CheckRecipe = AgentRecipes.EnsureRunnable },
            moreRecipes: r => r.AddAgentRecipes(() => new AgentEndpoint(new AgentEndpointOptions())));
        var response = await host.Http.PostAsJsonAsync(PraisonJobsEndpoints.RunsPath, new { prompt = "x", agent_yaml = Agents() });

        await ErrorAnswer.AssertInvalidAsync(response, "recipe_name", "OPENAI_BASE_URL");
        Assert.Equal(0, await host.StoredTaskCountAsync());
    }
}
