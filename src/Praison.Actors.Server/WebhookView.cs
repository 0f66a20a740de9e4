using System.Text.Json;

namespace Praison.Actors.Server;

/// <summary>
/// A run's webhook delivery on the wire (<c>webhook</c> of a run): the URL, <c>state</c> (pending, delivered, failed,
/// skipped), <c>delivered</c>, the <c>webhook-id</c> every attempt carries, the next attempt's time, and each attempt.
/// </summary>
public sealed record WebhookView(string Url, string State, bool Delivered, string MessageId, DateTimeOffset? NextAttemptAt,
    IReadOnlyList<WebhookAttemptView> Attempts)
{
    /// <summary>The <see cref="ArgumentException.ParamName"/> of a refused webhook URL (answered 422).</summary>
    public const string RefusedParamName = "WebhookUrl";

    /// <summary>The wire view of <paramref name="d"/>.</summary>
    public static WebhookView From(WebhookDelivery d) => new(d.Url, d.State.ToString().ToLowerInvariant(), d.Delivered, d.MessageId,
        d.NextAttemptAt, d.Attempts.Select(a => new WebhookAttemptView(a.Attempt, a.At, a.StatusCode, a.Error, a.Delivered)).ToList());

    /// <summary><paramref name="view"/> with its task's webhook delivery, when the task has one.</summary>
    public static async Task<RunView> WithWebhookAsync(BackgroundRunner runner, RunView view, CancellationToken ct) =>
        await runner.GetWebhookDeliveryAsync(view.TaskId, ct) is { } d ? view with { Webhook = From(d) } : view;

    /// <summary><c>webhook_url</c> (or <c>webhookUrl</c>) of a submit body: a string or null.</summary>
    public static string? ParseUrl(JsonElement body)
    {
        string? url = null;
        foreach (var key in new[] { "webhook_url", "webhookUrl" })
            if (body.TryGetProperty(key, out var u) && u.ValueKind != JsonValueKind.Null)
                url = u.ValueKind == JsonValueKind.String ? u.GetString() : throw new ArgumentException($"'{key}' must be a string.");
        return string.IsNullOrWhiteSpace(url) ? null : url;
    }
}

/// <summary>One delivery attempt: its number, time, the receiver's HTTP status (null when none came), the error, and whether it was delivered.</summary>
public sealed record WebhookAttemptView(int Attempt, DateTimeOffset At, int? StatusCode, string? Error, bool Delivered);
