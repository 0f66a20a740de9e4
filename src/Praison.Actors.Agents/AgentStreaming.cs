using Akka.Event;
using System.ClientModel;
using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.Extensions.AI;

namespace Praison.Actors;

/// <summary>One streamed update, whatever produced it (an IChatClient or an AIAgent).</summary>
internal readonly record struct StreamPiece(string? Text, IList<AIContent> Contents, ChatFinishReason? Finish, string? Model);

/// <summary>The spending of one task across its model calls (a recipe's steps share one).</summary>
internal sealed class AgentBudget(decimal? maxUsd)
{
    public decimal? MaxUsd { get; } = maxUsd;
    public decimal SpentUsd { get; private set; }

    public void Add(decimal? cost) => SpentUsd += cost ?? 0;

    /// <summary>Throws once what was spent plus the current call's cost reaches the limit.</summary>
    public void Check(decimal currentUsd)
    {
        if (MaxUsd is { } max && SpentUsd + currentUsd >= max)
            throw new BudgetExceededException(
                $"The run's cost reached {SpentUsd + currentUsd:0.######} USD, at or over its budget of {max:0.######} USD; the model request was stopped.");
    }
}

/// <summary>How one model call reports: the task context, its progress label and fraction band, budget and price.</summary>
internal sealed record AgentCallSettings(
    TaskContext Context,
    string Endpoint,
    ModelPrice? Price,
    AgentBudget Budget,
    TimeSpan ProgressInterval,
    int MaxRetries,
    string? ConfiguredModel,
    string Label = "",
    double FractionStart = 0,
    double FractionEnd = 0,
    int? MaxOutputTokens = null,
    TimeProvider? Clock = null,
    Action<double, string>? Report = null)
{
    /// <summary>The clock of the progress throttle and the duration (tests give a fake one).</summary>
    public TimeProvider Time => Clock ?? TimeProvider.System;

    /// <summary>Where progress goes: the task's <see cref="TaskContext.ReportProgress"/> unless a test counts it.</summary>
    public void Progress(double fraction, string message)
    {
        if (Report is not null) Report(fraction, message);
        else Context.ReportProgress(fraction, message);
    }
}

/// <summary>
/// The streaming loop shared by every agent run: reads updates as they come, keeps the text, usage, model and finish
/// reason, sends throttled progress (tokens so far and the end of the text), brakes on the budget, retries a refused
/// request (429, 5xx) that has produced nothing yet, and turns transport failures into errors naming the endpoint.
/// The task's token is passed to the call, so cancel and timeout abort the HTTP request.
/// </summary>
internal static class AgentStreaming
{
    private const int PreviewChars = 80;
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(60);

