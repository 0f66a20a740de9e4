namespace Praison.Actors;

/// <summary>Why a task failed.</summary>
public enum TaskErrorKind
{
    /// <summary>The work threw.</summary>
    Exception,

    /// <summary>The task ran past its own timeout and was stopped.</summary>
    Timeout,

    /// <summary>The process stopped while the task ran, and the task could not be resumed.</summary>
    Interrupted,

    /// <summary>The work returned a result that could not be stored (too large or not serializable).</summary>
    InvalidResult,

    /// <summary>
    /// Every attempt its <see cref="RetryPolicy"/> allowed failed; the message is the last attempt's, and
    /// <see cref="TaskStatusInfo.AttemptErrors"/> holds every attempt's error.
    /// </summary>
    RetriesExhausted,
    /// <summary>The work stopped itself because a spending limit was reached (it threw <see cref="BudgetExceededException"/>).</summary>
    BudgetExceeded,
}

/// <summary>A stored failure: the remote error travels as data, so it survives restarts and crosses nodes.</summary>
public sealed record TaskError(TaskErrorKind Kind, string Message, string? ErrorType = null, string? StackTrace = null)
{
    internal static TaskError FromException(Exception ex)
    {
        var e = ex is AggregateException { InnerExceptions.Count: 1 } agg ? agg.InnerException! : ex;
        // The one exception the work may throw to choose its error kind: a budget brake is not a crash.
        var kind = e is BudgetExceededException ? TaskErrorKind.BudgetExceeded : TaskErrorKind.Exception;
        return new TaskError(kind, e.Message, e.GetType().FullName, e.StackTrace);
    }
}
