using Akka.Configuration;
using Microsoft.Data.Sqlite;
using Npgsql;
using Praison.Actors.Persistence;

namespace Praison.Actors.Benchmarks.Baselines;

public enum StoreKind { Ephemeral, Sqlite, PostgreSql }

/// <summary>
/// A task store for one run, always empty at the start: SQLite gets a fresh temp directory, PostgreSQL a fresh
/// database on the server named by PRAISON_TEST_POSTGRES (as the integration tests do). Both are removed
/// afterwards, so no run sees another's tasks and nothing is left behind for later runs or tests.
/// </summary>
public sealed class StoreUnderTest : IAsyncDisposable
{
    private readonly string? _pgAdmin;
    private readonly string? _pgDatabase;

    private StoreUnderTest(StoreKind kind, TaskStore store, string? directory, string? pgAdmin = null, string? pgDatabase = null)
    {
        Kind = kind;
        Store = store;
        Directory = directory;
        _pgAdmin = pgAdmin;
        _pgDatabase = pgDatabase;
    }

    public StoreKind Kind { get; }
    public TaskStore Store { get; }
    public string? Directory { get; }

    public static async Task<StoreUnderTest> CreateAsync(StoreKind kind, string? postgres, CancellationToken ct = default)
    {
        switch (kind)
        {
            case StoreKind.Ephemeral:
                return new(kind, TaskStore.Ephemeral, null);
            case StoreKind.Sqlite:
                var dir = Path.Combine(Path.GetTempPath(), "praison-bench-" + Guid.NewGuid().ToString("N")[..12]);
                return new(kind, TaskStore.Sqlite(dir), dir);
            case StoreKind.PostgreSql:
                var admin = postgres ?? throw new InvalidOperationException("PRAISON_TEST_POSTGRES is not set.");
                var database = "praison_bench_" + Guid.NewGuid().ToString("N")[..12];
                await using (var c = new NpgsqlConnection(admin))
                {
                    await c.OpenAsync(ct);
                    await using var cmd = new NpgsqlCommand($"CREATE DATABASE {database}", c);
                    await cmd.ExecuteNonQueryAsync(ct);
                }
                var cs = new NpgsqlConnectionStringBuilder(admin) { Database = database }.ToString();
                return new(kind, TaskStore.PostgreSql(cs), null, admin, database);
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Directory is not null)
        {
            SqliteConnection.ClearAllPools(); // pooled handles keep the files open
            try { System.IO.Directory.Delete(Directory, recursive: true); }
            catch (IOException) { /* the OS temp dir cleans up */ }
        }
        if (_pgDatabase is not null) await TestSupport.PostgresDatabases.DropAsync(_pgAdmin!, _pgDatabase);
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
        CancellationToken ct = default, RecipeRegistry? recipes = null, Config? config = null) =>
        PraisonRuntime.StartAsync(new PraisonRuntimeOptions
        {
            Store = store,
            Config = config is null ? Quiet : config.WithFallback(Quiet),
            Runner = new BackgroundRunnerOptions { MaxConcurrentTasks = maxConcurrent, MaxQueued = maxQueued, Recipes = recipes ?? new RecipeRegistry() },
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
