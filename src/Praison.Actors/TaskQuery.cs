namespace Praison.Actors;

/// <summary>A filter for <see cref="BackgroundRunner.ListAsync"/>; null fields match everything.</summary>
public sealed record TaskQuery(BackgroundTaskStatus? Status = null, string? SessionId = null, string? Name = null)
{
    public static readonly TaskQuery All = new();

    public bool Matches(TaskStatusInfo t) =>
        (Status is null || t.Status == Status) &&
        (SessionId is null || t.SessionId == SessionId) &&
        (Name is null || t.Name == Name || t.RecipeName == Name);
}