    public static async Task<AgentRunResult> RunAsync(
        Func<CancellationToken, IAsyncEnumerable<StreamPiece>> call, IReadOnlyList<ChatMessage> sent, AgentCallSettings s)
    {
        var ct = s.Context.CancellationToken;
        var clock = s.Time;
        var startedAt = clock.GetTimestamp();
        var inputEstimate = sent.Sum(m => (long)(m.Text?.Length ?? 0)) / 4 + 1;
        for (var attempt = 0; ; attempt++)
        {
            var text = new StringBuilder();
            long chunks = 0;
            UsageDetails? usage = null;
            string? model = null;
            ChatFinishReason? finish = null;
            TimeSpan? lastReport = null;
            var received = false;
            using var span = ModelCallSpan.Start(s);
            try
            {
                await foreach (var piece in call(ct).WithCancellation(ct).ConfigureAwait(false))
                {
                    received = true;
                    if (!string.IsNullOrEmpty(piece.Text))
                    {
                        text.Append(piece.Text);
                        chunks++;
                    }
                    foreach (var c in piece.Contents)
                        if (c is UsageContent u) usage = u.Details;
                    model = piece.Model ?? model;
                    finish = piece.Finish ?? finish;

                    var current = UsageOf(usage, inputEstimate, chunks);
                    if (s.Price is { } price) s.Budget.Check(price.CostOf(current));
                    var now = clock.GetElapsedTime(startedAt);
                    if (lastReport is null || now - lastReport >= s.ProgressInterval)
                    {
                        lastReport = now;
                        Report(s, current.OutputTokens, text);
                    }
                }
            }
            catch (Exception ex) when (!received && attempt < s.MaxRetries && !ct.IsCancellationRequested && RetryDelay(ex, attempt) is { } delay)
            {
                ModelCallSpan.Failed(span, ex, StatusOf(ex));
                span?.Dispose(); // the span is the request, not the wait before the next one
                s.Context.Log.Warning("Model endpoint {0} refused the request ({1}); retry {2}/{3} in {4:0.###} s",
                    s.Endpoint, StatusOf(ex)?.ToString(CultureInfo.InvariantCulture) ?? ex.GetType().Name, attempt + 1, s.MaxRetries, delay.TotalSeconds);
                await Task.Delay(delay, ct).ConfigureAwait(false);
                continue;
            }
            catch (Exception ex) when (Translate(ex, s.Endpoint, ct) is { } translated)
            {
                ModelCallSpan.Failed(span, translated, StatusOf(ex));
                throw translated;
            }
            catch (Exception ex) when (span is not null)
            {
                // Cancel, timeout, budget: the request ended early, which is its outcome, not an endpoint error.
                if (ex is BudgetExceededException) ModelCallSpan.Failed(span, ex, null);
                else span.SetTag("praison.cancelled", true);
                throw;
            }

            var final = UsageOf(usage, inputEstimate, chunks);
            ModelCallSpan.Succeeded(span, model, final, finish);
            Report(s, final.OutputTokens, text, done: true);
            var cost = s.Price?.CostOf(final);
            s.Budget.Add(cost);
            var answer = text.ToString();
            var messages = sent.Select(m => new AgentMessage(m.Role.Value, m.Text ?? ""))
                .Append(new AgentMessage(ChatRole.Assistant.Value, answer)).ToList();
            return new AgentRunResult(answer, messages, final, cost, model ?? s.ConfiguredModel, finish?.Value, clock.GetElapsedTime(startedAt));
        }
    }

    private static AgentUsage UsageOf(UsageDetails? usage, long inputEstimate, long chunks) =>
        usage is { InputTokenCount: not null } or { OutputTokenCount: not null }
            ? new AgentUsage(usage.InputTokenCount ?? inputEstimate, usage.OutputTokenCount ?? chunks)
            : new AgentUsage(inputEstimate, chunks, Reported: false);

    private static void Report(AgentCallSettings s, long tokens, StringBuilder text, bool done = false)
    {
        var fraction = s.FractionStart;
        if (done) fraction = s.FractionEnd;
        else if (s.MaxOutputTokens is > 0 and var max && s.FractionEnd > s.FractionStart)
            fraction = s.FractionStart + (s.FractionEnd - s.FractionStart) * Math.Min(1, (double)tokens / max);
        s.Progress(fraction, $"{s.Label}{tokens} tokens{(done ? ", done" : "")}: {Preview(text)}");
    }

    private static string Preview(StringBuilder text)
    {
        var start = Math.Max(0, text.Length - PreviewChars);
        var tail = text.ToString(start, text.Length - start).ReplaceLineEndings(" ");
        return start > 0 ? "…" + tail : tail;
    }

    /// <summary>The wait before retrying a refused request, or null when it must not be retried.</summary>
    internal static TimeSpan? RetryDelay(Exception ex, int attempt)
    {
        var status = StatusOf(ex);
        if (status is not (429 or >= 500)) return null;
        var backoff = TimeSpan.FromSeconds(Math.Min(30, Math.Pow(2, attempt)));
        return RetryAfter(ex) is { } after ? (after > MaxRetryDelay ? MaxRetryDelay : after) : backoff;
    }

    private static int? StatusOf(Exception ex) => ex switch
    {
        ClientResultException { Status: > 0 } c => c.Status,
        HttpRequestException { StatusCode: { } code } => (int)code,
        _ => null,
    };

    private static TimeSpan? RetryAfter(Exception ex)
    {
        if (ex is not ClientResultException c || c.GetRawResponse() is not { } response) return null;
        if (response.Headers.TryGetValue("retry-after-ms", out var ms) &&
            double.TryParse(ms, NumberStyles.Float, CultureInfo.InvariantCulture, out var millis))
            return TimeSpan.FromMilliseconds(Math.Max(0, millis));
        if (!response.Headers.TryGetValue("Retry-After", out var value) || value is null) return null;
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
            return TimeSpan.FromSeconds(Math.Max(0, seconds));
        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? (at - DateTimeOffset.UtcNow) is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero
            : null;
    }

