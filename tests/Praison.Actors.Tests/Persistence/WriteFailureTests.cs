using Microsoft.Data.Sqlite;
using Akka.Actor;
using Akka.Configuration;
using Praison.Actors.Messages;
using Praison.Actors.Persistence;
using Praison.Actors.Tasks;
using Xunit;

namespace Praison.Actors.Tests.Persistence;

/// <summary>
/// A failed write never hides or invents a task (issue 11 item 3), on a real SQLite store whose batch writer fails
/// on demand: a failed submission is refused and stores nothing; a failed Started or terminal write is retried while
/// the task answers with its last stored status and the error, waiters keep waiting, pending tasks wait too, and
/// everything goes on once the store works again.
/// </summary>
public sealed class WriteFailureTests : IAsyncLifetime
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(20);

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "praison-writefail-" + Guid.NewGuid().ToString("N")[..8]);
    private TaskStore _store = null!;
    private ActorSystem _system = null!;
    private FaultyWriter _writer = null!;

    public async Task InitializeAsync()
    {
        _store = TaskStore.Sqlite(_dir);
        await _store.PrepareAsync();
        _system = ActorSystem.Create("writefail", PraisonRuntime.BuildConfig(_store, ConfigurationFactory.ParseString("akka.loglevel = WARNING")));
        _writer = new FaultyWriter((TaskStore.SqliteStore)_store);
    }

    public async Task DisposeAsync()
    {
        await _system.Terminate();
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { /* SQLite may still hold the file for a moment; the temp dir is left behind */ }
    }

    private BackgroundRunner CreateRunner(int maxConcurrent, RecipeRegistry? recipes = null)
    {
        var options = new BackgroundRunnerOptions { MaxConcurrentTasks = maxConcurrent, ActorName = "tasks", Recipes = recipes ?? new RecipeRegistry() };
        var settings = new SupervisorSettings(maxConcurrent, options.MaxQueued,
            new TaskActorSettings(options.Recipes, options.MaxPayloadBytes, null), WriteRows: _writer);
        return new BackgroundRunner(_system, _system.ActorOf(TaskSupervisor.Props(settings), options.ActorName), options);
    }

    private async Task<StoredTask?> StoredAsync(string id) =>
        (await _store.ReadTasksAsync()).SingleOrDefault(t => t.Info.TaskId == id);

    private static async Task<TaskStatusInfo> StatusWhenAsync(ActorHandle h, Func<TaskStatusInfo, bool> condition)
    {
        using var giveUp = new CancellationTokenSource(Long);
        while (true)
        {
            var status = await h.StatusAsync(giveUp.Token);
            if (condition(status)) return status;
            await Task.Delay(20, giveUp.Token);
        }
    }

    [Fact]
    public async Task A_failed_submission_is_refused_stores_nothing_and_shows_in_the_store_health()
    {
        var runner = CreateRunner(maxConcurrent: 1);
        Assert.True((await runner.GetStoreHealthAsync()).Healthy);
        _writer.FailOn(FaultyWriter.Submitted);

        var e = await Assert.ThrowsAsync<TaskRejectedException>(() => runner.SubmitAsync(_ => Task.FromResult(1)));
        Assert.Contains("could not be stored", e.Message);
        Assert.Contains(FaultyWriter.Error, e.Message);
        Assert.Empty(await runner.ListAsync());
        Assert.Empty(await _store.ReadTasksAsync());
        var health = await runner.GetStoreHealthAsync();
        Assert.False(health.Healthy);
        Assert.Contains(FaultyWriter.Error, health.LastError);
        Assert.NotNull(health.Since);

        _writer.Heal();
        var h = await runner.SubmitAsync(_ => Task.FromResult(2));
        Assert.Equal(2, await h.WaitAsync(Long));
        Assert.Equal(new StoreHealthInfo(true, null, null), await runner.GetStoreHealthAsync());
        Assert.Equal(BackgroundTaskStatus.Completed, (await StoredAsync(h.TaskId))!.Info.Status);
    }

    [Fact]
    public async Task A_failed_start_is_retried_while_the_task_shows_pending_with_the_error_and_runs_once_stored()
    {
        var runner = CreateRunner(maxConcurrent: 1);
        _writer.FailOn(FaultyWriter.Started);
        var ran = 0;
        var h = await runner.SubmitAsync(_ => Task.FromResult(Interlocked.Increment(ref ran)));
        var waiting = h.WaitAsync(Long);

        var failing = await StatusWhenAsync(h, s => s.StoreError is not null);
        Assert.Equal(BackgroundTaskStatus.Pending, failing.Status);
        Assert.Contains(FaultyWriter.Error, failing.StoreError);
        Assert.Equal(0, Volatile.Read(ref ran));          // the work does not run before Started is stored
        Assert.False(waiting.IsCompleted);
        Assert.Equal(BackgroundTaskStatus.Pending, (await StoredAsync(h.TaskId))!.Info.Status);
        Assert.False((await runner.GetStoreHealthAsync()).Healthy);

        _writer.Heal();
        Assert.Equal(1, await waiting);
        var done = await h.StatusAsync();
        Assert.Equal(BackgroundTaskStatus.Completed, done.Status);
        Assert.Null(done.StoreError);
        Assert.True((await runner.GetStoreHealthAsync()).Healthy);
        var stored = (await StoredAsync(h.TaskId))!;
        Assert.Equal(BackgroundTaskStatus.Completed, stored.Info.Status);
        Assert.Equal("1", stored.ResultJson);
        Assert.Equal(1, Volatile.Read(ref ran));
    }

    [Fact]
    public async Task A_failed_terminal_write_keeps_the_result_waiters_wait_pending_tasks_wait_and_all_finish_once_stored()
    {
        var runner = CreateRunner(maxConcurrent: 2);
        _writer.FailOn(FaultyWriter.Completed);
        var first = await runner.SubmitAsync(_ => Task.FromResult("kept"));
        var waiting = first.WaitAsync(Long);

        var failing = await StatusWhenAsync(first, s => s.StoreError is not null);
        Assert.Equal(BackgroundTaskStatus.Running, failing.Status);  // the last stored status
        Assert.Contains(FaultyWriter.Error, failing.StoreError);
        Assert.False(waiting.IsCompleted);
        Assert.Equal(BackgroundTaskStatus.Running, (await StoredAsync(first.TaskId))!.Info.Status);

        // A slot is free, but no task starts while a write is being retried.
        var second = await runner.SubmitAsync(_ => Task.FromResult("second"));
        Assert.Equal(BackgroundTaskStatus.Pending, (await second.StatusAsync()).Status);
        Assert.Equal(2, (await runner.ListAsync()).Count);

        _writer.Heal();
        Assert.Equal("kept", await waiting);
        Assert.Equal("second", await second.WaitAsync(Long));
        var stored = (await StoredAsync(first.TaskId))!;
        Assert.Equal(BackgroundTaskStatus.Completed, stored.Info.Status);
        Assert.Equal("\"kept\"", stored.ResultJson);
        Assert.Null((await first.StatusAsync()).StoreError);
        Assert.Equal(BackgroundTaskStatus.Completed, (await StoredAsync(second.TaskId))!.Info.Status);
    }

    /// <summary>The store's batch writer, failing every batch that holds an event of the given kinds until healed.</summary>
    /// <summary>The store's own SQL access, failing every batch that holds an event of the given manifests until healed.</summary>
    [Fact]
    public async Task Failed_writes_are_counted_by_event_and_recipe()
    {
        var recipe = "writefail-" + Guid.NewGuid().ToString("N")[..8];
        using var metrics = new Telemetry.Metrics();
        var runner = CreateRunner(maxConcurrent: 1, new RecipeRegistry().Register($"name: {recipe}", _ => Task.FromResult<object?>("ok")));
        _writer.FailOn(FaultyWriter.Submitted);
        await Assert.ThrowsAsync<TaskRejectedException>(() => runner.RunBackgroundAsync(recipe));
        Assert.Equal(1, metrics.Sum("praison.store.write.failures", recipe, "praison.event", nameof(TaskSubmitted)));

        _writer.FailOn(FaultyWriter.Started);
        var h = await runner.RunBackgroundAsync(recipe);
        await StatusWhenAsync(h, s => s.StoreError is not null);
        Assert.True(metrics.Sum("praison.store.write.failures", recipe, "praison.event", nameof(TaskStarted)) >= 1); // each failed retry counts again
        _writer.Heal();
        await h.WaitAsync(Long);
    }

    private sealed class FaultyWriter(TaskStore.SqliteStore store) : SqlJournalAccess(
        () => new SqliteConnection(store.JournalConnectionString), () => new SqliteConnection(store.SnapshotConnectionString), postgres: false)
    {
        // The serializer's manifests of the task events (frozen: they are stored in journals).
        public const string Submitted = "ts";
        public const string Started = "tst";
        public const string Completed = "tc";
        public const string Error = "disk full (injected)";

        private volatile string[]? _failing;

        public void FailOn(params string[] manifests) => _failing = manifests;

        public void Heal() => _failing = null;

        public override Task<WriteOutcome> WriteEventsAsync(IReadOnlyList<JournalRowWrite> rows, CancellationToken cancellationToken) =>
            _failing is { } failing && rows.Any(r => failing.Contains(r.Manifest))
                ? Task.FromException<WriteOutcome>(new IOException(Error))
                : base.WriteEventsAsync(rows, cancellationToken);
    }
}
