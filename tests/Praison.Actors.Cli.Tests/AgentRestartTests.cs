using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Praison.Actors.TestSupport;

namespace Praison.Actors.Cli.Tests;

/// <summary>
/// A `serve` process killed (SIGKILL) while an agent run streams from the stub: after the restart the run is run
/// again (<c>on_restart: rerun</c>) and completes; the stub sees the first request cut off and a second one.
/// </summary>
public sealed class AgentRestartTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private OpenAIStub _stub = null!;

    public async Task InitializeAsync() => _stub = await OpenAIStub.StartAsync();

    public async Task DisposeAsync()
    {
        await _stub.DisposeAsync();
        _dir.Dispose();
    }

    private static void NoEndpointVariables(ProcessStartInfo psi)
    {
        foreach (var key in new[] { "OPENAI_BASE_URL", "OPENAI_API_BASE", "OPENAI_API_KEY", "OPENAI_MODEL_NAME", "PRAISON_MODEL_PRICES" })
            psi.Environment.Remove(key);
    }

    private Task<Serve> StartServeAsync() => Serve.StartAsync(_dir, NoEndpointVariables, "--base-url", _stub.BaseUrl);

    [Theory]
    [InlineData("agent_yaml")]
    [InlineData("recipe folder")]
    public async Task An_agent_run_cut_off_by_a_killed_host_is_run_again_after_the_restart_and_completes(string how)
    {
        // The "gated" model streams 5 chunks, then waits for the test's gate: the kill lands mid-stream.
        const string agents = """
            roles:
              writer:
                role: Writer
                llm: gated
                tasks:
                  write:
                    description: "Write about {{input.prompt}}"
            """;
        _dir.Write("recipes/team/TEMPLATE.yaml", "name: team\nruntime:\n  background:\n    on_restart: rerun\n");
        _dir.Write("recipes/team/agents.yaml", agents);
        object body = how == "agent_yaml" ? new { prompt = "actors", agent_yaml = agents } : new { prompt = "actors", recipe_name = "team" };

        string id;
        using (var first = await StartServeAsync())
        {
            var submitted = await first.Http.PostAsJsonAsync("/api/v1/runs", body);
            Assert.True(submitted.StatusCode == System.Net.HttpStatusCode.Accepted, await submitted.Content.ReadAsStringAsync());
            id = (await submitted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("job_id").GetString()!;
            await ServeTests.EventuallyAsync(() => Task.FromResult(_stub.For("gated").Count == 1), "the model request");
            await first.Process.SignalAsync("KILL");
            await first.Process.WaitForExitAsync();
        }
        // The stub saw the client go away mid-answer (5 chunks sent, the rest never).
        Assert.Equal(5, await _stub.For("gated")[0].Disconnected.Task.WaitAsync(TimeSpan.FromSeconds(60)));

        _stub.Gate.TrySetResult(); // the rerun's request streams to the end
        using var second = await StartServeAsync();
        var status = await ServeTests.EventuallyStatusAsync(second, id, "succeeded");

        Assert.Equal(2, _stub.For("gated").Count);
        var result = await second.Http.GetFromJsonAsync<JsonElement>($"/api/v1/runs/{id}/result");
        Assert.Equal("t t t t t t t t t t", result.GetProperty("result").GetProperty("text").GetString()!.Trim());
        Assert.True(result.GetProperty("result").GetProperty("usage").GetProperty("outputTokens").GetInt64() == 10, result.ToString());
        Assert.Equal("Write about actors", _stub.For("gated")[1].Messages[1].Text);
        Assert.NotNull(status.GetProperty("started_at").GetString());
    }
}
