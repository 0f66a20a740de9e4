namespace Praison.Actors.Persistence;

/// <summary>
/// The journal's persistence id of a schedule's events: <c>schedule|NAME</c>. Every scan of task events reads
/// <see cref="TaskPersistenceIds.Prefix"/> (<c>task-</c>) ids only, and no task id can make a <c>task-</c> id start with
/// <c>schedule|</c>, so the two never meet; <c>|</c> is not allowed in a schedule name, so one name is one id.
/// </summary>
internal static class SchedulePersistenceIds
{
    /// <summary>The prefix every schedule's persistence id starts with.</summary>
    public const string Prefix = "schedule|";

    /// <summary>The persistence id of schedule <paramref name="name"/>.</summary>
    public static string For(string name) => Prefix + name;

    /// <summary>The schedule name of a schedule persistence id.</summary>
    public static string NameOf(string persistenceId) => persistenceId[Prefix.Length..];
}
