namespace Praison.Actors;

/// <summary>
/// How a node delivers the webhooks of finished tasks (<see cref="RecipeRunOptions.WebhookUrl"/>,
/// <see cref="TaskOptions.WebhookUrl"/>, TEMPLATE.yaml <c>runtime.job.webhook_url</c>): signed per Standard Webhooks,
/// retried with exponential backoff and jitter until delivered or <see cref="MaxRetryTime"/> has passed.
/// </summary>
public sealed class WebhookOptions
{
    /// <summary>Default of <see cref="MaxRetryTime"/>: one hour.</summary>
    public static readonly TimeSpan DefaultMaxRetryTime = TimeSpan.FromHours(1);

    /// <summary>
    /// The signing secret, <c>whsec_</c> followed by base64 (Standard Webhooks); the <c>serve</c> command reads it from
    /// <c>--webhook-secret</c> or <c>PRAISON_WEBHOOK_SECRET</c>. Null sends webhooks without a <c>webhook-signature</c>.
    /// </summary>
    public string? Secret { get; init; }

    /// <summary>
    /// True accepts webhook URLs that resolve to loopback, private, link-local or other non-public addresses. Default
    /// false: such a URL is refused at submission (an <see cref="ArgumentException"/> naming it) and at delivery.
    /// </summary>
    public bool AllowPrivateNetworks { get; init; }

    /// <summary>The delay before the first retry; each later one doubles it (with ±20 % jitter), up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan FirstRetryDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest delay between two attempts.</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How long after the first attempt deliveries are retried; after that the delivery is given up (state Failed).</summary>
    public TimeSpan MaxRetryTime { get; init; } = DefaultMaxRetryTime;

    /// <summary>How long one attempt may take before it counts as failed.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Attempts in flight at once on a node; more wait for one to end.</summary>
    public int MaxConcurrentDeliveries { get; init; } = 64;

    internal void Validate()
    {
        if (FirstRetryDelay <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(FirstRetryDelay), FirstRetryDelay, "Webhooks.FirstRetryDelay must be positive.");
        if (MaxRetryDelay < FirstRetryDelay)
            throw new ArgumentOutOfRangeException(nameof(MaxRetryDelay), MaxRetryDelay, "Webhooks.MaxRetryDelay must be at least FirstRetryDelay.");
        if (MaxRetryTime < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(MaxRetryTime), MaxRetryTime, "Webhooks.MaxRetryTime must not be negative.");
        if (RequestTimeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(RequestTimeout), RequestTimeout, "Webhooks.RequestTimeout must be positive.");
        if (MaxConcurrentDeliveries <= 0)
            throw new ArgumentOutOfRangeException(nameof(MaxConcurrentDeliveries), MaxConcurrentDeliveries, "Webhooks.MaxConcurrentDeliveries must be at least 1.");
        if (Secret is { } s && !WebhookSecret.TryParse(s, out _))
            throw new ArgumentException("Webhooks.Secret must be 'whsec_' followed by base64 (Standard Webhooks), e.g. whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw.", nameof(Secret));
    }
}

/// <summary>Where a task's webhook delivery stands.</summary>
public enum WebhookDeliveryState
{
    /// <summary>The task has not finished yet, or its outcome is being delivered (retries pending).</summary>
    Pending,
    /// <summary>A receiver answered 2xx.</summary>
    Delivered,
    /// <summary>Given up: every attempt failed within <see cref="WebhookOptions.MaxRetryTime"/>, or the URL was refused.</summary>
    Failed,
    /// <summary>Not sent: the task's outcome is not among its webhook's events.</summary>
    Skipped,
}

/// <summary>One attempt to deliver a webhook: when, the receiver's HTTP status (null when none came), the error, and whether it counted as delivered.</summary>
public sealed record WebhookAttempt(int Attempt, DateTimeOffset At, int? StatusCode, string? Error, bool Delivered);

/// <summary>A task's webhook delivery, as stored: its URL, state, message id (<c>webhook-id</c>), attempts and the next one's time.</summary>
public sealed record WebhookDelivery(
    string TaskId,
    string Url,
    WebhookDeliveryState State,
    string MessageId,
    IReadOnlyList<WebhookAttempt> Attempts,
    DateTimeOffset? NextAttemptAt)
{
    /// <summary>True once a receiver answered 2xx.</summary>
    public bool Delivered => State == WebhookDeliveryState.Delivered;
}

/// <summary>A Standard Webhooks secret: <c>whsec_</c> + base64 of the key bytes.</summary>
internal static class WebhookSecret
{
    public const string Prefix = "whsec_";

    public static bool TryParse(string secret, out byte[] key)
    {
        key = [];
        var text = secret.StartsWith(Prefix, StringComparison.Ordinal) ? secret[Prefix.Length..] : null;
        if (string.IsNullOrEmpty(text)) return false;
        try
        {
            key = Convert.FromBase64String(text);
            return key.Length > 0;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
