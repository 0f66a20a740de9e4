using Akka.Configuration;
using Praison.Actors.Persistence;

namespace Praison.Actors.Benchmarks.Baselines;

public enum StoreKind { Ephemeral, Sqlite, PostgreSql }

/// <summary>
/// A task store for one run. SQLite gets a fresh temp directory (deleted afterwards) so every run starts
/// from an empty journal; PostgreSQL uses the database in PRAISON_TEST_POSTGRES as it is.
/// </summary>
public sealed class StoreUnderTest : IDisposable
{
    private StoreUnderTest(StoreKind kind, TaskStore store, string? directory)
    {
        Kind = kind;
        Store = store;
        Directory = directory;
    }

    public StoreKind Kind { get; }
    public TaskStore Store { get; }
    public string? Directory { get; }

    public static StoreUnderTest Create(StoreKind kind, string? postgres) => kind switch
    {
        StoreKind.Ephemeral => new(kind, TaskStore.Ephemeral, null),
        StoreKind.Sqlite => NewSqlite(),
        StoreKind.PostgreSql => new(kind, TaskStore.PostgreSql(postgres ?? throw new InvalidOperationException("PRAISON_TEST_POSTGRES is not set.")), null),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private static StoreUnderTest NewSqlite()
    {
        var dir = Path.Combine(Path.GetTempPath(), "praison-bench-" + Guid.NewGuid().ToString("N")[..12]);
        return new(StoreKind.Sqlite, TaskStore.Sqlite(dir), dir);
    }

    public void Dispose()
    {
        if (Directory is null) return;
        try { System.IO.Directory.Delete(Directory, recursive: true); }
        catch (IOException) { /* a pooled SQLite handle may linger; the OS temp dir cleans up */ }
    }
}

/// <summary>Drives Praison.Actors through its public API only, as a client would.</summary>
public static class PraisonDriver
{
    /// <summary>Warnings only, so the table is not buried in start-up logs. Nothing else differs from the defaults.</summary>
    private static readonly Config Quiet = ConfigurationFactory.ParseString("""
        akka.loglevel = WARNING
        akka.stdout-loglevel = WARNING
        """);

    /// <summary>The no-op work every throughput figure runs: it completes synchronously with a tiny result.</summary>
    public static readonly Func<TaskContext, Task<int>> Noop = _ => Task.FromResult(0);

    public static Task<PraisonRuntime> StartAsync(TaskStore store, int maxConcurrent, int maxQueued = BackgroundRunnerOptions.DefaultMaxQueued,
        CancellationToken ct = default) =>
        PraisonRuntime.StartAsync(new PraisonRuntimeOptions
        {
            Store = store,
            Config = Quiet,
            Runner = new BackgroundRunnerOptions { MaxConcurrentTasks = maxConcurrent, MaxQueued = maxQueued },
        }, ct);

    /// <summary>
    /// Submits <paramref name="count"/> no-op tasks with at most <paramref name="window"/> submissions in flight
    /// (one at a time would measure round trips, not the runtime), and when <paramref name="awaitResults"/>
    /// waits for every result. Returns the Stopwatch timestamp at which the last submission was accepted.
    /// </summary>
    public static async Task<long> SubmitManyAsync(BackgroundRunner runner, int count, int window, bool awaitResults, CancellationToken ct,
        Func<TaskContext, Task<int>>? work = null)
    {
        work ??= Noop;
        var all = new Task[count];
        var accepted = 0;
        long lastAccepted = 0;
        using var inFlight = new SemaphoreSlim(window);
        for (var i = 0; i < count; i++)
        {
            await inFlight.WaitAsync(ct).ConfigureAwait(false);
            all[i] = One();
        }
        await Task.WhenAll(all).ConfigureAwait(false);
        return lastAccepted;

        async Task One()
        {
            ActorHandle<int> handle;
            try
            {
                handle = await runner.SubmitAsync(work, null, ct).ConfigureAwait(false);
            }
            finally
            {
                inFlight.Release();
            }
            if (Interlocked.Increment(ref accepted) == count) lastAccepted = System.Diagnostics.Stopwatch.GetTimestamp();
            if (awaitResults) await handle.WaitAsync(null, ct).ConfigureAwait(false);
        }
    }
}
