namespace Praison.Actors.Messages;

/// <summary>The in-process work of a task. It receives a context and returns a JSON-serializable result.</summary>
internal delegate Task<object?> TaskWork(TaskContext context);
