namespace Praison.Actors.Tasks;

/// <summary>
/// FIFO admission with a global limit and per-recipe caps, as a plain data structure: the shared core of the
/// local TaskSupervisor and the cluster's per-node supervisor. A task whose recipe is at its own cap lets
/// later tasks of other recipes pass; otherwise tasks start in the order they were queued.
/// </summary>
/// <remarks>
/// Every operation is O(1) amortised in the number of queued tasks (O(log g) in the number g of groups, below):
/// queued tasks sit in one FIFO per group of (recipe, cap) — all tasks of a group are blocked or free together,
/// so only a group's head can be next — and a sorted set orders the heads of the groups that may start now.
/// A group whose recipe is at its cap leaves that set until one of the recipe's runs ends, so a blocked recipe
/// costs nothing per submission (the old single queue rescanned every blocked task on each StartNext).
/// </remarks>
/// <typeparam name="T">What the owner keeps per task (e.g. the entity to send StartTask to).</typeparam>
internal sealed class SlotQueue<T>
{
    private readonly record struct Entry(string TaskId, string RecipeKey, int? RecipeCap, T Holder, long Seq); // held inline in its list node

    /// <summary>The queued tasks of one recipe that share one cap, in submission order.</summary>
    private sealed class Group(string recipeKey, int? cap)
    {
        public string RecipeKey { get; } = recipeKey;
        public int? Cap { get; } = cap;
        public LinkedList<Entry> Queue { get; } = new();
        public bool Ready { get; set; }
        public long HeadSeq => Queue.First!.Value.Seq;
    }

    /// <summary>Orders ready groups by their head's submission number (unique, so no two groups compare equal).</summary>
    private sealed class ByHead : IComparer<Group>
    {
        public static readonly ByHead Instance = new();
        public int Compare(Group? x, Group? y) => ReferenceEquals(x, y) ? 0 : x!.HeadSeq.CompareTo(y!.HeadSeq);
    }

    private static readonly List<(string TaskId, T Holder)> NoneStarted = new(); // returned empty, never filled
    private int _maxConcurrent;
    private long _nextSeq;
    private readonly Dictionary<string, (LinkedListNode<Entry> Node, Group Group)> _queuedById = new();
    private readonly Dictionary<(string RecipeKey, int? Cap), Group> _groups = new();
    // A recipe's groups (usually one: a recipe has one cap unless it was redefined while tasks were queued).
    private readonly Dictionary<string, List<Group>> _groupsByRecipe = new();
    private readonly SortedSet<Group> _ready = new(ByHead.Instance);
    private readonly Dictionary<string, Entry> _running = new();
    private readonly Dictionary<string, int> _runningPerRecipe = new();

    public SlotQueue(int maxConcurrent) => _maxConcurrent = maxConcurrent;

    public int QueuedCount => _queuedById.Count;
    public int RunningCount => _running.Count;

    /// <summary>
    /// How many tasks may hold a slot at once (the constructor's limit until set). Lowering it below the running count
    /// stops nothing; StartNext just gives no slot until enough are removed.
    /// </summary>
    public int Limit
    {
        get => _maxConcurrent;
        set => _maxConcurrent = value;
    }

    /// <summary>The holder of a queued or running task.</summary>
    public bool TryGetHolder(string taskId, out T holder)
    {
        if (_queuedById.TryGetValue(taskId, out var queued)) { holder = queued.Node.Value.Holder; return true; }
        if (_running.TryGetValue(taskId, out var entry)) { holder = entry.Holder; return true; }
        holder = default!;
        return false;
    }

    /// <summary>Queues a task at the back; false (and nothing changes) when it is already queued or running.</summary>
    public bool Enqueue(string taskId, string? recipe, int? recipeCap, T holder)
    {
        if (_queuedById.ContainsKey(taskId) || _running.ContainsKey(taskId)) return false;
        var key = recipe ?? "";
        if (!_groups.TryGetValue((key, recipeCap), out var group))
        {
            _groups[(key, recipeCap)] = group = new Group(key, recipeCap);
            if (!_groupsByRecipe.TryGetValue(key, out var list)) _groupsByRecipe[key] = list = new List<Group>(1);
            list.Add(group);
        }
        var node = group.Queue.AddLast(new Entry(taskId, key, recipeCap, holder, _nextSeq++));
        _queuedById[taskId] = (node, group);
        if (group.Queue.Count == 1) Refresh(group); // a new head; a later entry never changes the group's place
        return true;
    }

    /// <summary>Takes a task out of the queue or frees its slot; false when it held neither.</summary>
    public bool Remove(string taskId)
    {
        if (_queuedById.Remove(taskId, out var queued))
        {
            var group = queued.Group;
            // The sorted set is keyed by the head, so a group leaves it before its head changes.
            var wasHead = ReferenceEquals(group.Queue.First, queued.Node);
            if (wasHead) Unready(group);
            group.Queue.Remove(queued.Node);
            if (group.Queue.Count == 0) Drop(group);
            else if (wasHead) Refresh(group);
            return true;
        }
        if (!_running.Remove(taskId, out var entry)) return false;
        if (--_runningPerRecipe[entry.RecipeKey] == 0) _runningPerRecipe.Remove(entry.RecipeKey);
        RefreshRecipe(entry.RecipeKey);
        return true;
    }

    /// <summary>Moves every task that may start now into a slot, and returns them in the order they start.</summary>
    public List<(string TaskId, T Holder)> StartNext()
    {
        if (_running.Count >= _maxConcurrent || _ready.Count == 0) return NoneStarted; // the common case: no allocation
        var started = new List<(string, T)>();
        // The earliest head that may start is the one the old front-to-back scan would reach first: starting
        // tasks only ever blocks others within one call, so nothing passed over could become free again.
        while (_running.Count < _maxConcurrent && _ready.Min is { } group)
        {
            Unready(group);
            var e = group.Queue.First!.Value;
            group.Queue.RemoveFirst();
            _queuedById.Remove(e.TaskId);
            _running[e.TaskId] = e;
            _runningPerRecipe[e.RecipeKey] = _runningPerRecipe.GetValueOrDefault(e.RecipeKey) + 1;
            if (group.Queue.Count == 0) Drop(group);
            RefreshRecipe(e.RecipeKey);
            started.Add((e.TaskId, e.Holder));
        }
        return started;
    }

    private bool MayStart(Group g) => g.Cap is not { } cap || _runningPerRecipe.GetValueOrDefault(g.RecipeKey) < cap;

    /// <summary>Puts a non-empty group in the ready set, or takes it out, as its recipe's running count allows.</summary>
    private void Refresh(Group g)
    {
        var ready = g.Queue.Count > 0 && MayStart(g);
        if (ready == g.Ready) return;
        if (ready) _ready.Add(g);
        else _ready.Remove(g);
        g.Ready = ready;
    }

    /// <summary>After a recipe's running count changed: each of its groups may have become free or blocked.</summary>
    private void RefreshRecipe(string recipeKey)
    {
        if (!_groupsByRecipe.TryGetValue(recipeKey, out var groups)) return;
        foreach (var g in groups) Refresh(g);
    }

    private void Unready(Group g)
    {
        if (!g.Ready) return;
        _ready.Remove(g);
        g.Ready = false;
    }

    /// <summary>Forgets an empty group (already out of the ready set), so memory follows the queued tasks.</summary>
    private void Drop(Group g)
    {
        _groups.Remove((g.RecipeKey, g.Cap));
        var list = _groupsByRecipe[g.RecipeKey];
        list.Remove(g);
        if (list.Count == 0) _groupsByRecipe.Remove(g.RecipeKey);
    }
}
