namespace Praison.Actors.Handles;

/// <summary>
/// Waits on several handles at once: every wait is one Ask in flight at the same time, each with the same rules as
/// <see cref="ActorHandle.WaitAsync"/>.
/// </summary>
internal static class HandleWaits
{
    /// <summary>All results in input order, like Task.WhenAll: the first non-completed task's exception, or one wait timeout for the unfinished.</summary>
    public static async Task<IReadOnlyList<TResult>> AllAsync<THandle, TResult>(IEnumerable<THandle> handles,
        Func<THandle, TimeSpan?, CancellationToken, Task<TResult>> wait, TimeSpan? timeout, CancellationToken cancellationToken)
        where THandle : ActorHandle
    {
        var list = Listed(handles);
        CheckTimeout(timeout);
        var waits = list.Select(h => wait(h, timeout, cancellationToken)).ToArray();
        try
        {
            await Task.WhenAll(waits).ConfigureAwait(false);
        }
        catch
        {
            // Read below, wait by wait: which ones timed out decides the exception.
        }
        cancellationToken.ThrowIfCancellationRequested();

        var unfinished = Enumerable.Range(0, waits.Length).Where(i => waits[i].Exception?.InnerException is TimeoutException).ToList();
        if (unfinished.Count > 0)
            throw new TimeoutException(
                $"Waiting for {list.Count} tasks timed out after {timeout}: {unfinished.Count} still unfinished " +
                $"({Ids(unfinished.Select(i => list[i]))}); they keep running and can be waited on again.");
        // GetResult rethrows a failed wait's own exception, and a cancelled task's TaskCanceledException as itself.
        return waits.Select(w => w.GetAwaiter().GetResult()).ToArray();
    }

    /// <summary>The handle of the first task to finish, whatever its outcome, like Task.WhenAny.</summary>
    public static async Task<THandle> AnyAsync<THandle>(IEnumerable<THandle> handles, TimeSpan? timeout, CancellationToken cancellationToken)
        where THandle : ActorHandle
    {
        var list = Listed(handles);
        if (list.Count == 0) throw new ArgumentException("WaitAnyAsync needs at least one handle.", nameof(handles));
        CheckTimeout(timeout);
        // Once one wait ends, the others' asks are cancelled: their temporary reply actors stop; the tasks run on.
        using var rest = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var waits = list.Select(h => EndAsync(h, timeout, rest.Token)).ToList();
        try
        {
            var first = await Task.WhenAny(waits).ConfigureAwait(false);
            var error = await first.ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            return error switch
            {
                null => list[waits.IndexOf(first)],
                TimeoutException => throw new TimeoutException(
                    $"None of {list.Count} tasks finished within {timeout} ({Ids(list)}); they keep running and can be waited on again."),
                _ => throw error,
            };
        }
        finally
        {
            rest.Cancel();
        }
    }

    /// <summary>Null once the task has finished (completed, failed, timed out or cancelled); otherwise why the wait ended.</summary>
    private static async Task<Exception?> EndAsync(ActorHandle handle, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        try
        {
            await handle.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (Exception ex) when (ex is BackgroundTaskFailedException or TaskTimedOutException or RecipeException { TaskId: not null }
                                   || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return null; // the task's own outcome: its WaitAsync throws this again at once
        }
        catch (Exception ex)
        {
            return ex;
        }
    }

    private static IReadOnlyList<THandle> Listed<THandle>(IEnumerable<THandle> handles) where THandle : ActorHandle
    {
        ArgumentNullException.ThrowIfNull(handles);
        var list = handles.ToList();
        if (list.Any(h => h is null)) throw new ArgumentException("A handle in the list is null.", nameof(handles));
        return list;
    }

    private static void CheckTimeout(TimeSpan? timeout)
    {
        if (timeout is { } t && t <= TimeSpan.Zero && t != Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(nameof(timeout), t, "The wait timeout must be positive.");
    }

    private static string Ids(IEnumerable<ActorHandle> handles)
    {
        var ids = handles.Select(h => h.TaskId).ToList();
        return string.Join(", ", ids.Take(10)) + (ids.Count > 10 ? $", … {ids.Count - 10} more" : "");
    }
}
