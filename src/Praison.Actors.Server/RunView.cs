using System.Text.Json;
using System.Text.Json.Serialization;

namespace Praison.Actors.Server;

/// <summary>
/// One task on the wire: the jobs API, the CLI's <c>--json</c> output and the CLI's HTTP client all use this
/// shape (camelCase; <c>taskId</c> and lower-case <c>status</c>, as in praisonai's <c>jq -r '.taskId'</c>).
/// </summary>
public sealed record RunView(
    string TaskId,
    string Status,
    string Kind,
    string Name,
    string? Recipe,
    string? SessionId,
    DateTimeOffset SubmittedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    ProgressView? Progress,
    ErrorView? Error,
    int Attempt)
{
    /// <summary>The result of a completed task; present only where a result was asked for.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? Result { get; init; }

    /// <summary>The most attempts the run's retry policy allows (1 without one).</summary>
    public int MaxAttempts { get; init; } = 1;

    /// <summary>While the run waits between two attempts: when the next one may start.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? NextAttemptAt { get; init; }

    /// <summary>The error of every failed attempt, oldest first; absent when no attempt failed.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<ErrorView>? AttemptErrors { get; init; }

    /// <summary>Completed, failed or cancelled: the run will not change again.</summary>
    [JsonIgnore]
    public bool IsTerminal => Status is "completed" or "failed" or "cancelled";

    /// <summary>True for a task that failed because it ran past its own timeout.</summary>
    [JsonIgnore]
    public bool TimedOut => Status == "failed" && Error?.Kind == "timeout";

    /// <summary>The wire view of task snapshot <paramref name="t"/>.</summary>
    public static RunView From(TaskStatusInfo t) => new(
        t.TaskId,
        t.Status.ToWireName(),
        t.Kind == TaskKind.Recipe ? "recipe" : "delegate",
        t.Name,
        t.RecipeName,
        t.SessionId,
        t.SubmittedAt,
        t.StartedAt,
        t.FinishedAt,
        t.Progress is { } p ? new ProgressView(p.Fraction, (int)Math.Round(p.Fraction * 100), p.Message, p.At) : null,
        t.Error is { } e ? new ErrorView(ErrorKindName(e.Kind), e.Message, e.ErrorType) : null,
        t.Attempt)
    {
        MaxAttempts = t.MaxAttempts,
        NextAttemptAt = t.NextAttemptAt,
        AttemptErrors = t.AttemptErrors.Count == 0 ? null : t.AttemptErrors.Select(a => new ErrorView(ErrorKindName(a.Kind), a.Message, a.ErrorType)).ToList(),
    };

    /// <summary>Parses a stored JSON result into an element that outlives its document.</summary>
    public static JsonElement? ParseResult(string? json)
    {
        if (json is null) return null;
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.Clone();
    }

    private static string ErrorKindName(TaskErrorKind kind) => kind switch
    {
        TaskErrorKind.Exception => "exception",
        TaskErrorKind.Timeout => "timeout",
        TaskErrorKind.Interrupted => "interrupted",
        TaskErrorKind.InvalidResult => "invalid-result",
        TaskErrorKind.RetriesExhausted => "retries-exhausted",
        _ => kind.ToString().ToLowerInvariant(),
    };
}

/// <summary>The last progress a task reported: <c>fraction</c> in [0, 1], the same as a whole <c>percent</c>, and the step message.</summary>
public sealed record ProgressView(double Fraction, int Percent, string? Message, DateTimeOffset At);

/// <summary>Why a task failed: <c>kind</c> is exception, timeout, interrupted, invalid-result or retries-exhausted.</summary>
public sealed record ErrorView(string Kind, string Message, string? Type);

/// <summary>A page of <c>GET /api/v1/runs</c>.</summary>
public sealed record RunListView(IReadOnlyList<RunView> Jobs, int Total, int Page, int PageSize);

/// <summary>
/// An error answer of the jobs API: <c>{"error": "...", "detail": "..."}</c>, the same message under both names
/// (<c>detail</c> is what praisonai's clients read).
/// </summary>
public sealed record ApiError(string Error)
{
    /// <summary>The same message as <see cref="Error"/>, under the name praisonai's clients read.</summary>
    public string Detail => Error;
}

/// <summary>
/// The body of <c>POST /api/v1/runs</c>: <c>recipe</c> (or praisonai's <c>recipe_name</c>), <c>input</c> (any JSON),
/// <c>config</c> (an object), <c>session_id</c> and <c>timeout_sec</c> (or <c>timeout</c>), in seconds.
/// </summary>
public sealed record SubmitRunRequest(string Recipe, JsonElement? Input, IReadOnlyDictionary<string, object?>? Config, string? SessionId, int? TimeoutSec)
{
    /// <summary>Reads a request body, naming the first thing wrong with it.</summary>
    public static SubmitRunRequest Parse(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
            throw new ArgumentException($"The request body must be a JSON object, got {body.ValueKind.ToString().ToLowerInvariant()}.");

        string? recipe = null;
        foreach (var key in new[] { "recipe", "recipe_name", "recipeName" })
            if (body.TryGetProperty(key, out var r))
                recipe = r.ValueKind == JsonValueKind.String ? r.GetString() : throw new ArgumentException($"'{key}' must be a string.");
        if (string.IsNullOrWhiteSpace(recipe))
            throw new ArgumentException("'recipe' is required: the name of the recipe to run.");
        if (TaskLimits.NameProblem(recipe, "'recipe'") is { } badName) throw new ArgumentException(badName);

        JsonElement? input = body.TryGetProperty("input", out var i) && i.ValueKind != JsonValueKind.Null ? i.Clone() : null;

        Dictionary<string, object?>? config = null;
        foreach (var key in new[] { "config", "recipe_config" })
        {
            if (!body.TryGetProperty(key, out var c) || c.ValueKind == JsonValueKind.Null) continue;
            if (c.ValueKind != JsonValueKind.Object) throw new ArgumentException($"'{key}' must be a JSON object.");
            config = c.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone());
        }

        string? session = null;
        foreach (var key in new[] { "session_id", "sessionId" })
            if (body.TryGetProperty(key, out var s) && s.ValueKind != JsonValueKind.Null)
            {
                session = s.ValueKind == JsonValueKind.String ? s.GetString() : throw new ArgumentException($"'{key}' must be a string.");
                if (TaskLimits.SessionIdProblem(session, $"'{key}'") is { } badSession) throw new ArgumentException(badSession);
            }

        int? timeout = null;
        foreach (var key in new[] { "timeout_sec", "timeoutSec", "timeout" })
        {
            if (!body.TryGetProperty(key, out var t) || t.ValueKind == JsonValueKind.Null) continue;
            if (t.ValueKind != JsonValueKind.Number || !t.TryGetInt32(out var v))
                throw new ArgumentException($"'{key}' must be a whole number of seconds, got {t.GetRawText()}.");
            if (v <= 0) throw new ArgumentException($"'{key}' must be a positive number of seconds, got {v}.");
            timeout = v;
        }
        return new SubmitRunRequest(recipe, input, config, session, timeout);
    }
}
