using System.Text.Json;
using System.Text.Json.Serialization;

namespace Praison.Actors.Server;

/// <summary>
/// One task as the CLI shows it: its <c>--json</c> output (camelCase; <c>taskId</c> and our lower-case <c>status</c>
/// vocabulary). The jobs API speaks PraisonAI's shapes instead (<see cref="JobView"/>); the CLI's HTTP client turns
/// those back into this one (<see cref="JobView.ToRunView"/>).
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

    /// <summary>The schedule that submitted the run; absent for a run submitted directly.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Schedule { get; init; }

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
        Schedule = t.ScheduleName,
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


/// <summary>
/// An error answer of the jobs API: <c>{"error": "...", "detail": "..."}</c>, the same message under both names
/// (<c>detail</c> is what praisonai's clients read).
/// </summary>
public sealed record ApiError(string Error)
{
    /// <summary>The same message as <see cref="Error"/>, under the name praisonai's clients read.</summary>
    public string Detail => Error;
}
