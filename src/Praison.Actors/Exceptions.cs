namespace Praison.Actors;

/// <summary>Base of the errors a task reports through its handle.</summary>
public abstract class BackgroundTaskException : Exception
{
    protected BackgroundTaskException(string? taskId, string message, Exception? inner = null) : base(message, inner) =>
        TaskId = taskId;

    public string? TaskId { get; }
}

/// <summary>A delegate task failed; <see cref="Error"/> carries the remote error type, message and stack.</summary>
public sealed class BackgroundTaskFailedException : BackgroundTaskException
{
    public BackgroundTaskFailedException(string taskId, TaskError error)
        : base(taskId, $"Task {taskId} failed: {error.Message}") => Error = error;

    public TaskError Error { get; }
}

/// <summary>A recipe could not run (unknown, disabled, bad template) or its run failed; <see cref="Error"/> is set for a failed run.</summary>
public class RecipeException : BackgroundTaskException
{
    public RecipeException(string message, string? recipeName = null) : base(null, message) => RecipeName = recipeName;

    public RecipeException(string taskId, string recipeName, TaskError error)
        : base(taskId, $"Recipe '{recipeName}' (task {taskId}) failed: {error.Message}")
    {
        RecipeName = recipeName;
        Error = error;
    }

    public string? RecipeName { get; }
    public TaskError? Error { get; }
}

/// <summary>The task ran past its own timeout; its token was cancelled and it ended Failed.</summary>
public sealed class TaskTimedOutException : BackgroundTaskException
{
    public TaskTimedOutException(string taskId, TaskError error) : base(taskId, $"Task {taskId} timed out: {error.Message}") =>
        Error = error;

    public TaskError Error { get; }
}

/// <summary>No task with this id exists (never submitted, or already cleaned up).</summary>
public sealed class TaskNotFoundException : BackgroundTaskException
{
    public TaskNotFoundException(string taskId) : base(taskId, $"No task with id '{taskId}' exists (never submitted, or already cleaned up).") { }
}

/// <summary>The runtime refused a submission (queue full, bad input); nothing was stored.</summary>
public sealed class TaskRejectedException : BackgroundTaskException
{
    public TaskRejectedException(string message) : base(null, message) { }
}
