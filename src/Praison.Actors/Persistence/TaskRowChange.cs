using System.Text;
using Praison.Actors.Messages;

namespace Praison.Actors.Persistence;

/// <summary>
/// What one stored event changes in the task's row of the task table: a pure function of (task id, sequence number,
/// event), so the row and the journal cannot disagree about what an event means. <see cref="Spec"/> is set only by
/// Submitted, which inserts the row; every other event updates the row it finds. A null field leaves the column as
/// it is.
/// </summary>
internal sealed record TaskRowChange(string TaskId, long SequenceNr, BackgroundTaskStatus Status)
{
    /// <summary>Set by Submitted: the row is inserted with these fields.</summary>
    public TaskSpec? Spec { get; init; }

    public DateTimeOffset? SubmittedAt { get; init; }
    public int? Attempt { get; init; }

    /// <summary>A start; the row keeps its first one (a rerun keeps the task's original start, as its state does).</summary>
    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? FinishedAt { get; init; }
    public TaskError? Error { get; init; }

    /// <summary>UTF-8 size of the stored result JSON; the result itself stays in the journal's Completed event.</summary>
    public int? ResultBytes { get; init; }

    /// <summary>When the next attempt may start (a retry's wait); the row clears it once the task is not Pending.</summary>
    public DateTimeOffset? NextAttemptAt { get; init; }

    /// <summary>Errors of failed attempts to append to the row's list, as JSON lines (one error object per line).</summary>
    public string? AttemptErrorLines { get; init; }

    public bool Inserts => Spec is not null;

    /// <summary>When a row inserted by this change is cleaned up; updates compute it from the row's stored cleanup delay.</summary>
    public DateTimeOffset? CleanupAt => FinishedAt + Spec?.CleanupDelay;

    public static TaskRowChange Of(string taskId, long sequenceNr, ITaskEvent e) => e switch
    {
        TaskSubmitted s => new(taskId, sequenceNr, BackgroundTaskStatus.Pending) { Spec = s.Spec, SubmittedAt = s.At, Attempt = 0 },
        TaskStarted s => new(taskId, sequenceNr, BackgroundTaskStatus.Running) { Attempt = s.Attempt, StartedAt = s.At },
        TaskRequeued => new(taskId, sequenceNr, BackgroundTaskStatus.Pending),
        TaskRetryScheduled r => new(taskId, sequenceNr, BackgroundTaskStatus.Pending)
        {
            Attempt = r.Attempt, NextAttemptAt = r.NextAttemptAt, AttemptErrorLines = ErrorLines([r.Error]),
        },
        TaskRetriesExhausted x => new(taskId, sequenceNr, BackgroundTaskStatus.Failed)
        {
            Attempt = x.Attempt, FinishedAt = x.At, Error = Lifecycle.TaskState.ExhaustedError(x), AttemptErrorLines = ErrorLines([x.Error]),
        },
        TaskCompleted c => new(taskId, sequenceNr, BackgroundTaskStatus.Completed)
        {
            FinishedAt = c.At, ResultBytes = c.ResultJson is null ? 0 : Encoding.UTF8.GetByteCount(c.ResultJson),
        },
        TaskFailed f => new(taskId, sequenceNr, BackgroundTaskStatus.Failed) { FinishedAt = f.At, Error = f.Error },
        TaskCancelled c => new(taskId, sequenceNr, BackgroundTaskStatus.Cancelled) { FinishedAt = c.At },
        _ => throw new ArgumentOutOfRangeException(nameof(e), e.GetType().Name, "Unknown task event."),
    };

    /// <summary>
    /// This change followed by <paramref name="next"/> (a later event of the same task in the same batch) as one
    /// change, so a batch touches each row once (PostgreSQL refuses to upsert one row twice in a statement).
    /// </summary>
    public TaskRowChange Then(TaskRowChange next) => new(TaskId, next.SequenceNr, next.Status)
    {
        Spec = Spec ?? next.Spec,
        SubmittedAt = SubmittedAt ?? next.SubmittedAt,
        Attempt = next.Attempt ?? Attempt,
        StartedAt = StartedAt ?? next.StartedAt,
        FinishedAt = next.FinishedAt ?? FinishedAt,
        Error = next.Error ?? Error,
        ResultBytes = next.ResultBytes ?? ResultBytes,
        NextAttemptAt = next.Status == BackgroundTaskStatus.Pending ? next.NextAttemptAt ?? NextAttemptAt : null, // as the row's rule
        AttemptErrorLines = AttemptErrorLines is null ? next.AttemptErrorLines
            : next.AttemptErrorLines is null ? AttemptErrorLines : AttemptErrorLines + next.AttemptErrorLines,
    };

    /// <summary>Errors as JSON lines, each ending in a newline, so appending is plain text concatenation in any SQL dialect.</summary>
    public static string? ErrorLines(IReadOnlyList<TaskError> errors) =>
        errors.Count == 0 ? null
            : string.Concat(errors.Select(e => System.Text.Json.JsonSerializer.Serialize(e, Serialization.PraisonJsonSerializer.EventOptions) + "\n"));

    /// <summary>The errors stored as <see cref="ErrorLines"/>.</summary>
    public static IReadOnlyList<TaskError> ParseErrorLines(string? lines) =>
        string.IsNullOrEmpty(lines) ? []
            : lines.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => System.Text.Json.JsonSerializer.Deserialize<TaskError>(l, Serialization.PraisonJsonSerializer.EventOptions)!).ToList();

    /// <summary>The changes of a batch of events, one per task, in the batch's order of first appearance.</summary>
    public static IReadOnlyList<TaskRowChange> Coalesce(IEnumerable<TaskRowChange> changes)
    {
        var byTask = new Dictionary<string, int>();
        var result = new List<TaskRowChange>();
        foreach (var change in changes)
        {
            if (byTask.TryGetValue(change.TaskId, out var i)) result[i] = result[i].Then(change);
            else
            {
                byTask[change.TaskId] = result.Count;
                result.Add(change);
            }
        }
        return result;
    }
}
