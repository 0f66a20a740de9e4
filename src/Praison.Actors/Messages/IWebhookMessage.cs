using Akka.Actor;

namespace Praison.Actors.Messages;

/// <summary>Messages to a node's webhook dispatcher. They never leave the process (each node delivers its own tasks' webhooks).</summary>
internal interface IWebhookMessage : INoSerializationVerificationNeeded;

/// <summary>
/// A task with a webhook reached a terminal status and that status is stored: deliver its outcome. Sent by whichever
/// actor stored the terminal event (supervisor, runner, entity), so the dispatcher never polls.
/// </summary>
internal sealed record WebhookDue(TaskStatusInfo Task, string? ResultJson, string Url, IReadOnlyList<string>? Events) : IWebhookMessage;

/// <summary>Asks for a task's webhook delivery; answered with <see cref="WebhookDeliveryReply"/>.</summary>
internal sealed record GetWebhookDelivery(string TaskId) : IWebhookMessage;

/// <summary>The delivery of a task's webhook, or null when the task has none (or it is not known here).</summary>
internal sealed record WebhookDeliveryReply(WebhookDelivery? Delivery) : IWebhookMessage;
