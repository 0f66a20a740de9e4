using System.Text;
using System.Text.Json;
using Akka.Actor;
using Praison.Actors.Messages;
using Praison.Actors.Persistence;
using Praison.Actors.Tasks;

namespace Praison.Actors;

/// <summary>
/// Runs any async work and registered recipes in the background (praisonai's BackgroundRunner and
/// <c>recipe.run_background</c>): bounded concurrency, FIFO start, per-task timeout, progress, cancel, cleanup.
/// </summary>
public sealed class BackgroundRunner : IRecipeRunner
{
    /// <summary>
    /// Creates the runner's supervisor actor in <paramref name="system"/>. Tasks already in a durable journal
    /// are not recovered this way: start with <see cref="PraisonRuntime.StartAsync"/> for that.
    /// </summary>
    public BackgroundRunner(ActorSystem system, BackgroundRunnerOptions? options = null)
        : this(system, options ?? new BackgroundRunnerOptions(), recovered: null, store: null)
    {
    }

    /// <summary>Creates the supervisor with the tasks a store held at start-up.</summary>
    internal BackgroundRunner(ActorSystem system, BackgroundRunnerOptions options, IReadOnlyList<StoredTask>? recovered, TaskStore? store)
    {
        ArgumentNullException.ThrowIfNull(system);
        options.Validate();
        Options = options;
        System = system;
        Router = system.ActorOf(SupervisorProps(options, recovered, store), options.ActorName);
        TaskTable = SqlWriter(options.JournalPluginId, store) is not null ? store : null;
    }

    /// <summary>Wraps an existing router (a supervisor created elsewhere, e.g. by Akka.Hosting).</summary>
    internal BackgroundRunner(ActorSystem system, IActorRef router, BackgroundRunnerOptions options)
    {
        options.Validate();
        System = system;
        Router = router;
        Options = options;
    }

    public ActorSystem System { get; }

    /// <summary>The actor every handle asks: the supervisor locally, the shard region in a cluster.</summary>
    public IActorRef Router { get; }

    public BackgroundRunnerOptions Options { get; }

    /// <summary>The store whose task table <see cref="ListAsync"/> reads; null when the supervisor answers (no table).</summary>
    private TaskStore? TaskTable { get; }

    /// <summary>In a cluster: how often a handle's wait registers again (see PraisonClusterOptions.WaitRenewal); null locally.</summary>
    internal TimeSpan? WaitRenewal { get; init; }

    public RecipeRegistry Recipes => Options.Recipes;

    /// <summary>
    /// A host's supervisor runs tasks; a process that does not execute gets one that only stores and reads them.
    /// On <see cref="TaskStore.Ephemeral"/> a host writes no events at all: nothing outlives the process, and the
    /// supervisor already holds every task, so an in-memory journal would only be a second copy.
    /// </summary>
    internal static Props SupervisorProps(BackgroundRunnerOptions options, IReadOnlyList<StoredTask>? recovered = null,
        TaskStore? store = null)
    {
        var settings = new SupervisorSettings(options.MaxConcurrentTasks, options.MaxQueued,
            new TaskActorSettings(options.Recipes, options.MaxPayloadBytes, options.JournalPluginId, options.ExecuteTasks,
                options.PassivateFinishedAfter),
            recovered, store?.Sql is { } sql ? sql.PurgeDeletedAsync : null,
            StoresEvents: store is null || store.IsDurable || !options.ExecuteTasks,
            WriteRows: SqlWriter(options.JournalPluginId, store));
        return options.ExecuteTasks ? TaskSupervisor.Props(settings) : StoreOnlySupervisor.Props(settings);
    }

    /// <summary>
    /// How a node's TaskJournal writes batches (and the task table) itself: only when the journal is the store's own
    /// (no other plugin id configured), so the rows land in the table that plugin reads. With another plugin there is
    /// no task table.
    /// </summary>
    internal static SqlJournalAccess? SqlWriter(string? journalPluginId, TaskStore? store) =>
        journalPluginId is null && store?.Sql is { } sql ? sql : null;

