using System.Collections.Concurrent;
using System.Diagnostics;
using Praison.Actors.TestSupport;

namespace Praison.Actors.Agents.Tests;

/// <summary>
/// Traces of agent runs, read with an <see cref="ActivityListener"/> on the <c>Praison.Actors</c> source: a recipe's
/// task run span has one step span per agents-file task, and each step one <c>chat {model}</c> span per model request
/// with the GenAI conventions' tags (model, tokens in and out) matching what the run reported.
/// </summary>
public sealed class AgentSpanTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly ConcurrentQueue<Activity> _spans = new();
    private readonly ActivityListener _listener;
    private OpenAIStub _stub = null!;
    private PraisonRuntime _runtime = null!;
    private readonly RecipeRegistry _recipes = new();

    public AgentSpanTests()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == PraisonTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => _spans.Enqueue(a),
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public async Task InitializeAsync()
    {
        _stub = await OpenAIStub.StartAsync();
        _runtime = await PraisonRuntime.StartAsync(new PraisonRuntimeOptions { Runner = new BackgroundRunnerOptions { Recipes = _recipes } });
    }

    public async Task DisposeAsync()
    {
        await _runtime.DisposeAsync();
        await _stub.DisposeAsync();
        _listener.Dispose();
    }

    private void Register(string name, string firstModel)
    {
        var yaml = $$"""
            framework: praisonai
            topic: spans
            roles:
              researcher:
                role: Researcher
                llm: {{firstModel}}
                tasks:
                  research:
                    description: Research {topic}
              writer:
                role: Writer
                llm: echo
                tasks:
                  write:
                    description: Write about {topic}
            """;
        var endpoint = () => new AgentEndpoint(new AgentEndpointOptions { BaseUrl = _stub.BaseUrl, Model = "echo" });
        _recipes.Register(new AgentRecipe(RecipeTemplate.Parse($"name: {name}\n"), AgentsFile.Parse(yaml), endpoint) { ProgressInterval = TimeSpan.Zero });
    }

    /// <summary>The spans of one task's trace, once its run span has ended.</summary>
    private async Task<List<Activity>> TraceOfAsync(string taskId)
    {
        var deadline = DateTime.UtcNow + Wait;
        Activity? run;
        while ((run = _spans.FirstOrDefault(a => a.OperationName == PraisonTelemetry.RunSpanName && Equals(a.GetTagItem("praison.task.id"), taskId))) is null)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"No run span of {taskId}.");
            await Task.Delay(20); // the run span stops just after the result is stored: poll with a deadline
        }
        return _spans.Where(a => a.TraceId == run.TraceId).ToList();
    }

    [Fact]
    public async Task Each_step_is_a_span_under_the_run_with_a_model_call_span_carrying_genai_tags()
    {
        var name = "spans-" + Guid.NewGuid().ToString("N")[..8];
        Register(name, "echo");
        var handle = await _runtime.Runner.RunBackgroundAsync(name);
        var result = (System.Text.Json.JsonElement)(await handle.WaitAsync(Wait))!;
        var parsed = System.Text.Json.JsonSerializer.Deserialize<AgentRecipeResult>(result.GetRawText(), PraisonJson.Options)!;

        var trace = await TraceOfAsync(handle.TaskId);
        var run = trace.Single(a => a.OperationName == PraisonTelemetry.RunSpanName);
        var steps = trace.Where(a => a.OperationName == PraisonTelemetry.StepSpanName).OrderBy(a => a.StartTimeUtc).ToList();
        Assert.Equal(["researcher.research", "writer.write"], steps.Select(s => (string?)s.GetTagItem("praison.step.name")));
        Assert.All(steps, s => Assert.Equal(run.SpanId, s.ParentSpanId));
        for (var i = 0; i < steps.Count; i++)
        {
            var call = Assert.Single(trace, a => a.ParentSpanId == steps[i].SpanId);
            Assert.Equal("chat echo", call.DisplayName);
            Assert.Equal(ActivityKind.Client, call.Kind);
            Assert.Equal("chat", call.GetTagItem("gen_ai.operation.name"));
            Assert.Equal("echo", call.GetTagItem("gen_ai.request.model"));
            Assert.Equal("echo", call.GetTagItem("gen_ai.response.model"));
            var usage = parsed.Tasks[i].Result.Usage;
            Assert.True(usage.Reported);
            Assert.Equal(usage.InputTokens, call.GetTagItem("gen_ai.usage.input_tokens"));
            Assert.Equal(usage.OutputTokens, call.GetTagItem("gen_ai.usage.output_tokens"));
            Assert.Equal(ActivityStatusCode.Ok, call.Status);
        }
    }

    [Fact]
    public async Task A_refused_request_and_its_retry_are_two_model_call_spans_of_one_step()
    {
        var name = "spans-" + Guid.NewGuid().ToString("N")[..8];
        Register(name, "retry-429");
        var handle = await _runtime.Runner.RunBackgroundAsync(name);
        await handle.WaitAsync(Wait);

        var trace = await TraceOfAsync(handle.TaskId);
        var first = trace.Where(a => a.OperationName == PraisonTelemetry.StepSpanName).OrderBy(a => a.StartTimeUtc).First();
        var calls = trace.Where(a => a.ParentSpanId == first.SpanId).OrderBy(a => a.StartTimeUtc).ToList();
        Assert.Equal(2, calls.Count);
        Assert.Equal(ActivityStatusCode.Error, calls[0].Status);
        Assert.Equal("429", calls[0].GetTagItem("error.type"));
        Assert.Equal(ActivityStatusCode.Ok, calls[1].Status);
        Assert.True(calls[0].StartTimeUtc + calls[0].Duration <= calls[1].StartTimeUtc); // the wait is between them, in neither
    }
}
