using Praison.Actors.TestSupport;
using System.Collections.Concurrent;
using Microsoft.Extensions.AI;

namespace Praison.Actors.Agents.Tests;

/// <summary>The streaming loop's progress throttle, on a clock the test drives (no timing is asserted).</summary>
public sealed class AgentStreamingTests : IAsyncLifetime
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

    /// <summary>A clock that moves <paramref name="step"/> every time it is read.</summary>
    private sealed class SteppingClock(TimeSpan step) : TimeProvider
    {
        private long _ticks;
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public override long GetTimestamp() => Interlocked.Add(ref _ticks, step.Ticks);
    }

    private async Task<List<string>> StreamAsync(TimeSpan step)
    {
        var client = new AgentEndpoint(new AgentEndpointOptions { BaseUrl = _stub.BaseUrl, Model = "tokens-1000" }).GetChatClient();
        var messages = new List<ChatMessage> { new(ChatRole.User, "go") };
        var reports = new ConcurrentQueue<string>();
        var handle = await _runtime.Runner.SubmitAsync(ctx => AgentStreaming.RunAsync(
            ct => AgentTaskExtensions.FromChatClient(client, messages, null, ct), messages,
            new AgentCallSettings(ctx, "stub", null, new AgentBudget(null), TimeSpan.FromMilliseconds(250), 0, "tokens-1000",
                FractionEnd: 1, Clock: new SteppingClock(step), Report: (_, m) => reports.Enqueue(m))));
        var result = await handle.WaitAsync(Wait);
        Assert.Equal(1000, result.Usage.OutputTokens);
        return reports.ToList();
    }

    [Fact]
    public async Task Within_one_interval_only_the_first_update_and_the_end_are_reported()
    {
        var reports = await StreamAsync(TimeSpan.Zero);

        Assert.Equal(2, reports.Count);
        Assert.Equal("1 tokens: t ", reports[0]);
        Assert.StartsWith("1000 tokens, done: …t t", reports[1]);
    }

    [Fact]
    public async Task Progress_comes_once_per_interval_never_per_token()
    {
        // 10 ms per update against a 250 ms interval: one report per 25 of the ~1,000 updates, plus the end.
        var reports = await StreamAsync(TimeSpan.FromMilliseconds(10));

        Assert.InRange(reports.Count, 40, 43);
        var tokens = reports.Select(r => int.Parse(r[..r.IndexOf(' ')])).ToList();
        Assert.Equal(tokens.Order(), tokens);
        Assert.Equal(1000, tokens[^1]);
    }
}
