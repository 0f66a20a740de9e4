using Akka.Actor;
using Akka.Event;
using Praison.Actors.Messages;

namespace Praison.Actors;

/// <summary>
/// What a task's work receives: its id and session, a token cancelled on cancel, timeout or shutdown,
/// a way to report progress and a logger. Progress is sent to the task's actor as a message; the work
/// never touches actor state.
/// </summary>
public class TaskContext
{
    private readonly IActorRef _task;
    private readonly int _runId;

    internal TaskContext(string taskId, string name, string? sessionId, int attempt, CancellationToken cancellationToken,
        IActorRef task, int runId, ILoggingAdapter log)
    {
        TaskId = taskId;
        Name = name;
        SessionId = sessionId;
        Attempt = attempt;
        CancellationToken = cancellationToken;
        Log = log;
        _task = task;
        _runId = runId;
    }

    /// <summary>Copies another context (used by <see cref="RecipeContext"/>).</summary>
    protected TaskContext(TaskContext other)
        : this(other.TaskId, other.Name, other.SessionId, other.Attempt, other.CancellationToken, other._task, other._runId, other.Log)
    {
    }

    /// <summary>The task's id.</summary>
    public string TaskId { get; }
    /// <summary>The task's name (the recipe name for recipe runs).</summary>
    public string Name { get; }
    /// <summary>The session the task was submitted in, if any.</summary>
    public string? SessionId { get; }

    /// <summary>1 on the first run; higher when a recipe is run again after a restart.</summary>
    public int Attempt { get; }

    /// <summary>Signalled when the task is cancelled or times out; pass it to the work's awaits.</summary>
    public CancellationToken CancellationToken { get; }
    /// <summary>Log of the actor running the task.</summary>
    public ILoggingAdapter Log { get; }

    /// <summary>Reports progress: <paramref name="fraction"/> in [0, 1] (clamped) and an optional step message.</summary>
    public void ReportProgress(double fraction, string? message = null)
    {
        if (double.IsNaN(fraction))
            throw new ArgumentOutOfRangeException(nameof(fraction), "Progress must be a number between 0 and 1.");
        _task.Tell(new ProgressReported(_runId, Math.Clamp(fraction, 0, 1), message, DateTimeOffset.UtcNow));
    }
}
