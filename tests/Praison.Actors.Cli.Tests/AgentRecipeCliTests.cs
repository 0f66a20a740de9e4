using System.Diagnostics;
using Praison.Actors.Agents.Tests;

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
        var list = await CliProcess.RunAsync(_dir, "background", "list", "--json");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.DoesNotContain("\"ask\"", list.ToString());
    }
}
