using Praison.Actors.Messages;

namespace Praison.Actors.Lifecycle;

/// <summary>What the requester of the write is told once it is stored.</summary>
internal enum TaskReplyEffect
{
    None,
    /// <summary><see cref="TaskAccepted"/> to the submitter.</summary>
    Accepted,
    /// <summary><see cref="CancelReply"/> (cancelled) to whoever asked for the cancellation.</summary>
    Cancelled,
}

/// <summary>
/// The reactions to one stored event, decided in one pure place: the supervisor, the runner and the entity carry
/// them out and none re-derives them.
/// </summary>
/// <param name="Reply">The answer to whoever asked for the write.</param>
/// <param name="AnswerWaiters">The task is over: every waiter gets the outcome and is forgotten, as are subscribers.</param>
/// <param name="Publish">Subscribers get the new state.</param>
/// <param name="Enqueue">The task waits for a slot (submitted, or queued again after a restart).</param>
/// <param name="FreeSlot">The task leaves its slot or its place in the queue.</param>
/// <param name="StartWork">The work runs now and the deadline is armed.</param>
/// <param name="StopWork">The work (if it still runs) is cancelled.</param>
/// <param name="CleanupAt">When the finished task's events are deleted; null when not (or when deleted at once).</param>
/// <param name="DeleteNow">The task was cancelled to be removed: delete its events now.</param>
internal sealed record TaskEffects(
    TaskReplyEffect Reply,
    bool AnswerWaiters,
    bool Publish,
    bool Enqueue,
    bool FreeSlot,
    bool StartWork,
    bool StopWork,
    DateTimeOffset? CleanupAt,
    bool DeleteNow)
{
    /// <summary>A failed attempt will be retried: the task waits, out of its slot, until then; then it queues for a slot again.</summary>
    public DateTimeOffset? RetryAt { get; init; }
    /// <summary>The task is over and has a webhook: its outcome goes to the node's webhook dispatcher.</summary>
    public bool NotifyWebhook { get; init; }

    private static readonly TaskEffects Nothing = new(TaskReplyEffect.None, false, false, false, false, false, false, null, false);
    // The effects of every task's first events depend on nothing but the event's type: one instance each (immutable).
    private static readonly TaskEffects OfSubmitted = Nothing with { Reply = TaskReplyEffect.Accepted, Enqueue = true };
    private static readonly TaskEffects OfStarted = Nothing with { Publish = true, StartWork = true };
    private static readonly TaskEffects OfRequeued = Nothing with { Publish = true, Enqueue = true };

    /// <summary>
    /// The effects of <paramref name="e"/>, stored, which took the task from <paramref name="before"/> to
    /// <paramref name="after"/>. <paramref name="removing"/>: someone asked to remove the task (a cancellation on
    /// the way to deletion).
    /// </summary>
    public static TaskEffects Of(TaskState before, TaskState after, ITaskEvent e, bool removing = false) => e switch
    {
        TaskSubmitted => OfSubmitted,
        TaskStarted => OfStarted,
        TaskRequeued => OfRequeued,
        TaskRetryScheduled r => Nothing with
        {
            Publish = true, FreeSlot = true, StopWork = before.Status == BackgroundTaskStatus.Running, RetryAt = r.NextAttemptAt,
        },
        _ when after.IsTerminal => new TaskEffects(
            Reply: e is TaskCancelled ? TaskReplyEffect.Cancelled : TaskReplyEffect.None,
            AnswerWaiters: true,
            Publish: true,
            Enqueue: false,
            FreeSlot: true,
            StartWork: false,
            StopWork: before.Status == BackgroundTaskStatus.Running,
            CleanupAt: removing ? null : after.CleanupAt,
            DeleteNow: removing) { NotifyWebhook = after.Spec?.WebhookUrl is not null },
        _ => throw new ArgumentOutOfRangeException(nameof(e), e.GetType().Name, "Unknown task event."),
    };
}
