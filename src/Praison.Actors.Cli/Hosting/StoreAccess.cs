using Akka.Configuration;
using Praison.Actors.Persistence;

namespace Praison.Actors.Cli.Hosting;

/// <summary>
/// Every way the CLI touches the task store, in one place: reading tasks without an actor system (for
/// <c>list</c>/<c>status</c>/<c>wait</c> next to a running host) and starting a runtime that executes tasks
/// (a host: <c>run</c>, <c>serve</c>) or only stores and cancels them (<c>submit</c>, <c>cancel</c>, <c>clear</c>).
/// </summary>
public static class StoreAccess
{
    /// <summary>
    /// Akka's level follows the CLI's (<see cref="CliLogging"/>); its log goes to the CLI's logger factory (stderr)
    /// and nothing to stdout, even while the system starts.
    /// </summary>
    internal static Config Logging => ConfigurationFactory.ParseString($"""
        akka.loglevel = {CliLogging.AkkaLevel}
        akka.stdout-loglevel = OFF
        akka.log-dead-letters = off
        akka.log-dead-letters-during-shutdown = off
        """);

    /// <summary>The SQLite store in <paramref name="dataDir"/>.</summary>
    public static TaskStore Store(string dataDir) => TaskStore.Sqlite(dataDir);

    // Reads are indexed queries on the store's task table; none of them creates a store that does not exist yet (the
    // store then reads as empty), and a store that cannot be read throws TaskStoreException (exit 8), never "no tasks".

    /// <summary>The tasks matching <paramref name="query"/>, oldest first.</summary>
    public static async Task<IReadOnlyList<TaskStatusInfo>> ListAsync(string dataDir, TaskQuery query, CancellationToken ct) =>
        (await Store(dataDir).QueryTasksAsync(query, query.Offset, query.Limit ?? int.MaxValue, ct)).Tasks;

    /// <summary>One page of the tasks matching <paramref name="query"/>, oldest first, with how many match in all.</summary>
    public static Task<TaskPage> PageAsync(string dataDir, TaskQuery query, int offset, int limit, CancellationToken ct) =>
        Store(dataDir).QueryTasksAsync(query, offset, limit, ct);

    /// <summary>
    /// Ids of the finished tasks, or of every task (<paramref name="includeActive"/>), oldest first; with
    /// <paramref name="submittedBefore"/>, only those submitted before it.
    /// </summary>
    public static async Task<IReadOnlyList<string>> ReadTaskIdsAsync(string dataDir, bool includeActive, CancellationToken ct,
        DateTimeOffset? submittedBefore = null) =>
        (await ListAsync(dataDir, TaskQuery.All, ct))
            .Where(t => (includeActive || t.IsTerminal) && (submittedBefore is null || t.SubmittedAt < submittedBefore))
            .Select(t => t.TaskId).ToList();

    /// <summary>One task; its result (from the journal) only once it completed.</summary>
    public static async Task<StoredTask?> ReadTaskAsync(string dataDir, string taskId, CancellationToken ct)
    {
        var store = Store(dataDir);
        if (await store.GetTaskAsync(taskId, ct) is not { } info) return null;
        var result = info.Status == BackgroundTaskStatus.Completed ? await store.ReadResultAsync(taskId, ct) : null;
        return new StoredTask(info, result);
    }

    /// <summary>
    /// Starts a runtime on the store. <paramref name="executeTasks"/>: run tasks here at all;
    /// <paramref name="recoverStoredTasks"/>: also take over what the store already holds (a long-running host
    /// does; a one-shot <c>run</c> leaves other tasks alone, so they are not interrupted when it exits).
    /// <paramref name="store"/>: another store than the data directory's (<c>serve --postgres</c>).
    /// </summary>
    public static Task<PraisonRuntime> StartAsync(string dataDir, RecipeRegistry recipes, bool executeTasks, CancellationToken ct,
        bool recoverStoredTasks = true, TaskStore? store = null, WebhookOptions? webhooks = null) =>
        PraisonRuntime.StartAsync(new PraisonRuntimeOptions
        {
            Store = store ?? Store(dataDir),
            Config = Logging,
            Runner = new BackgroundRunnerOptions
            {
                Recipes = recipes, ExecuteTasks = executeTasks, RecoverStoredTasks = recoverStoredTasks, Webhooks = webhooks ?? new WebhookOptions(),
                LoggerFactory = CliLogging.Factory,
            },
        }, ct);
}
