using System.Diagnostics;
using Microsoft.Extensions.AI;
using Praison.Actors.TestSupport;
using Praison.Actors.Benchmarks.Harness;

namespace Praison.Actors.Benchmarks.Scenarios;

/// <summary>
/// Runtime overhead per streamed model token: the OpenAI-compatible stub (loopback Kestrel, the agents tests' own)
/// streams N tokens as fast as it can; tokens/s through a background agent task (SubmitAgentAsync, submit to result,
/// progress throttled to the default 250 ms) vs the same IChatClient read directly, same process and run. Opt-in.
/// </summary>
public sealed class AgentScenario : Scenario
{
    public override string Name => "agent";

    public override bool OptIn => true;

    public override async Task RunAsync(ScenarioResult result, HarnessOptions o, CancellationToken ct)
    {
        const int tokens = 10_000;
        var model = $"tokens-{tokens}";
        result.Settings = $"the stub streams {tokens:N0} one-token chunks per request over loopback HTTP; {o.Runs} runs after one warm-up of each side. " +
                          "Project = SubmitAgentAsync on an ephemeral runtime, submit to result; Raw = the same IChatClient's GetStreamingResponseAsync read directly.";
        await using var stub = await OpenAIStub.StartAsync();
        var endpoint = new AgentEndpoint(new AgentEndpointOptions { BaseUrl = stub.BaseUrl, Model = model });
        var client = endpoint.GetChatClient();
        await using var runtime = await PraisonRuntime.StartAsync(cancellationToken: ct);

        var figure = new Figure { Case = $"{tokens:N0} streamed tokens", Metric = "throughput", Unit = "tokens/s" };
        var overhead = new Figure { Case = $"{tokens:N0} streamed tokens", Metric = "overhead per token", Unit = "µs" };
        await DirectAsync(client, ct);
        await ThroughTaskAsync(runtime.Runner, endpoint, ct);
        for (var run = 0; run < o.Runs; run++)
        {
            Settle();
            var direct = await DirectAsync(client, ct);
            Settle();
            var task = await ThroughTaskAsync(runtime.Runner, endpoint, ct);
            if (direct.Count != tokens || task.Count != tokens)
                throw new InvalidOperationException($"expected {tokens} tokens, got {direct.Count} directly and {task.Count} through the task");
            figure.Add(Side.Raw, tokens / direct.Elapsed.TotalSeconds);
            figure.Add(Side.Project, tokens / task.Elapsed.TotalSeconds);
            overhead.Add(Side.Project, (task.Elapsed - direct.Elapsed).TotalMicroseconds / tokens);
            Progress($"run {run + 1}: direct {direct.Elapsed.TotalMilliseconds:0} ms, background task {task.Elapsed.TotalMilliseconds:0} ms");
        }
        result.Figures.Add(figure);
        result.Figures.Add(overhead);
    }

    private static async Task<(long Count, TimeSpan Elapsed)> DirectAsync(IChatClient client, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        long count = 0;
        await foreach (var u in client.GetStreamingResponseAsync("go", cancellationToken: ct))
            if (!string.IsNullOrEmpty(u.Text)) count++;
        return (count, sw.Elapsed);
    }

    private static async Task<(long Count, TimeSpan Elapsed)> ThroughTaskAsync(IBackgroundRunner runner, AgentEndpoint endpoint, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        var handle = await runner.SubmitAgentAsync(endpoint, "go", cancellationToken: ct);
        var r = await handle.WaitAsync(TimeSpan.FromMinutes(5), ct);
        return (r.Usage.OutputTokens, sw.Elapsed);
    }
}
