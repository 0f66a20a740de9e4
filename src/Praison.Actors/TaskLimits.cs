namespace Praison.Actors;

/// <summary>
/// The sizes the runtime accepts for what a client names a task by. Every surface (C# API, CLI, jobs API) refuses a
/// value past these with an error naming the limit, so nothing oversized is ever stored or echoed back on every list.
/// Inputs, configs and results are bounded separately, in bytes of JSON, by <see cref="BackgroundRunnerOptions.MaxPayloadBytes"/>.
/// </summary>
public static class TaskLimits
{
    /// <summary>Longest task id, in characters; ids are <c>[A-Za-z0-9_-]</c> only (see <see cref="TaskIds"/>).</summary>
    public const int MaxIdLength = 64;

    /// <summary>Longest recipe name or task name (<see cref="TaskOptions.Name"/>), in characters.</summary>
    public const int MaxNameLength = 200;

    /// <summary>Longest session id (<c>session_id</c>), in characters.</summary>
    public const int MaxSessionIdLength = 256;

    /// <summary>What is wrong with a recipe or task name, or null when it is acceptable (not blank, at most <see cref="MaxNameLength"/>).</summary>
    public static string? NameProblem(string? name, string what = "name") =>
        string.IsNullOrWhiteSpace(name) ? $"{what} must not be empty."
        : name.Length > MaxNameLength ? $"{what} is {name.Length} characters long, over the limit of {MaxNameLength}."
        : null;

    /// <summary>What is wrong with a schedule name (1 to 64 of <c>[A-Za-z0-9_.-]</c>), or null when it is fine.</summary>
    /// <param name="name">The name to check.</param>
    public static string? ScheduleNameProblem(string? name) => Scheduling.ScheduleService.NameProblem(name);

    /// <summary>What is wrong with a session id, or null when it is acceptable (absent, or at most <see cref="MaxSessionIdLength"/>).</summary>
    public static string? SessionIdProblem(string? sessionId, string what = "session_id") =>
        sessionId is { Length: > MaxSessionIdLength }
            ? $"{what} is {sessionId.Length} characters long, over the limit of {MaxSessionIdLength}."
            : null;
}
