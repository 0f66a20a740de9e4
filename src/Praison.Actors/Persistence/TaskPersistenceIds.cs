namespace Praison.Actors.Persistence;

/// <summary>
/// The journal's persistence id of a task. Lives with the journal (not the task actors) so the store never needs
/// the actors' namespace: the actors depend on persistence, not the other way round.
/// </summary>
internal static class TaskPersistenceIds
{
    /// <summary>The prefix every task's persistence id starts with.</summary>
    public const string Prefix = "task-";

    /// <summary>The persistence id of task <paramref name="taskId"/>.</summary>
    public static string For(string taskId) => Prefix + taskId;
}
