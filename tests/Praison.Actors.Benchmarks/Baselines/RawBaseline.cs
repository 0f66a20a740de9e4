namespace Praison.Actors.Benchmarks.Baselines;

/// <summary>
/// The practical limit of in-process scheduling: SemaphoreSlim + Task.Run for no-op work at the same
/// concurrency, no persistence, no ids, no status. Praison.Actors can only approach it.
/// </summary>
public static class RawBaseline
{
    public static async Task RunAsync(int count, int concurrency, CancellationToken ct)
    {
        using var slots = new SemaphoreSlim(concurrency);
        var all = new Task[count];
        for (var i = 0; i < count; i++)
        {
            await slots.WaitAsync(ct).ConfigureAwait(false);
            all[i] = Task.Run(() => slots.Release(), ct);
        }
        await Task.WhenAll(all).ConfigureAwait(false);
    }
}
