namespace Praison.Actors;

/// <summary>What a task runs: a registered recipe (re-runnable from its stored input) or an in-process delegate.</summary>
public enum TaskKind
{
    Recipe,
    Delegate,
}
