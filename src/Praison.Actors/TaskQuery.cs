namespace Praison.Actors;

/// <summary>
/// A filter for <see cref="BackgroundRunner.ListAsync"/> and <see cref="TaskStore.QueryTasksAsync"/>; null
/// fields match everything. <see cref="Offset"/> and <see cref="Limit"/> page the results (oldest first).
/// </summary>
public sealed record TaskQuery(BackgroundTaskStatus? Status = null, string? SessionId = null, string? Name = null)
{
    /// <summary>Matches every task.</summary>
    public static readonly TaskQuery All = new();

    /// <summary>Only tasks a schedule of this name submitted (<see cref="TaskStatusInfo.ScheduleName"/>); null matches every task.</summary>
    public string? ScheduleName { get; init; }

    /// <summary>How many matching tasks to skip, oldest first.</summary>
    public int Offset { get; init; }

    /// <summary>At most this many tasks; null for all.</summary>
    public int? Limit { get; init; }

    /// <summary>Whether <paramref name="t"/> passes the filter (status, session, name and schedule; not the page).</summary>
    public bool Matches(TaskStatusInfo t) =>
        (Status is null || t.Status == Status) &&
        (SessionId is null || t.SessionId == SessionId) &&
        (Name is null || t.Name == Name || t.RecipeName == Name) &&
        (ScheduleName is null || t.ScheduleName == ScheduleName);
}

/// <summary>One page of tasks, oldest first, and how many tasks match the query in all.</summary>
public sealed record TaskPage(IReadOnlyList<TaskStatusInfo> Tasks, long Total, int Offset, int Limit);
