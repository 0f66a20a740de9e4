namespace Praison.Actors;

/// <summary>What a task runs: a registered recipe (re-runnable from its stored input) or an in-process delegate.</summary>
public enum TaskKind
{
    /// <summary>A run of a registered recipe, by name.</summary>
    Recipe,
    /// <summary>An in-process delegate passed to SubmitAsync.</summary>
    Delegate,
}
