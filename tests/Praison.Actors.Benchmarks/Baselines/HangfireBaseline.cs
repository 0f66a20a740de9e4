using System.Diagnostics;
using Hangfire;
using Hangfire.InMemory;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Hangfire.Storage.SQLite;
using Npgsql;

namespace Praison.Actors.Benchmarks.Baselines;

/// <summary>
/// Job methods for Hangfire. Hangfire invokes public static methods by expression, so the counters live in
/// static fields; one Hangfire run is active at a time.
/// </summary>
public static class HangfireJobs
{
    private static int _completed;
    private static int _target;
    private static TaskCompletionSource? _allDone;
    private static ManualResetEventSlim _gate = new(true);

    public static long StartedAt;
    public static TaskCompletionSource? SingleDone;

    public static Task Expect(int count)
    {
        _completed = 0;
        _target = count;
        _allDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return _allDone.Task;
    }

    public static void Noop()
    {
        if (Interlocked.Increment(ref _completed) == _target) _allDone!.TrySetResult();
    }

    /// <summary>Holds the only worker so that later jobs stay enqueued (memory of pending jobs).</summary>
    public static void Block()
    {
        BlockStarted!.TrySetResult();
        _gate.Wait();
    }

    public static TaskCompletionSource? BlockStarted;

    public static void CloseGate()
    {
        _gate = new ManualResetEventSlim(false);
        BlockStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public static void OpenGate() => _gate.Set();

    public static void Stamp()
    {
        StartedAt = Stopwatch.GetTimestamp();
        SingleDone!.TrySetResult();
    }
}

/// <summary>
/// Hangfire.Core with the same worker count as the project's concurrency: the .NET job system a user would pick
/// instead, on the same kind of store: Hangfire.InMemory beside the ephemeral store, Hangfire.Storage.SQLite (a file
/// in a fresh temp directory) beside SQLite, Hangfire.PostgreSql (a fresh database on the same server) beside
/// PostgreSQL. Durable storages poll their queue every <see cref="QueuePollInterval"/>. Measured
/// enqueue-to-completion, jobs counted inside the job method.
/// </summary>
public sealed class HangfireBaseline : IAsyncDisposable
{
    /// <summary>The queue poll of the durable storages (their defaults are 15 s; 50 ms is as fast as they are usually run).</summary>
    public static readonly TimeSpan QueuePollInterval = TimeSpan.FromMilliseconds(50);

    private readonly BackgroundJobServer _server;
    private readonly string? _directory;
    private readonly string? _pgAdmin;
    private readonly string? _pgDatabase;

    private HangfireBaseline(JobStorage storage, int workers, string? directory = null, string? pgAdmin = null, string? pgDatabase = null)
    {
        Storage = storage;
        _directory = directory;
        _pgAdmin = pgAdmin;
        _pgDatabase = pgDatabase;
        _server = new BackgroundJobServer(new BackgroundJobServerOptions
        {
            WorkerCount = workers,
            ServerName = "bench-" + Guid.NewGuid().ToString("N")[..8],
        }, storage);
        Client = new BackgroundJobClient(storage);
    }

    /// <summary>Hangfire.InMemory with <paramref name="workers"/> workers.</summary>
    public HangfireBaseline(int workers) : this(new InMemoryStorage(), workers)
    {
    }

    /// <summary>Hangfire on the durable storage of <paramref name="kind"/>, created empty for this run.</summary>
    public static async Task<HangfireBaseline> CreateAsync(StoreKind kind, int workers, string? postgres, CancellationToken ct)
    {
        switch (kind)
        {
            case StoreKind.Ephemeral:
                return new HangfireBaseline(workers);
            case StoreKind.Sqlite:
                var dir = Path.Combine(Path.GetTempPath(), "hangfire-bench-" + Guid.NewGuid().ToString("N")[..12]);
                Directory.CreateDirectory(dir);
                var sqlite = new SQLiteStorage(Path.Combine(dir, "hangfire.db"), new SQLiteStorageOptions { QueuePollInterval = QueuePollInterval });
                return new HangfireBaseline(sqlite, workers, directory: dir);
            case StoreKind.PostgreSql:
                var admin = postgres ?? throw new InvalidOperationException("PRAISON_TEST_POSTGRES is not set.");
                var database = "hangfire_bench_" + Guid.NewGuid().ToString("N")[..12];
                await using (var c = new NpgsqlConnection(admin))
                {
                    await c.OpenAsync(ct);
                    await using var cmd = new NpgsqlCommand($"CREATE DATABASE {database}", c);
                    await cmd.ExecuteNonQueryAsync(ct);
                }
                // Bounded pool: the machine's PostgreSQL is shared (max_connections 100).
                var cs = new NpgsqlConnectionStringBuilder(admin) { Database = database, MaxPoolSize = Math.Max(10, workers + 4) }.ToString();
                var options = new PostgreSqlStorageOptions { QueuePollInterval = QueuePollInterval, PrepareSchemaIfNecessary = true };
                var pg = new PostgreSqlStorage(new NpgsqlConnectionFactory(cs, options), options);
                return new HangfireBaseline(pg, workers, pgAdmin: admin, pgDatabase: database);
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    public JobStorage Storage { get; }
    public BackgroundJobClient Client { get; }

    public async Task RunAsync(int count, CancellationToken ct)
    {
        var done = HangfireJobs.Expect(count);
        for (var i = 0; i < count; i++) Client.Enqueue(() => HangfireJobs.Noop());
        await done.WaitAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Lets the server start its workers before anything is timed.</summary>
    public Task WarmUpAsync(CancellationToken ct) => RunAsync(50, ct);

    public async ValueTask DisposeAsync()
    {
        _server.Dispose();
        (Storage as IDisposable)?.Dispose();
        if (_directory is not null)
        {
            try { Directory.Delete(_directory, recursive: true); }
            catch (IOException) { /* the OS temp dir cleans up */ }
        }
        if (_pgDatabase is not null)
        {
            NpgsqlConnection.ClearAllPools();
            await TestSupport.PostgresDatabases.DropAsync(_pgAdmin!, _pgDatabase);
        }
    }
}