    /// <summary>Stores a task that runs <paramref name="work"/> and returns its handle once stored.</summary>
    /// <exception cref="ArgumentException">A timeout that is not positive, or a negative cleanup delay.</exception>
    /// <exception cref="TaskRejectedException">The queue is full; nothing was stored.</exception>
    public async Task<ActorHandle<T>> SubmitAsync<T>(Func<TaskContext, Task<T>> work, TaskOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        options ??= new TaskOptions();
        var timeout = options.Timeout ?? Options.DefaultTaskTimeout;
        if (timeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(options), timeout, "TaskOptions.Timeout must be positive.");
        var cleanup = options.CleanupDelay ?? Options.CleanupDelay;
        if (cleanup < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(options), cleanup, "TaskOptions.CleanupDelay must not be negative.");
        if (options.Name is { } n && string.IsNullOrWhiteSpace(n))
            throw new ArgumentException("TaskOptions.Name must not be blank.", nameof(options));

        var spec = new TaskSpec(NewTaskId(), TaskKind.Delegate, options.Name ?? "task", null, options.SessionId, null, null,
            (long)timeout.TotalMilliseconds, (long)cleanup.TotalMilliseconds);
        var info = await SubmitAsync(spec, async ctx => await work(ctx).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        return new ActorHandle<T>(info.TaskId, info.Name, info.SessionId, this);
    }

    /// <inheritdoc />
    public async Task<BackgroundTaskHandle> RunBackgroundAsync(string recipeName, RecipeRunOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var recipe = Recipes.Get(recipeName);
        var template = recipe.Template;
        if (!template.Background.Enabled)
            throw new RecipeException(
                $"Recipe '{recipeName}' cannot run in the background: its TEMPLATE.yaml sets runtime.background.enabled: false" +
                (template.SourcePath is null ? "." : $" ({template.SourcePath})."), recipeName);
        options ??= new RecipeRunOptions();
        if (options.TimeoutSec is <= 0)
            throw new ArgumentOutOfRangeException(nameof(options), options.TimeoutSec,
                $"TimeoutSec must be a positive number of seconds, got {options.TimeoutSec}.");

        var timeoutSec = options.TimeoutSec ?? template.TimeoutSec;
        var timeout = timeoutSec is { } s ? TimeSpan.FromSeconds(s) : Options.DefaultTaskTimeout;
        var cleanup = template.Background.CleanupDelaySec is { } c ? TimeSpan.FromSeconds(c) : Options.CleanupDelay;
        var spec = new TaskSpec(NewTaskId(), TaskKind.Recipe, recipeName, recipeName, options.SessionId,
            ToJson(options.Input, "Input"), options.Config is null ? null : ToJson(options.Config, "Config"),
            (long)timeout.TotalMilliseconds, (long)cleanup.TotalMilliseconds,
            template.Background.MaxConcurrent, template.Background.RerunOnRestart);
        var info = await SubmitAsync(spec, null, cancellationToken).ConfigureAwait(false);
        return new BackgroundTaskHandle(info.TaskId, recipeName, info.SessionId, this);
    }

    /// <summary>Waits for a task's result as <typeparamref name="T"/>; throws as <see cref="ActorHandle.WaitAsync"/> says.</summary>
    public Task<T> WaitForTaskAsync<T>(string taskId, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        new ActorHandle<T>(CheckId(taskId), null, null, this).WaitAsync(timeout, cancellationToken);

    /// <summary>A handle to an existing task, from its id alone. Calls on it throw <see cref="TaskNotFoundException"/> for an unknown id.</summary>
    public ActorHandle GetHandle(string taskId) => new(CheckId(taskId), null, null, this);

    public Task<TaskStatusInfo> GetStatusAsync(string taskId, CancellationToken cancellationToken = default) =>
        GetHandle(taskId).StatusAsync(cancellationToken);

    /// <summary>Cancels a task; false when it had already finished.</summary>
    public Task<bool> CancelAsync(string taskId, CancellationToken cancellationToken = default) =>
        GetHandle(taskId).CancelAsync(cancellationToken);

    /// <summary>
    /// Lists tasks, oldest first, within the query's Offset/Limit: an indexed query on the store's task table on a SQL store,
    /// else the supervisor's index (no task actor is woken).
    /// </summary>
    public async Task<IReadOnlyList<TaskStatusInfo>> ListAsync(TaskQuery? query = null, CancellationToken cancellationToken = default)
    {
        query ??= TaskQuery.All;
        // On a store with a task table the list is an indexed query; a failed read throws TaskStoreException.
        if (TaskTable is not null) return await TaskTable.ListTasksAsync(query, cancellationToken).ConfigureAwait(false);
        var all = (await Router.Ask<TaskList>(new ListTasks(query), Options.AskTimeout, cancellationToken).ConfigureAwait(false)).Tasks;
        return query is { Offset: 0, Limit: null } ? all : all.Skip(query.Offset).Take(query.Limit ?? int.MaxValue).ToList();
    }

    /// <summary>
    /// One page of tasks, oldest first, and how many match in all (the jobs API's list): on a store with a task table
    /// an indexed query, else a page of the supervisor's index.
    /// </summary>
    public async Task<TaskPage> ListPageAsync(TaskQuery query, int offset, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        if (TaskTable is not null) return await TaskTable.QueryTasksAsync(query, offset, limit, cancellationToken).ConfigureAwait(false);
        var all = await ListAsync(query with { Offset = 0, Limit = null }, cancellationToken).ConfigureAwait(false);
        return new TaskPage(all.Skip(offset).Take(limit).ToList(), all.Count, offset, limit);
    }

    /// <summary>
    /// Removes one task now: its events are deleted and its id is gone when this returns. A pending or running
    /// task is refused with <see cref="TaskRejectedException"/> unless <paramref name="cancelIfActive"/>.
    /// </summary>
    public async Task RemoveAsync(string taskId, bool cancelIfActive = false, CancellationToken cancellationToken = default)
    {
        var reply = await Router.Ask<ITaskReply>(new RemoveTask(CheckId(taskId), cancelIfActive), Options.AskTimeout, cancellationToken)
            .ConfigureAwait(false);
        switch (reply)
        {
            case TaskDeleted:
                return;
            case TaskNotFound:
                throw new TaskNotFoundException(taskId);
            case TaskRejected r:
                throw new TaskRejectedException(r.Reason);
            default:
                throw new InvalidOperationException($"Unexpected reply to a removal: {reply.GetType().Name}.");
        }
    }

    /// <summary>Removes finished tasks now (their events are deleted); with <paramref name="includeActive"/>, cancels and removes every task.</summary>
    /// <returns>How many tasks were removed.</returns>
    public async Task<int> ClearAsync(bool includeActive = false, CancellationToken cancellationToken = default) =>
        (await Router.Ask<ClearReply>(new ClearTasks(includeActive), Options.AskTimeout, cancellationToken).ConfigureAwait(false)).Removed;

    private async Task<TaskStatusInfo> SubmitAsync(TaskSpec spec, TaskWork? work, CancellationToken cancellationToken)
    {
        var reply = await Router.Ask<ITaskReply>(new SubmitTask(spec, work), Options.AskTimeout, cancellationToken).ConfigureAwait(false);
        return reply switch
        {
            TaskAccepted a => a.Task,
            TaskRejected r => throw new TaskRejectedException(r.Reason),
            _ => throw new InvalidOperationException($"Unexpected reply to a submission: {reply.GetType().Name}."),
        };
    }

    private string? ToJson(object? value, string what)
    {
        if (value is null) return null;
        string json;
        try
        {
            json = value switch
            {
                JsonElement e => e.GetRawText(),
                _ => PraisonJson.Serialize(value)!,
            };
        }
        catch (Exception ex) when (ex is NotSupportedException or JsonException or InvalidOperationException)
        {
            throw new ArgumentException($"{what} is not JSON-serializable: {ex.Message}", what, ex);
        }
        var bytes = Encoding.UTF8.GetByteCount(json);
        if (bytes > Options.MaxPayloadBytes)
            throw new ArgumentException($"{what} is {bytes} bytes of JSON, over the limit of {Options.MaxPayloadBytes} (MaxPayloadBytes).", what);
        return json;
    }

    private static string CheckId(string taskId) =>
        string.IsNullOrWhiteSpace(taskId) ? throw new ArgumentException("A task id is required (it was empty).", nameof(taskId)) : taskId;

    /// <summary>Time-ordered ids (UUIDv7), so ids sort by submission.</summary>
    internal static string NewTaskId() => Guid.CreateVersion7().ToString("N");
}
