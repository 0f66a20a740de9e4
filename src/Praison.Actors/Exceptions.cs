namespace Praison.Actors;

/// <summary>
/// Base of every exception Praison.Actors defines, so one <c>catch</c> takes all of them. Cancellation and a wait's
/// own time limit stay the BCL's <see cref="TaskCanceledException"/> and <see cref="TimeoutException"/>, as documented.
/// </summary>
public abstract class PraisonActorsException : Exception
{
    /// <summary>Sets the message and the cause, if any.</summary>
    protected PraisonActorsException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}

/// <summary>Base of the errors a task reports through its handle.</summary>
public abstract class BackgroundTaskException : PraisonActorsException
{
    /// <summary>Sets the task id (null when the error is not about one task) and the message.</summary>
    protected BackgroundTaskException(string? taskId, string message, Exception? inner = null) : base(message, inner) =>
        TaskId = taskId;

    /// <summary>The task the error is about, or null.</summary>
    public string? TaskId { get; }
}

/// <summary>A delegate task failed; <see cref="Error"/> carries the remote error type, message and stack.</summary>
public sealed class BackgroundTaskFailedException : BackgroundTaskException
{
    /// <summary>A failure of task <paramref name="taskId"/> with its reported <paramref name="error"/>.</summary>
    public BackgroundTaskFailedException(string taskId, TaskError error)
        : base(taskId, $"Task {taskId} failed: {error.Message}") => Error = error;

    /// <summary>The error the work reported: type, message and stack.</summary>
    public TaskError Error { get; }
}

/// <summary>A recipe could not run (unknown, disabled, bad template) or its run failed; <see cref="Error"/> is set for a failed run.</summary>
public class RecipeException : BackgroundTaskException
{
    /// <summary>A recipe problem not tied to a run (unknown name, bad template or input).</summary>
    public RecipeException(string message, string? recipeName = null) : base(null, message) => RecipeName = recipeName;

    /// <summary>Run <paramref name="taskId"/> of recipe <paramref name="recipeName"/> failed with <paramref name="error"/>.</summary>
    public RecipeException(string taskId, string recipeName, TaskError error)
        : base(taskId, $"Recipe '{recipeName}' (task {taskId}) failed: {error.Message}")
    {
        RecipeName = recipeName;
        Error = error;
    }

    /// <summary>The recipe concerned, when known.</summary>
    public string? RecipeName { get; }
    /// <summary>The error of the failed run, when the exception reports one.</summary>
    public TaskError? Error { get; }
}

/// <summary>The task ran past its own timeout; its token was cancelled and it ended Failed.</summary>
public sealed class TaskTimedOutException : BackgroundTaskException
{
    /// <summary>Task <paramref name="taskId"/> ran past its timeout; <paramref name="error"/> says which.</summary>
    public TaskTimedOutException(string taskId, TaskError error) : base(taskId, $"Task {taskId} timed out: {error.Message}") =>
        Error = error;

    /// <summary>The timeout error as stored with the task.</summary>
    public TaskError Error { get; }
}

/// <summary>No task with this id exists (never submitted, or already cleaned up).</summary>
public sealed class TaskNotFoundException : BackgroundTaskException
{
    /// <summary>No task <paramref name="taskId"/> exists.</summary>
    public TaskNotFoundException(string taskId) : base(taskId, $"No task with id '{taskId}' exists (never submitted, or already cleaned up).") { }
}

/// <summary>The runtime refused a submission (queue full, bad input); nothing was stored.</summary>
public sealed class TaskRejectedException : BackgroundTaskException
{
    /// <summary>The runner refused the submission; <paramref name="message"/> says why (e.g. the queue is full).</summary>
    public TaskRejectedException(string message) : base(null, message) { }
}

/// <summary>
/// Thrown by a task's work to stop itself because a spending limit (e.g. a model run's cost in USD) was reached; the
/// task ends Failed with <see cref="TaskErrorKind.BudgetExceeded"/> instead of <see cref="TaskErrorKind.Exception"/>.
/// </summary>
public sealed class BudgetExceededException : PraisonActorsException
{
    /// <summary>The limit reached; <paramref name="message"/> says which and by how much.</summary>
    public BudgetExceededException(string message) : base(message) { }
}
