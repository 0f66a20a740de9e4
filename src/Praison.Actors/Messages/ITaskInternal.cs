using Akka.Actor;
using Akka.Event;

namespace Praison.Actors.Messages;

/// <summary>
/// Messages a task's actor (TaskRunner, TaskEntity) sends itself: results of its work (via PipeTo), progress from the work, its timers.
/// They never leave the process and never push back the task's timeout. Those that arrive after the task's
/// actor has stopped (late progress from work that ignored its cancellation) are dropped without a dead-letter log.
/// </summary>
internal interface ITaskInternal : INotInfluenceReceiveTimeout, INoSerializationVerificationNeeded, IDeadLetterSuppression;

/// <summary>The work of run <paramref name="RunId"/> ended: a JSON result, or an error.</summary>
internal sealed record WorkFinished(int RunId, string? ResultJson, TaskError? Error, bool Cancelled) : ITaskInternal;

/// <summary>Progress reported by the work of run <paramref name="RunId"/>.</summary>
internal sealed record ProgressReported(int RunId, double Fraction, string? Message, DateTimeOffset At) : ITaskInternal;

/// <summary>A task entity has had nothing to do for its idle time: it may leave memory.</summary>
internal sealed record IdleDue : ITaskInternal
{
    public static readonly IdleDue Instance = new();
}

/// <summary>The stored wait before a task's next attempt has passed: it asks for a slot again.</summary>
internal sealed record NextAttemptDue : ITaskInternal
{
    public static readonly NextAttemptDue Instance = new();
}

/// <summary>
/// A task entity that may skip its replay tells itself this when it starts: if it is the first message the entity
/// gets (no submission came first: an entity started with no message for it), the entity replays.
/// </summary>
internal sealed record ReplayIfUnsubmitted : ITaskInternal
{
    public static readonly ReplayIfUnsubmitted Instance = new();
}

/// <summary>The cleanup delay of a finished task has passed.</summary>
internal sealed record CleanupDue : ITaskInternal
{
    public static readonly CleanupDue Instance = new();
}

/// <summary>The backoff of a task's failed write has passed: send it again (see <c>TaskWrites</c>).</summary>
internal sealed record RetryWrite(string TaskId) : ITaskInternal;
