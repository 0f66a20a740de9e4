using Praison.Actors.TestSupport;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace Praison.Actors.Agents.Tests;

/// <summary>SubmitAgentAsync against the OpenAI-compatible stub: results, progress, cancel, timeout, budget, failures.</summary>
public sealed class AgentTaskTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private OpenAIStub _stub = null!;
    private PraisonRuntime _runtime = null!;

    public async Task InitializeAsync()
    {
        _stub = await OpenAIStub.StartAsync();
        _runtime = await PraisonRuntime.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _runtime.DisposeAsync();
        await _stub.DisposeAsync();
    }

    private AgentEndpoint Endpoint(string model, ModelPrice? price = null)
    {
        var options = new AgentEndpointOptions { BaseUrl = _stub.BaseUrl, Model = model };
        if (price is not null) options.Prices[model] = price;
        return new AgentEndpoint(options);
    }

    [Fact]
    public async Task The_result_carries_text_messages_usage_cost_model_and_finish_reason()
    {
        var handle = await _runtime.Runner.SubmitAgentAsync(Endpoint("echo", new ModelPrice(1, 2)), "hello world",
            new AgentTaskOptions { Instructions = "Be brief." });

        var result = await handle.WaitAsync(Wait);

        Assert.Equal("ECHO: hello world", result.Text);
        Assert.Equal([new AgentMessage("system", "Be brief."), new AgentMessage("user", "hello world"), new AgentMessage("assistant", "ECHO: hello world")],
            result.Messages);
        Assert.Equal(new AgentUsage(4, 3, Reported: true), result.Usage); // the stub counts words: "Be brief." + "hello world"; 3 chunks
        Assert.Equal((4 * 1m + 3 * 2m) / 1_000_000m, result.CostUsd);
        Assert.Equal("echo", result.Model);
        Assert.Equal("stop", result.FinishReason);
        Assert.True(result.Duration > TimeSpan.Zero);
        Assert.Equal("agent", (await handle.StatusAsync()).Name);
    }

    [Fact]
    public async Task Without_a_price_the_cost_is_null()
    {
        var result = await (await _runtime.Runner.SubmitAgentAsync(Endpoint("echo"), "hi")).WaitAsync(Wait);
        Assert.Null(result.CostUsd);
        Assert.Equal(2, result.Usage.OutputTokens);
    }

    [Fact]
    public async Task Progress_arrives_while_the_model_streams()
    {
        var handle = await _runtime.Runner.SubmitAgentAsync(Endpoint("gated"), "go",
            new AgentTaskOptions { ProgressInterval = TimeSpan.Zero });

        // The stub has sent 5 chunks and holds the rest until the gate opens: progress must already show them.
        await foreach (var update in handle.WatchAsync().WithCancellation(new CancellationTokenSource(Wait).Token))
        {
            if (update.Progress?.Message?.StartsWith("5 tokens", StringComparison.Ordinal) == true)
            {
                Assert.Equal(BackgroundTaskStatus.Running, update.Status);
                break;
            }
        }
        Assert.DoesNotContain(_stub.For("gated"), r => r.Completed.Task.IsCompleted);
        _stub.Gate.TrySetResult();

        var result = await handle.WaitAsync(Wait);
        Assert.Equal(10, result.Usage.OutputTokens);
        var status = await handle.StatusAsync();
        Assert.StartsWith("10 tokens, done", status.Progress!.Message);
        Assert.Equal(1, status.Progress.Fraction);
    }

    [Fact]
    public async Task Cancel_closes_the_model_connection()
    {
        var handle = await _runtime.Runner.SubmitAgentAsync(Endpoint("stall"), "go", new AgentTaskOptions { ProgressInterval = TimeSpan.Zero });
        await WaitForProgressAsync(handle, "2 tokens");

        Assert.True(await handle.CancelAsync());

        var sent = await _stub.For("stall").Single().Disconnected.Task.WaitAsync(Wait);
        Assert.Equal(2, sent);
        await Assert.ThrowsAsync<TaskCanceledException>(() => handle.WaitAsync(Wait));
    }

    [Fact]
    public async Task The_task_timeout_closes_the_model_connection()
    {
        var handle = await _runtime.Runner.SubmitAgentAsync(Endpoint("stall"), "go",
            new AgentTaskOptions { Timeout = TimeSpan.FromSeconds(1) });

        var ex = await Assert.ThrowsAsync<TaskTimedOutException>(() => handle.WaitAsync(Wait));
        Assert.Equal(TaskErrorKind.Timeout, ex.Error.Kind);
        await _stub.For("stall").Single().Disconnected.Task.WaitAsync(Wait);
    }

    [Fact]
    public async Task The_budget_stops_the_run_with_BudgetExceeded_and_closes_the_connection()
    {
        // 1,000 USD per million output tokens: 0.001 USD a token, so a 0.01 USD budget holds about ten tokens.
        var handle = await _runtime.Runner.SubmitAgentAsync(Endpoint("endless"), "go",
            new AgentTaskOptions { MaxCostUsd = 0.01m, Price = new ModelPrice(0, 1000) });

        var ex = await Assert.ThrowsAsync<BackgroundTaskFailedException>(() => handle.WaitAsync(Wait));
        Assert.Equal(TaskErrorKind.BudgetExceeded, ex.Error.Kind);
        Assert.Contains("budget of 0.01 USD", ex.Error.Message);
        Assert.Equal(TaskErrorKind.BudgetExceeded, (await handle.StatusAsync()).Error!.Kind);
        await _stub.For("endless").Single().Disconnected.Task.WaitAsync(Wait);
    }

    [Fact]
    public async Task A_budget_without_a_price_is_refused_at_submit_and_nothing_is_stored()
    {
        var ex = await Assert.ThrowsAsync<ArgumentException>(() =>
            _runtime.Runner.SubmitAgentAsync(Endpoint("echo"), "hi", new AgentTaskOptions { MaxCostUsd = 1 }));
        Assert.Contains("needs a price", ex.Message);
        Assert.Empty(await _runtime.Runner.ListAsync());
    }

    [Fact]
    public async Task A_401_fails_the_task_with_a_message_naming_the_endpoint_and_status()
    {
        var handle = await _runtime.Runner.SubmitAgentAsync(Endpoint("fail-401"), "hi");

        var ex = await Assert.ThrowsAsync<BackgroundTaskFailedException>(() => handle.WaitAsync(Wait));
        Assert.Contains(_stub.BaseUrl, ex.Error.Message);
        Assert.Contains("HTTP 401", ex.Error.Message);
        Assert.Contains("Incorrect API key provided.", ex.Error.Message); // the server's own message, on the same line
        Assert.Equal(typeof(AgentEndpointException).FullName, ex.Error.ErrorType);
        Assert.Single(_stub.For("fail-401")); // never retried
    }

    [Fact]
    public async Task A_429_is_retried_after_its_Retry_After()
    {
        var result = await (await _runtime.Runner.SubmitAgentAsync(Endpoint("retry-429"), "again")).WaitAsync(Wait);

        Assert.Equal("ECHO: again", result.Text);
        var requests = _stub.For("retry-429");
        Assert.Equal(2, requests.Count);
        // Retry-After: 1 — the retry may not come sooner (a lower bound only, never a timing upper bound).
        Assert.True(requests[1].At - requests[0].At >= TimeSpan.FromMilliseconds(900), $"retried after {requests[1].At - requests[0].At}");
    }

    [Fact]
    public async Task A_500_is_retried_then_fails_naming_the_endpoint_and_status()
    {
        var handle = await _runtime.Runner.SubmitAgentAsync(Endpoint("fail-500"), "hi", new AgentTaskOptions { MaxRetries = 2 });

        var ex = await Assert.ThrowsAsync<BackgroundTaskFailedException>(() => handle.WaitAsync(Wait));
        Assert.Contains(_stub.BaseUrl, ex.Error.Message);
        Assert.Contains("HTTP 500", ex.Error.Message);
        Assert.Equal(3, _stub.For("fail-500").Count);
    }

    [Fact]
    public async Task An_unreachable_endpoint_fails_naming_it()
    {
        var endpoint = new AgentEndpoint(new AgentEndpointOptions { BaseUrl = "http://127.0.0.1:1/v1", Model = "echo" });
        var handle = await _runtime.Runner.SubmitAgentAsync(endpoint, "hi");

        var ex = await Assert.ThrowsAsync<BackgroundTaskFailedException>(() => handle.WaitAsync(Wait));
        Assert.Contains("http://127.0.0.1:1/v1", ex.Error.Message);
        Assert.Contains("unreachable", ex.Error.Message);
    }

    [Fact]
    public async Task A_missing_endpoint_is_a_clear_error_at_submit_and_nothing_is_stored()
    {
        var ex = await Assert.ThrowsAsync<AgentConfigurationException>(() =>
            _runtime.Runner.SubmitAgentAsync(new AgentEndpoint(new AgentEndpointOptions()), "hi"));
        Assert.Contains("OPENAI_BASE_URL", ex.Message);

        var noKey = await Assert.ThrowsAsync<AgentConfigurationException>(() =>
            _runtime.Runner.SubmitAgentAsync(new AgentEndpoint(new AgentEndpointOptions { BaseUrl = "https://api.openai.com/v1" }), "hi"));
        Assert.Contains("OPENAI_API_KEY", noKey.Message);

        var badUrl = await Assert.ThrowsAsync<AgentConfigurationException>(() =>
            _runtime.Runner.SubmitAgentAsync(new AgentEndpoint(new AgentEndpointOptions { BaseUrl = "localhost:11434" }), "hi"));
        Assert.Contains("'localhost:11434'", badUrl.Message);

        Assert.Empty(await _runtime.Runner.ListAsync());
    }

    [Fact]
    public async Task A_plain_IChatClient_runs_and_names_its_endpoint()
    {
        var client = Endpoint("echo").GetChatClient();
        var result = await (await _runtime.Runner.SubmitAgentAsync(client, "plain client")).WaitAsync(Wait);
        Assert.Equal("ECHO: plain client", result.Text);
    }

    [Fact]
    public async Task An_Agent_Framework_agent_runs_in_the_background()
    {
        AIAgent agent = new ChatClientAgent(Endpoint("echo").GetChatClient(), instructions: "You echo.", name: "echoer");

        var handle = await _runtime.Runner.SubmitAgentAsync(agent, "from an agent", new AgentTaskOptions { Price = new ModelPrice(0, 1_000_000) });
        var result = await handle.WaitAsync(Wait);

        Assert.Equal("ECHO: from an agent", result.Text);
        Assert.Equal(4, result.Usage.OutputTokens);
        Assert.Equal(4m, result.CostUsd);
        Assert.Equal("echoer", (await handle.StatusAsync()).Name);
        Assert.Contains(_stub.For("echo").Single().Messages, m => m is ("system", "You echo."));
    }

    [Fact]
    public void An_IChatClient_registered_in_DI_wins_over_the_environment()
    {
        var client = Endpoint("echo").GetChatClient();
        using var services = new ServiceCollection().AddSingleton(client)
            .AddSingleton(new AgentEndpointOptions { BaseUrl = "http://elsewhere.invalid/v1" }).BuildServiceProvider();

        var endpoint = AgentEndpoint.Resolve(services);

        Assert.Same(client, endpoint.GetChatClient());
        Assert.Equal(_stub.BaseUrl + "/", endpoint.Address.TrimEnd('/') + "/");
    }

    [Fact]
    public void The_environment_is_read_the_way_PraisonAI_reads_it()
    {
        var env = new Dictionary<string, string>
        {
            ["OPENAI_BASE_URL"] = "http://localhost:11434/v1",
            ["OPENAI_API_KEY"] = "sk-test",
            ["OPENAI_MODEL_NAME"] = "llama3.2",
            ["PRAISON_MODEL_PRICES"] = "llama3.2=0.5/1.5; gpt-4o-mini=0.15/0.60",
        };
        var options = AgentEndpointOptions.FromEnvironment(k => env.GetValueOrDefault(k));
        var endpoint = new AgentEndpoint(options);

        Assert.Equal("http://localhost:11434/v1", endpoint.Address);
        Assert.Equal("llama3.2", endpoint.Model);
        Assert.Equal("sk-test", options.ApiKey);
        Assert.Equal(new ModelPrice(0.5m, 1.5m), endpoint.PriceOf());
        Assert.Equal(new ModelPrice(0.15m, 0.60m), endpoint.PriceOf("GPT-4o-mini"));

        var onlyKey = new AgentEndpoint(AgentEndpointOptions.FromEnvironment(k => k == "OPENAI_API_KEY" ? "sk" : null));
        Assert.Equal(AgentEndpointOptions.OpenAIBaseUrl, onlyKey.Address);
        Assert.Equal(AgentEndpointOptions.DefaultModel, onlyKey.Model);

        var bad = Assert.Throws<AgentConfigurationException>(() =>
            AgentEndpointOptions.FromEnvironment(k => k == "PRAISON_MODEL_PRICES" ? "gpt=cheap" : null));
        Assert.Contains("'gpt=cheap'", bad.Message);
    }

    private static async Task WaitForProgressAsync(ActorHandle handle, string prefix)
    {
        await foreach (var update in handle.WatchAsync().WithCancellation(new CancellationTokenSource(Wait).Token))
            if (update.Progress?.Message?.StartsWith(prefix, StringComparison.Ordinal) == true) return;
        throw new InvalidOperationException($"The task ended without progress '{prefix}'.");
    }
}
