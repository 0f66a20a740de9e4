namespace Praison.Actors.Tasks;

/// <summary>
/// FIFO admission with a global limit and per-recipe caps, as a plain data structure: the shared core of the
/// local TaskSupervisor and the cluster's per-node supervisor. A task whose recipe is at its own cap lets
/// later tasks of other recipes pass; otherwise tasks start in the order they were queued.
/// </summary>
/// <typeparam name="T">What the owner keeps per task (e.g. the entity to send StartTask to).</typeparam>
public sealed class SlotQueue<T>
{
    private sealed record Entry(string TaskId, string RecipeKey, int? RecipeCap, T Holder);

    private readonly int _maxConcurrent;
    private readonly LinkedList<Entry> _queue = new();
    private readonly Dictionary<string, LinkedListNode<Entry>> _queuedById = new();
    private readonly Dictionary<string, Entry> _running = new();
    private readonly Dictionary<string, int> _runningPerRecipe = new();

    public SlotQueue(int maxConcurrent) => _maxConcurrent = maxConcurrent;

    public int QueuedCount => _queue.Count;
    public int RunningCount => _running.Count;

    /// <summary>The holder of a queued or running task.</summary>
    public bool TryGetHolder(string taskId, out T holder)
    {
        if (_queuedById.TryGetValue(taskId, out var node)) { holder = node.Value.Holder; return true; }
        if (_running.TryGetValue(taskId, out var entry)) { holder = entry.Holder; return true; }
        holder = default!;
        return false;
    }

    /// <summary>Queues a task at the back; false (and nothing changes) when it is already queued or running.</summary>
    public bool Enqueue(string taskId, string? recipe, int? recipeCap, T holder)
    {
        if (_queuedById.ContainsKey(taskId) || _running.ContainsKey(taskId)) return false;
        _queuedById[taskId] = _queue.AddLast(new Entry(taskId, recipe ?? "", recipeCap, holder));
        return true;
    }

    /// <summary>Takes a task out of the queue or frees its slot; false when it held neither.</summary>
    public bool Remove(string taskId)
    {
        if (_queuedById.Remove(taskId, out var node))
        {
            _queue.Remove(node);
            return true;
        }
        if (!_running.Remove(taskId, out var entry)) return false;
        if (--_runningPerRecipe[entry.RecipeKey] == 0) _runningPerRecipe.Remove(entry.RecipeKey);
        return true;
    }

    /// <summary>Moves every task that may start now into a slot, and returns them in the order they start.</summary>
    public List<(string TaskId, T Holder)> StartNext()
    {
        var started = new List<(string, T)>();
        for (var node = _queue.First; node is not null && _running.Count < _maxConcurrent;)
        {
            var next = node.Next;
            var e = node.Value;
            var running = _runningPerRecipe.GetValueOrDefault(e.RecipeKey);
            if (e.RecipeCap is not { } cap || running < cap)
            {
                _queue.Remove(node);
                _queuedById.Remove(e.TaskId);
                _running[e.TaskId] = e;
                _runningPerRecipe[e.RecipeKey] = running + 1;
                started.Add((e.TaskId, e.Holder));
            }
            node = next;
        }
        return started;
    }
}
