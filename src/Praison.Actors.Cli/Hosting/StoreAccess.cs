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
    private static readonly Config Logging = ConfigurationFactory.ParseString($$"""
        akka.loglevel = WARNING
        akka.stdout-loglevel = OFF
        akka.loggers = ["{{typeof(StderrLogger).AssemblyQualifiedName}}"]
        akka.log-dead-letters = off
        akka.log-dead-letters-during-shutdown = off
        """);

    public static TaskStore Store(string dataDir) => TaskStore.Sqlite(dataDir);

    /// <summary>Every retained task, oldest first; none (and no file created) when the data directory holds no store yet.</summary>
    public static async Task<IReadOnlyList<StoredTask>> ReadTasksAsync(string dataDir, CancellationToken ct) =>
        File.Exists(Path.Combine(dataDir, "journal.db")) ? await Store(dataDir).ReadTasksAsync(ct) : [];

    public static async Task<StoredTask?> ReadTaskAsync(string dataDir, string taskId, CancellationToken ct) =>
        (await ReadTasksAsync(dataDir, ct)).FirstOrDefault(t => t.Info.TaskId == taskId);

    /// <summary>
    /// Starts a runtime on the store. <paramref name="executeTasks"/>: run tasks here at all;
    /// <paramref name="recoverStoredTasks"/>: also take over what the store already holds (a long-running host
    /// does; a one-shot <c>run</c> leaves other tasks alone, so they are not interrupted when it exits).
    /// <paramref name="store"/>: another store than the data directory's (<c>serve --postgres</c>).
    /// </summary>
    public static Task<PraisonRuntime> StartAsync(string dataDir, RecipeRegistry recipes, bool executeTasks, CancellationToken ct,
        bool recoverStoredTasks = true, TaskStore? store = null) =>
        PraisonRuntime.StartAsync(new PraisonRuntimeOptions
        {
            Store = store ?? Store(dataDir),
            Config = Logging,
            Runner = new BackgroundRunnerOptions { Recipes = recipes, ExecuteTasks = executeTasks, RecoverStoredTasks = recoverStoredTasks },
        }, ct);
}
