using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace Praison.Actors.Server;

/// <summary>
/// The status object of the jobs API (praisonai's <c>JobStatusResponse</c>), in snake_case, plus our own fields
/// beside theirs: <c>recipe</c>, <c>name</c>, <c>kind</c>, <c>attempt</c> and <c>error_detail</c> (the structured error).
/// </summary>
public sealed record JobView
{
    /// <summary>The job's id (the task id).</summary>
    public required string JobId { get; init; }
    /// <summary><c>queued</c>, <c>running</c>, <c>succeeded</c>, <c>failed</c> or <c>cancelled</c> (see <see cref="JobStatusNames"/>).</summary>
    public required string Status { get; init; }
    /// <summary>Always an object: praisonai's clients read <c>progress["percentage"]</c>.</summary>
    public required JobProgressView Progress { get; init; }
    /// <summary>When the job was submitted.</summary>
    public DateTimeOffset CreatedAt { get; init; }
    /// <summary>When the job (last) started.</summary>
    public DateTimeOffset? StartedAt { get; init; }
    /// <summary>When the job finished.</summary>
    public DateTimeOffset? CompletedAt { get; init; }
    /// <summary>Always null: jobs run recipes (praisonai names the agent here).</summary>
    public string? AgentId { get; init; }
    /// <summary>Always null (praisonai's own run id; ours is <see cref="JobId"/>).</summary>
    public string? RunId { get; init; }
    /// <summary>The job's session, when it has one.</summary>
    public string? SessionId { get; init; }
    /// <summary>Why the job failed, as one string; the structure is in <see cref="ErrorDetail"/>.</summary>
    public string? Error { get; init; }
    /// <summary>Seconds a client should wait before polling again: 2 while queued, 5 while running, null once finished.</summary>
    public int? RetryAfter { get; init; }
    /// <summary>The recipe the job runs.</summary>
    public string? Recipe { get; init; }
    /// <summary>The task's name.</summary>
    public string? Name { get; init; }
    /// <summary><c>recipe</c> or <c>delegate</c>.</summary>
    public string? Kind { get; init; }
    /// <summary>How many times the task was started (reruns after a restart count).</summary>
    public int Attempt { get; init; }
    /// <summary>The structured error: kind (exception, timeout, interrupted, invalid-result, retries-exhausted), message and type.</summary>
    public ErrorView? ErrorDetail { get; init; }
    /// <summary>How many attempts the job's retry policy allows (1 without one).</summary>
    public int MaxAttempts { get; init; } = 1;
    /// <summary>When a job waiting between attempts (queued) starts its next one; null otherwise.</summary>
    public DateTimeOffset? NextAttemptAt { get; init; }
    /// <summary>Every failed attempt's error, oldest first (the dead-letter view); null when no attempt failed.</summary>
    public IReadOnlyList<ErrorView>? AttemptErrors { get; init; }
    /// <summary>The schedule that submitted the job; null for a job submitted directly.</summary>
    public string? Schedule { get; init; }
    /// <summary>The webhook delivery of a job submitted with <c>webhook_url</c>: state and every attempt; null without one.</summary>
    public WebhookView? Webhook { get; init; }

    /// <summary>The jobs API view of task snapshot <paramref name="t"/>.</summary>
    public static JobView From(TaskStatusInfo t)
    {
        var run = RunView.From(t);
        return new JobView
        {
            JobId = t.TaskId,
            Status = JobStatusNames.Of(t.Status),
            Progress = JobProgressView.From(t),
            CreatedAt = t.SubmittedAt,
            StartedAt = t.StartedAt,
            CompletedAt = t.FinishedAt,
            SessionId = t.SessionId,
            Error = t.Error?.Message,
            RetryAfter = t.Status switch { BackgroundTaskStatus.Pending => 2, BackgroundTaskStatus.Running => 5, _ => null },
            Recipe = t.RecipeName,
            Name = t.Name,
            Kind = run.Kind,
            Attempt = t.Attempt,
            ErrorDetail = run.Error,
            MaxAttempts = run.MaxAttempts,
            NextAttemptAt = run.NextAttemptAt,
            AttemptErrors = run.AttemptErrors,
            Schedule = t.ScheduleName,
        };
    }

    /// <summary>
    /// This job as the CLI's <see cref="RunView"/> (our status vocabulary), for a client that read it from the API.
    /// Progress the API does not carry (fraction precision, the report's time) is approximated.
    /// </summary>
    public RunView ToRunView(JsonElement? result = null) => new(
        JobId,
        JobStatusNames.ToTaskStatus(Status)?.ToWireName() ?? Status,
        Kind ?? "recipe",
        Name ?? Recipe ?? "",
        Recipe,
        SessionId,
        CreatedAt,
        StartedAt,
        CompletedAt,
        Progress.Percentage > 0 || Progress.CurrentStep is not null
            ? new ProgressView(Progress.Percentage / 100, (int)Math.Round(Progress.Percentage), Progress.CurrentStep, CompletedAt ?? StartedAt ?? CreatedAt)
            : null,
        ErrorDetail ?? (Error is null ? null : new ErrorView("exception", Error, null)),
        Attempt) { Result = result, MaxAttempts = MaxAttempts, NextAttemptAt = NextAttemptAt, AttemptErrors = AttemptErrors, Schedule = Schedule };
}

