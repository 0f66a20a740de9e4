namespace Praison.Actors.Tests.Tasks;

/// <summary>
/// The oracle for SlotQueue's model test: the original admission algorithm, obviously right and O(n) per
/// StartNext (one front-to-back scan of a single queue, starting each task its recipe's cap allows).
/// Kept verbatim in behaviour; only the fast SlotQueue in src/ is used by the runtime.
/// </summary>
internal sealed class ReferenceSlotQueue<T>(int maxConcurrent)
{
    private sealed record Entry(string TaskId, string RecipeKey, int? RecipeCap, T Holder);

    private readonly LinkedList<Entry> _queue = new();
    private readonly Dictionary<string, LinkedListNode<Entry>> _queuedById = new();
    private readonly Dictionary<string, Entry> _running = new();
    private readonly Dictionary<string, int> _runningPerRecipe = new();

    public int QueuedCount => _queue.Count;
    public int RunningCount => _running.Count;

    public bool TryGetHolder(string taskId, out T holder)
    {
        if (_queuedById.TryGetValue(taskId, out var node)) { holder = node.Value.Holder; return true; }
        if (_running.TryGetValue(taskId, out var entry)) { holder = entry.Holder; return true; }
        holder = default!;
        return false;
    }

    public bool Enqueue(string taskId, string? recipe, int? recipeCap, T holder)
    {
        if (_queuedById.ContainsKey(taskId) || _running.ContainsKey(taskId)) return false;
        _queuedById[taskId] = _queue.AddLast(new Entry(taskId, recipe ?? "", recipeCap, holder));
        return true;
    }

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

    public List<(string TaskId, T Holder)> StartNext()
    {
        var started = new List<(string, T)>();
        for (var node = _queue.First; node is not null && _running.Count < maxConcurrent;)
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