    /// <summary>The error the task reports for a failed call; null leaves the exception as it is (cancel, budget).</summary>
    private static Exception? Translate(Exception ex, string endpoint, CancellationToken ct)
    {
        if (ex is OperationCanceledException && ct.IsCancellationRequested) return null; // cancel or timeout: the runtime's
        if (ex is BudgetExceededException or AgentEndpointException) return null;
        return StatusOf(ex) switch
        {
            { } status => new AgentEndpointException(endpoint, status,
                $"Model endpoint {endpoint} answered HTTP {status} ({Reason(status)}): {OneLine(ex.Message)}", ex),
            null when ex is HttpRequestException or ClientResultException or IOException =>
                new AgentEndpointException(endpoint, null, $"Model endpoint {endpoint} is unreachable or broke off: {OneLine(ex.Message)}", ex),
            null when ex is OperationCanceledException =>
                new AgentEndpointException(endpoint, null, $"Model endpoint {endpoint} did not answer in time (the client's network timeout).", ex),
            _ => null,
        };
    }

    private static string Reason(int status) => status switch
    {
        401 => "unauthorized: check OPENAI_API_KEY",
        403 => "forbidden",
        404 => "not found: check OPENAI_BASE_URL and the model name",
        429 => "too many requests; retries exhausted",
        _ when status >= 500 => "server error",
        _ => ((HttpStatusCode)status).ToString(),
    };

    /// <summary>The message on one line (the SDK puts the server's own error message after a blank line), at most 300 characters.</summary>
    private static string OneLine(string message)
    {
        var line = string.Join(' ', message.Split((char[])['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return line.Length > 300 ? line[..300] + "…" : line;
    }
}

/// <summary>
/// One span per model request, after OpenTelemetry's GenAI conventions: named <c>chat {model}</c>, kind Client, with
/// <c>gen_ai.operation.name</c>, <c>gen_ai.request.model</c>, <c>gen_ai.response.model</c>,
/// <c>gen_ai.usage.input_tokens</c>, <c>gen_ai.usage.output_tokens</c> and <c>gen_ai.response.finish_reasons</c>; a child
/// of the task's run span (or of a recipe step's span).
/// </summary>
internal static class ModelCallSpan
{
    public static System.Diagnostics.Activity? Start(AgentCallSettings s)
    {
        var span = PraisonTelemetry.Source.StartActivity(s.ConfiguredModel is { } m ? $"chat {m}" : "chat", System.Diagnostics.ActivityKind.Client);
        if (span is null) return null;
        span.SetTag("gen_ai.operation.name", "chat");
        if (s.ConfiguredModel is not null) span.SetTag("gen_ai.request.model", s.ConfiguredModel);
        if (s.MaxOutputTokens is { } max) span.SetTag("gen_ai.request.max_tokens", max);
        span.SetTag("praison.agent.endpoint", s.Endpoint);
        return span;
    }

    public static void Succeeded(System.Diagnostics.Activity? span, string? model, AgentUsage usage, ChatFinishReason? finish)
    {
        if (span is null) return;
        if (model is not null) span.SetTag("gen_ai.response.model", model);
        span.SetTag("gen_ai.usage.input_tokens", usage.InputTokens);
        span.SetTag("gen_ai.usage.output_tokens", usage.OutputTokens);
        if (!usage.Reported) span.SetTag("praison.usage.estimated", true);
        if (finish is { } f) span.SetTag("gen_ai.response.finish_reasons", new[] { f.Value });
        span.SetStatus(System.Diagnostics.ActivityStatusCode.Ok);
    }

    public static void Failed(System.Diagnostics.Activity? span, Exception error, int? status)
    {
        if (span is null) return;
        span.SetTag("error.type", status?.ToString(CultureInfo.InvariantCulture) ?? error.GetType().FullName);
        PraisonTelemetry.MarkFailed(span, error);
    }
}
