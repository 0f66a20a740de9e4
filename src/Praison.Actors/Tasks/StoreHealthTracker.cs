namespace Praison.Actors.Tasks;

/// <summary>
/// What a supervisor knows about its store from the writes it sees: failing from the first failed write until a
/// write succeeds with no other write waiting for its retry; and which tasks have a write waiting for its retry
/// (new tasks do not start while any has).
/// </summary>
internal sealed class StoreHealthTracker
{
    private readonly HashSet<string> _retrying = new();
    private string? _lastError;
    private DateTimeOffset? _since;

    public bool AnyRetrying => _retrying.Count > 0;

    /// <summary>A write failed; <paramref name="retried"/> when it will be sent again (not a refused submission or a delete).</summary>
    public void Failed(string taskId, string error, bool retried, DateTimeOffset now)
    {
        _lastError = error;
        _since ??= now;
        if (retried) _retrying.Add(taskId);
    }

    /// <summary>
    /// A write of the task succeeded. The store counts as working again once no other task's write waits for a retry.
    /// True when that ended a retry of this task (slots may be given again).
    /// </summary>
    public bool Succeeded(string taskId)
    {
        var ended = _retrying.Remove(taskId);
        if (_retrying.Count == 0)
        {
            _lastError = null;
            _since = null;
        }
        return ended;
    }

    /// <summary>The task is gone (or its actor stopped): it no longer waits for a retry.</summary>
    public bool Forget(string taskId) => _retrying.Remove(taskId);

    /// <summary>Healthy when no write has failed since the last success and none waits for a retry.</summary>

    public Messages.StoreHealth Snapshot() => new(_lastError is null && !AnyRetrying, _lastError, _since);
}