/// <summary>
/// A job's progress: <c>percentage</c> 0–100 and the step message as <c>current_step</c>. A steps recipe reports
/// <c>step i/n: name</c>, which fills <c>steps_completed</c> (i − 1) and <c>steps_total</c> (n); otherwise both are 0.
/// </summary>
public sealed partial record JobProgressView(double Percentage, string? CurrentStep, int StepsCompleted, int StepsTotal)
{
    /// <summary>The progress of <paramref name="t"/>: 100 once it succeeded, 0 before any report.</summary>
    public static JobProgressView From(TaskStatusInfo t)
    {
        var fraction = t.Status == BackgroundTaskStatus.Completed ? 1.0 : t.Progress?.Fraction ?? 0;
        var step = t.Progress?.Message;
        int done = 0, total = 0;
        if (step is not null && StepPattern().Match(step) is { Success: true } m
            && int.TryParse(m.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var i)
            && int.TryParse(m.Groups[2].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && i >= 1 && i <= n)
        {
            done = t.Status == BackgroundTaskStatus.Completed ? n : i - 1;
            total = n;
        }
        return new JobProgressView(Math.Round(fraction * 100, 2), step, done, total);
    }

    [GeneratedRegex(@"^step (\d{1,9})/(\d{1,9}): ")]
    private static partial Regex StepPattern();
}

/// <summary>The 202 (or 200, for an idempotent repeat) answer of <c>POST /api/v1/runs</c>.</summary>
public sealed record JobSubmittedView(string JobId, string Status, DateTimeOffset CreatedAt, string PollUrl, string StreamUrl);

/// <summary>The answer of <c>GET /api/v1/runs/{id}/result</c>.</summary>
public sealed record JobResultView
{
    /// <summary>The job's id.</summary>
    public required string JobId { get; init; }
    /// <summary>succeeded, failed or cancelled.</summary>
    public required string Status { get; init; }
    /// <summary>The result (any JSON) of a job that succeeded; null otherwise.</summary>
    public JsonElement? Result { get; init; }
    /// <summary>Always null: results are inline.</summary>
    public string? ResultUrl { get; init; }
    /// <summary>Figures of the run (<c>attempt</c>, <c>result_bytes</c>).</summary>
    public IReadOnlyDictionary<string, object?> Metrics { get; init; } = new Dictionary<string, object?>();
    /// <summary>When the job was submitted.</summary>
    public DateTimeOffset CreatedAt { get; init; }
    /// <summary>When the job started.</summary>
    public DateTimeOffset? StartedAt { get; init; }
    /// <summary>When the job finished.</summary>
    public DateTimeOffset? CompletedAt { get; init; }
    /// <summary>From start to finish, in seconds.</summary>
    public double? DurationSeconds { get; init; }
    /// <summary>Why the job failed, as one string.</summary>
    public string? Error { get; init; }
    /// <summary>The structured error.</summary>
    public ErrorView? ErrorDetail { get; init; }
    /// <summary>The webhook delivery of a job submitted with <c>webhook_url</c>: state and every attempt; null without one.</summary>
    public WebhookView? Webhook { get; init; }
}

/// <summary>A page of <c>GET /api/v1/runs</c>.</summary>
public sealed record JobListView(IReadOnlyList<JobView> Jobs, long Total, int Page, int PageSize);

/// <summary>The status vocabulary of the jobs API and its mapping to <see cref="BackgroundTaskStatus"/>.</summary>
public static class JobStatusNames
{
    /// <summary>The API's name of <paramref name="status"/>: pending is <c>queued</c>, completed is <c>succeeded</c>.</summary>
    public static string Of(BackgroundTaskStatus status) => status switch
    {
        BackgroundTaskStatus.Pending => "queued",
        BackgroundTaskStatus.Running => "running",
        BackgroundTaskStatus.Completed => "succeeded",
        BackgroundTaskStatus.Failed => "failed",
        BackgroundTaskStatus.Cancelled => "cancelled",
        _ => status.ToWireName(),
    };

    /// <summary>Either vocabulary (queued|pending, running, succeeded|completed, failed, cancelled|canceled), any case; null when unknown.</summary>
    public static BackgroundTaskStatus? ToTaskStatus(string? name) => name?.Trim().ToLowerInvariant() switch
    {
        "queued" or "pending" => BackgroundTaskStatus.Pending,
        "running" => BackgroundTaskStatus.Running,
        "succeeded" or "completed" => BackgroundTaskStatus.Completed,
        "failed" => BackgroundTaskStatus.Failed,
        "cancelled" or "canceled" => BackgroundTaskStatus.Cancelled,
        _ => null,
    };
}

/// <summary>The JSON settings of the jobs API: <see cref="PraisonJson.Options"/> with snake_case names.</summary>
public static class JobsJson
{
    /// <summary>snake_case property names; results and configs pass through as they are.</summary>
    public static JsonSerializerOptions Options { get; } = new(PraisonJson.Options) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
}
