using System.Text.Json;
using System.Text.Json.Serialization;

namespace Praison.Actors.Dashboard;

/// <summary>The JSON the dashboard's script reads: camelCase, enums as their names.</summary>
internal static class DashboardJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };
}

internal sealed record TaskRow(
    string TaskId, string Kind, string Name, string? RecipeName, string? SessionId, string Status,
    DateTimeOffset SubmittedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt,
    double? Progress, string? ProgressMessage, string? ErrorKind, string? ErrorMessage, int Attempt, string? StoreError)
{
    public static TaskRow From(TaskStatusInfo t) => new(
        t.TaskId, t.Kind.ToString(), t.Name, t.RecipeName, t.SessionId, t.Status.ToString(),
        t.SubmittedAt, t.StartedAt, t.FinishedAt, t.Progress?.Fraction, t.Progress?.Message,
        t.Error?.Kind.ToString(), t.Error?.Message, t.Attempt, t.StoreError);
}

internal sealed record TaskPageView(IReadOnlyList<TaskRow> Tasks, long Total, int Page, int PageSize, int Pages);

internal sealed record TimelineEntry(DateTimeOffset At, string What);

/// <summary><see cref="InputStored"/> is false when the runner cannot read what a task was submitted with (no SQL store).</summary>
internal sealed record TaskDetailView(
    TaskRow Task, JsonElement? Result, string? ErrorType, string? StackTrace, IReadOnlyList<TimelineEntry> Timeline,
    DateTimeOffset? ProgressAt, bool InputStored, JsonElement? Input, JsonElement? Config)
{
    public int MaxAttempts { get; init; } = 1;
    public DateTimeOffset? NextAttemptAt { get; init; }
    public IReadOnlyList<AttemptErrorView> AttemptErrors { get; init; } = [];
    public WebhookDeliveryView? Webhook { get; init; }
}

/// <summary>The error of failed attempt number <see cref="Attempt"/>.</summary>
internal sealed record AttemptErrorView(int Attempt, string Kind, string Message, string? ErrorType);

internal sealed record WebhookAttemptRow(int Attempt, DateTimeOffset At, int? StatusCode, string? Error, bool Delivered);

/// <summary>A task's webhook: its state (pending, delivered, failed, skipped), attempts and the last HTTP status a receiver gave.</summary>
internal sealed record WebhookDeliveryView(string Url, string State, int AttemptCount, int? LastStatusCode, DateTimeOffset? NextAttemptAt,
    IReadOnlyList<WebhookAttemptRow> Attempts)
{
    public static WebhookDeliveryView From(WebhookDelivery d) => new(d.Url, d.State.ToString().ToLowerInvariant(), d.Attempts.Count,
        d.Attempts.LastOrDefault(a => a.StatusCode is not null)?.StatusCode, d.NextAttemptAt,
        d.Attempts.Select(a => new WebhookAttemptRow(a.Attempt, a.At, a.StatusCode, a.Error, a.Delivered)).ToList());
}

internal sealed record OverviewView(
    IReadOnlyDictionary<string, long> Counts, long Total, long Running, long QueueDepth,
    bool StoreHealthy, string? StoreError, string System, IReadOnlyList<TaskRow> RunningNow, ActivityView LastHour);

internal sealed record RecipeView(
    string Name, string? Description, string? Version, int? TimeoutSec, bool BackgroundEnabled, int? MaxConcurrent,
    int? CleanupDelaySec, bool RerunOnRestart, string? SourcePath, string? Yaml, IReadOnlyList<string> Steps);

internal sealed record SessionView(bool AuthRequired, bool SignedIn, bool ReadOnly, int PageSize);

internal sealed record DashboardError(string Error);

internal sealed record ScheduleRunView(string TaskId, DateTimeOffset SlotAt, DateTimeOffset FiredAt, string Reason, string? Status);

/// <summary>A schedule on the schedules page: <see cref="State"/> is active, paused or done (a one-shot that fired).</summary>
internal sealed record ScheduleRow(
    string Name, string Recipe, string Expression, string TimeZone, bool Paused, string State, DateTimeOffset? NextFireAt,
    DateTimeOffset? LastFireAt, string? LastTaskId, string? SessionId, string Overlap, string CatchUp, DateTimeOffset CreatedAt,
    IReadOnlyList<ScheduleRunView> Runs)
{
    public static ScheduleRow From(ScheduleInfo s, IReadOnlyList<ScheduleRun> runs) => new(
        s.Name, s.Recipe, s.Expression, s.TimeZone, s.Paused, s.Paused ? "paused" : s.NextFireAt is null ? "done" : "active", s.NextFireAt,
        s.LastFireAt, s.LastTaskId, s.SessionId, s.Overlap.ToString(), s.CatchUp.ToString(), s.CreatedAt,
        runs.Select(r => new ScheduleRunView(r.TaskId, r.SlotAt, r.FiredAt, r.Reason, r.Status?.ToString())).ToList());
}

internal sealed record TriggeredView(string Name, string TaskId);

/// <summary>A schedule's history page: its stored changes, newest first (<see cref="ScheduleHandle.HistoryAsync"/>).</summary>
internal sealed record ScheduleHistoryView(string Name, IReadOnlyList<ScheduleHistoryLine> History);

/// <summary>One stored change of a schedule: its sequence number, when, the kind and the one-line summary.</summary>
internal sealed record ScheduleHistoryLine(long Sequence, DateTimeOffset At, string Kind, string Summary, long? Version);

/// <summary>The nodes page: <see cref="Clustered"/> is false (and <see cref="Cluster"/> null) in a host without an <see cref="IClusterInfo"/>.</summary>
internal sealed record ClusterView(bool Clustered, ClusterInfoSnapshot? Cluster);
