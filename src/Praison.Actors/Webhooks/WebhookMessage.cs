using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Praison.Actors.Webhooks;

/// <summary>
/// What a webhook says, as pure functions: the outcome's event name, whether a task's event list wants it, the JSON
/// body (PraisonAI's fields first, then ours) and the Standard Webhooks signature.
/// </summary>
internal static class WebhookMessage
{
    /// <summary>The event names a task's <c>events</c> list may hold, canonical first, with their aliases.</summary>
    private static readonly Dictionary<string, string> EventNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["succeeded"] = "succeeded", ["completed"] = "succeeded", ["success"] = "succeeded",
        ["failed"] = "failed", ["failure"] = "failed",
        ["timeout"] = "timeout", ["timed_out"] = "timeout",
        ["cancelled"] = "cancelled", ["canceled"] = "cancelled",
        ["*"] = "*", ["all"] = "*",
    };

    /// <summary>The accepted event names, for error messages.</summary>
    public const string KnownEvents = "succeeded (or completed), failed, timeout, cancelled, *";

    /// <summary>The canonical name of an event name, or null when it is not one.</summary>
    public static string? Canonical(string name) => EventNames.GetValueOrDefault(name.Trim());

    /// <summary>A terminal task's event: succeeded, failed, timeout (a failure by its own timeout) or cancelled.</summary>
    public static string EventOf(TaskStatusInfo task) => task.Status switch
    {
        BackgroundTaskStatus.Completed => "succeeded",
        BackgroundTaskStatus.Cancelled => "cancelled",
        _ when task.Error?.Kind == TaskErrorKind.Timeout => "timeout",
        _ => "failed",
    };

    /// <summary>
    /// Whether <paramref name="events"/> (null or empty: every outcome) asks for <paramref name="ev"/>. A timeout is a
    /// failure too (PraisonAI's status for it is <c>failed</c>), so <c>failed</c> covers it.
    /// </summary>
    public static bool Wants(IReadOnlyList<string>? events, string ev)
    {
        if (events is not { Count: > 0 }) return true;
        foreach (var e in events)
        {
            var c = Canonical(e);
            if (c == "*" || c == ev || (c == "failed" && ev == "timeout")) return true;
        }
        return false;
    }

    /// <summary>PraisonAI's status of a terminal task: succeeded, failed or cancelled.</summary>
    public static string PraisonStatus(BackgroundTaskStatus status) => status switch
    {
        BackgroundTaskStatus.Completed => "succeeded",
        BackgroundTaskStatus.Cancelled => "cancelled",
        _ => "failed",
    };

    /// <summary>
    /// The body: PraisonAI's <c>{job_id, status, result, error, completed_at, duration_seconds}</c>, then ours
    /// (<c>type</c>, <c>task_id</c>, <c>task_status</c>, <c>event</c>, <c>name</c>, <c>recipe</c>, <c>session_id</c>,
    /// <c>error_kind</c>, <c>error_type</c>, <c>submitted_at</c>, <c>started_at</c>, <c>attempt</c>).
    /// </summary>
    public static string Body(TaskStatusInfo task, string? resultJson)
    {
        var ev = EventOf(task);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("job_id", task.TaskId);
            w.WriteString("status", PraisonStatus(task.Status));
            w.WritePropertyName("result");
            if (task.Status == BackgroundTaskStatus.Completed && resultJson is not null) w.WriteRawValue(resultJson);
            else w.WriteNullValue();
            if (task.Error is { } error) w.WriteString("error", error.Message);
            else w.WriteNull("error");
            if (task.FinishedAt is { } finished) w.WriteString("completed_at", finished.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
            else w.WriteNull("completed_at");
            if (task is { StartedAt: { } started, FinishedAt: { } end }) w.WriteNumber("duration_seconds", Math.Round((end - started).TotalSeconds, 3));
            else w.WriteNull("duration_seconds");

            w.WriteString("type", "job." + ev);
            w.WriteString("task_id", task.TaskId);
            w.WriteString("task_status", task.Status.ToWireName());
            w.WriteString("event", ev);
            w.WriteString("name", task.Name);
            if (task.RecipeName is { } recipe) w.WriteString("recipe", recipe);
            else w.WriteNull("recipe");
            if (task.SessionId is { } session) w.WriteString("session_id", session);
            else w.WriteNull("session_id");
            if (task.Error is { } e)
            {
                w.WriteString("error_kind", ErrorKind(e.Kind));
                if (e.ErrorType is { } type) w.WriteString("error_type", type);
                else w.WriteNull("error_type");
            }
            else
            {
                w.WriteNull("error_kind");
                w.WriteNull("error_type");
            }
            w.WriteString("submitted_at", task.SubmittedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
            if (task.StartedAt is { } s) w.WriteString("started_at", s.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
            else w.WriteNull("started_at");
            w.WriteNumber("attempt", task.Attempt);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static string ErrorKind(TaskErrorKind kind) => kind switch
    {
        TaskErrorKind.Timeout => "timeout",
        TaskErrorKind.Interrupted => "interrupted",
        TaskErrorKind.InvalidResult => "invalid-result",
        _ => "exception",
    };

    /// <summary>
    /// The <c>webhook-signature</c> value of Standard Webhooks: <c>v1,</c> + base64 of HMAC-SHA256 over
    /// <c>{id}.{timestamp}.{body}</c> with the secret's key bytes.
    /// </summary>
    public static string Sign(byte[] key, string messageId, long timestamp, string body)
    {
        var signed = Encoding.UTF8.GetBytes($"{messageId}.{timestamp.ToString(CultureInfo.InvariantCulture)}.{body}");
        return "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, signed));
    }
}
