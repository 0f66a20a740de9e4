using Akka.Actor;

namespace Praison.Actors.Messages;

/// <summary>
/// Messages a TaskActor sends itself: results of its work (via PipeTo), progress from the work, its timers.
/// They never leave the process and never push back the task's timeout.
/// </summary>
internal interface ITaskInternal : INotInfluenceReceiveTimeout, INoSerializationVerificationNeeded;

/// <summary>The work of run <paramref name="RunId"/> ended: a JSON result, or an error.</summary>
internal sealed record WorkFinished(int RunId, string? ResultJson, TaskError? Error, bool Cancelled) : ITaskInternal;

/// <summary>Progress reported by the work of run <paramref name="RunId"/>.</summary>
internal sealed record ProgressReported(int RunId, double Fraction, string? Message, DateTimeOffset At) : ITaskInternal;

/// <summary>The cleanup delay of a finished task has passed.</summary>
internal sealed record CleanupDue : ITaskInternal
{
    public static readonly CleanupDue Instance = new();
}
