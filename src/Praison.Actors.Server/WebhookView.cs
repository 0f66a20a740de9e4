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
}

/// <summary>One delivery attempt: its number, time, the receiver's HTTP status (null when none came), the error, and whether it was delivered.</summary>
public sealed record WebhookAttemptView(int Attempt, DateTimeOffset At, int? StatusCode, string? Error, bool Delivered);
