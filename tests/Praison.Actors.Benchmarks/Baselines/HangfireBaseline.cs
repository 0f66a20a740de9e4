using System.Diagnostics;
using Hangfire;
using Hangfire.InMemory;

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
/// Hangfire.Core + Hangfire.InMemory with the same worker count as the project's concurrency: the .NET job
/// system a user would pick instead. Measured enqueue-to-completion, jobs counted inside the job method.
/// </summary>
public sealed class HangfireBaseline : IDisposable
{
    private readonly BackgroundJobServer _server;

    public HangfireBaseline(int workers)
    {
        Storage = new InMemoryStorage();
        _server = new BackgroundJobServer(new BackgroundJobServerOptions
        {
            WorkerCount = workers,
            ServerName = "bench-" + Guid.NewGuid().ToString("N")[..8],
        }, Storage);
        Client = new BackgroundJobClient(Storage);
    }

    public InMemoryStorage Storage { get; }
    public BackgroundJobClient Client { get; }

    public async Task RunAsync(int count, CancellationToken ct)
    {
        var done = HangfireJobs.Expect(count);
        for (var i = 0; i < count; i++) Client.Enqueue(() => HangfireJobs.Noop());
        await done.WaitAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Lets the server start its workers before anything is timed.</summary>
    public Task WarmUpAsync(CancellationToken ct) => RunAsync(50, ct);

    public void Dispose() => _server.Dispose();
}
