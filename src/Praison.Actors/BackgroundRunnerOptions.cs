namespace Praison.Actors;

/// <summary>Settings of one <see cref="BackgroundRunner"/>. Defaults follow praisonai's Background Tasks page.</summary>
public sealed class BackgroundRunnerOptions
{
    /// <summary>Default of <see cref="MaxConcurrentTasks"/>.</summary>
    public const int DefaultMaxConcurrentTasks = 5;
    /// <summary>Default of <see cref="MaxQueued"/>.</summary>
    public const int DefaultMaxQueued = 100_000;
    /// <summary>Default of <see cref="DefaultTaskTimeout"/>: 300 s.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(300);
    /// <summary>Default of <see cref="CleanupDelay"/>: one hour.</summary>
    public static readonly TimeSpan DefaultCleanupDelay = TimeSpan.FromSeconds(3600);
    /// <summary>Default of <see cref="ScheduleHistoryLimit"/>: 1,000 events per schedule.</summary>
    public const int DefaultScheduleHistoryLimit = 1_000;

    /// <summary>Tasks running at once on this node; the rest wait in FIFO order.</summary>
    public int MaxConcurrentTasks { get; init; } = DefaultMaxConcurrentTasks;

    /// <summary>Tasks waiting for a slot; a submission past this is rejected with <see cref="TaskRejectedException"/>.</summary>
    public int MaxQueued { get; init; } = DefaultMaxQueued;

    /// <summary>Timeout of a task whose options and recipe name none; counted from its first start.</summary>
    public TimeSpan DefaultTaskTimeout { get; init; } = DefaultTimeout;

    /// <summary>How long a finished task is kept (status, result) before it is removed.</summary>
    public TimeSpan CleanupDelay { get; init; } = DefaultCleanupDelay;

    /// <summary>The largest stored result or input, in UTF-8 bytes of JSON.</summary>
    public int MaxPayloadBytes { get; init; } = 1024 * 1024;

    /// <summary>How long a handle waits for the runtime to answer a status, cancel or list call.</summary>
    public TimeSpan AskTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The recipes this runner can run.</summary>
    public RecipeRegistry Recipes { get; init; } = new();

    /// <summary>Name of the supervisor actor; two runners in one ActorSystem need different names.</summary>
    public string ActorName { get; init; } = "praison-tasks";

    /// <summary>
    /// False in a process that only stores and inspects tasks next to a host that runs them (e.g. the CLI's
    /// <c>submit</c>): submissions are stored and pending tasks can be cancelled, but nothing is started,
    /// recovered or cleaned up here.
    /// </summary>
    public bool ExecuteTasks { get; init; } = true;

    /// <summary>
    /// False: a host that runs only what is submitted to it, leaving the tasks already in the store alone (the
    /// CLI's one-shot <c>background run</c>). Default true: pending tasks are queued again and running ones
    /// reconciled at start-up.
    /// </summary>
    public bool RecoverStoredTasks { get; init; } = true;

    /// <summary>
    /// How long an idle task actor stays in memory before it is stopped and woken again on demand: finished tasks
    /// of a cluster node, and any task read in a process that does not execute. A local host keeps no actor for a
    /// task that is not running.
    /// </summary>
    public TimeSpan PassivateFinishedAfter { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Where the actor system's log goes when <see cref="PraisonRuntime.StartAsync"/> (or a cluster node's
    /// <c>PraisonCluster.StartAsync</c>) creates it: every Akka log event, the runtime's own lines with their
    /// <c>TaskId</c>, <c>Recipe</c> and <c>SessionId</c> fields among them, is written to a logger named after the
    /// class that logged it. Null (the default): Akka's own loggers, as its config says. Not used by the Akka.Hosting
    /// entry points, whose application owns the loggers: there <c>builder.ConfigureLoggers(l => { l.ClearLoggers();
    /// l.AddLoggerFactory(); })</c> sends the same lines, with the same fields, to the host's factory.
    /// </summary>
    public Microsoft.Extensions.Logging.ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>Journal plugin id for task events; null uses the ActorSystem's default journal.</summary>
    public string? JournalPluginId { get; init; }

    /// <summary>
    /// Snapshot-store plugin id for task actors. Tasks have three events and never snapshot, so the default
    /// skips the snapshot query every recovery would otherwise make (measured: about 50 KB less allocation and
    /// up to twice the throughput per task on SQLite). Null uses the ActorSystem's default snapshot store.
    /// </summary>
    public string? SnapshotPluginId { get; init; } = NoSnapshotStore;

    /// <summary>Akka.Persistence's built-in store that holds no snapshots.</summary>
    public const string NoSnapshotStore = "akka.persistence.no-snapshot-store";

    /// <summary>How the webhooks of finished tasks are signed, retried and guarded (see <see cref="WebhookOptions"/>).</summary>
    public WebhookOptions Webhooks { get; init; } = new();

    /// <summary>
    /// How many of each schedule's newest stored changes are kept for its history (<see cref="ScheduleHandle.HistoryAsync"/>);
    /// older ones are removed from the store as the schedule changes (a store holds at most this many plus 100 per
    /// schedule). At least 1. Applies to the schedule changes this runner stores.
    /// </summary>
    public int ScheduleHistoryLimit { get; init; } = DefaultScheduleHistoryLimit;

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Webhooks);
        Webhooks.Validate();
        if (MaxConcurrentTasks <= 0)
            throw new ArgumentOutOfRangeException(nameof(MaxConcurrentTasks), MaxConcurrentTasks, "MaxConcurrentTasks must be at least 1.");
        if (MaxQueued <= 0)
            throw new ArgumentOutOfRangeException(nameof(MaxQueued), MaxQueued, "MaxQueued must be at least 1.");
        if (DefaultTaskTimeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(DefaultTaskTimeout), DefaultTaskTimeout, "DefaultTaskTimeout must be positive.");
        if (CleanupDelay < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(CleanupDelay), CleanupDelay, "CleanupDelay must not be negative.");
        if (PassivateFinishedAfter <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(PassivateFinishedAfter), PassivateFinishedAfter, "PassivateFinishedAfter must be positive.");
        if (MaxPayloadBytes <= 0)
            throw new ArgumentOutOfRangeException(nameof(MaxPayloadBytes), MaxPayloadBytes, "MaxPayloadBytes must be positive.");
        if (ScheduleHistoryLimit <= 0)
            throw new ArgumentOutOfRangeException(nameof(ScheduleHistoryLimit), ScheduleHistoryLimit, "ScheduleHistoryLimit must be at least 1.");
        if (string.IsNullOrWhiteSpace(ActorName))
            throw new ArgumentException("ActorName must not be empty.", nameof(ActorName));
    }
}
