using System.Text.Json;
using Akka.Configuration;
using Praison.Actors.TestSupport;
using Praison.Actors.IntegrationTests.Support;
using Xunit;

namespace Praison.Actors.ClusterTests;

/// <summary>Agent recipes submitted through a two-node cluster (in-process nodes, one SQLite store) complete with usage.</summary>
[Collection("cluster")]
public sealed class AgentClusterTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly SqliteTestStore _dir = new();
    private OpenAIStub _stub = null!;
    private InProcessCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _stub = await OpenAIStub.StartAsync();
        _cluster = await InProcessCluster.StartAsync(_dir.Store, 2,
            _ => new RecipeRegistry().AddAgentRecipes(() => new AgentEndpoint(new AgentEndpointOptions { BaseUrl = _stub.BaseUrl, Model = "echo" })),
            maxConcurrent: 2, ConfigurationFactory.ParseString("akka.loglevel = WARNING"));
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        await _stub.DisposeAsync();
        await _dir.DisposeAsync();
    }

    [Fact]
    public async Task Ask_and_an_agents_file_submitted_on_either_node_complete_with_the_answer_and_usage()
    {
        const string agents = """
            roles:
              writer:
                role: Writer
                tasks:
                  write:
                    description: "Write about {{input.prompt}}"
            """;
        var ask = await _cluster.Nodes[0].Runner.RunBackgroundAsync(AgentRecipes.DefaultName, new RecipeRunOptions { Input = new { prompt = "clusters" } });
        var file = await _cluster.Nodes[1].Runner.RunBackgroundAsync(AgentsYamlRecipe.Name, new RecipeRunOptions
        {
            Input = new Dictionary<string, string> { ["prompt"] = "shards", [AgentsYamlRecipe.YamlInput] = agents },
        });

        // Each is waited for from the other node: the answer crosses the cluster either way.
        var askResult = Parse(await _cluster.Nodes[1].Runner.GetHandle(ask.TaskId).WaitAsync(Patience));
        var fileResult = Parse(await _cluster.Nodes[0].Runner.GetHandle(file.TaskId).WaitAsync(Patience));

        Assert.Equal("ECHO: clusters", askResult.Text);
        Assert.Equal("ECHO: Write about shards", fileResult.Text);
        foreach (var r in new[] { askResult, fileResult })
            Assert.True(r.Usage is { Reported: true, OutputTokens: > 0, InputTokens: > 0 }, r.Usage.ToString());
        Assert.Equal(2, _stub.For("echo").Count);
    }

    private static AgentRecipeResult Parse(object? value) =>
        JsonSerializer.Deserialize<AgentRecipeResult>(((JsonElement)value!).GetRawText(), PraisonJson.Options)!;
}
