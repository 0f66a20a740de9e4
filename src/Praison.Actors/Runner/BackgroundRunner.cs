using System.Text;
using System.Text.Json;
using Akka.Actor;
using Praison.Actors.Handles;
using Praison.Actors.Messages;
using Praison.Actors.Persistence;
using Praison.Actors.Tasks;
using Praison.Actors.Webhooks;

namespace Praison.Actors;

/// <summary>
/// Runs any async work and registered recipes in the background (praisonai's BackgroundRunner and
/// <c>recipe.run_background</c>): bounded concurrency, FIFO start, per-task timeout, progress, cancel, cleanup.
/// </summary>
public sealed class BackgroundRunner : IBackgroundRunner
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
        _localReplies = LocalRepliesFor(Router);
    }

    /// <summary>
    /// Submissions to a supervisor in this process are answered to a <see cref="LocalReply"/> (no temp-actor
    /// registration, no timer source per call) instead of Akka's Ask; a router whose answers may come from another
    /// node (a cluster's) keeps Ask, whose reply address other nodes can resolve.
    /// </summary>
    private readonly IActorRefProvider? _localReplies;

    /// <summary>The provider of <see cref="LocalReply"/> refs when the router answers from this process; null otherwise.</summary>
    internal IActorRefProvider? LocalReplies => _localReplies;

    private static IActorRefProvider? LocalRepliesFor(IActorRef router) =>
        router is ActorRefWithCell { Underlying.Props.Type: var type } cell && type == typeof(TaskSupervisor)
            ? ((IInternalActorRef)cell).Provider : null;

    private Scheduling.ScheduleService? _scheduler;

    /// <summary>
    /// This runner's schedules (<see cref="IScheduler"/>): kept in the store's <c>praison_schedules</c> table (in memory
    /// on the ephemeral store). A runner that executes and recovers tasks (a host) also fires them: its first use starts
    /// the host's one scheduler actor (<see cref="PraisonRuntime"/> and the hosting builders start it at once).
    /// </summary>
    public IScheduler Scheduler => Schedules;

    internal Scheduling.ScheduleService Schedules
    {
        get
        {
            if (_scheduler is { } ready) return ready;
            lock (this)
            {
                if (_scheduler is not null) return _scheduler;
                // A host fires; a one-shot process that leaves stored work alone (RecoverStoredTasks false: the CLI's
                // `run`) and a store-only one do not: their run-now and backfill become requests for the host.
                var fires = Options is { ExecuteTasks: true, RecoverStoredTasks: true };
                var service = new Scheduling.ScheduleService(this, Scheduling.ScheduleStore.For(TaskTable, System, Options.ScheduleHistoryLimit), TimeProvider.System, fires);
                if (fires)
                {
                    try
                    {
                        service.Actor = Scheduling.SchedulerRegistry.Start(System, service);
                    }
                    catch (InvalidActorNameException)
                    {
                        // Another runner of this system already fires schedules (one scheduler per host): tell that one.
                        service.Actor = Scheduling.SchedulerRegistry.Of(System);
                    }
                }
                return _scheduler = service;
            }
        }
    }

    /// <summary>
    /// Stores a schedule that runs <paramref name="recipe"/> at each slot of <paramref name="expression"/> and returns
    /// its handle; the same as <c>Scheduler.ScheduleAsync</c>.
    /// </summary>
    /// <param name="name">A unique name: 1 to 64 of [A-Za-z0-9_.-].</param>
    /// <param name="recipe">A registered recipe.</param>
    /// <param name="expression">hourly, daily, weekly, */30s, */15m, */6h, N (seconds), cron:EXPR, at:ISO-8601 or "in 10 minutes".</param>
    /// <param name="options">Input, time zone and policies; null takes the defaults.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <exception cref="ScheduleException">Bad input; nothing is stored.</exception>
    public Task<ScheduleHandle> ScheduleAsync(string name, string recipe, string expression, ScheduleOptions? options = null,
        CancellationToken cancellationToken = default) =>
        Schedules.ScheduleAsync(name, recipe, expression, options, cancellationToken);

    /// <summary>
    /// Wraps an existing router (a supervisor created elsewhere, e.g. by Akka.Hosting, or a cluster's router); with
    /// <paramref name="store"/>, lists read its task table as a runner that made its own supervisor does.
    /// </summary>
    internal BackgroundRunner(ActorSystem system, IActorRef router, BackgroundRunnerOptions options, TaskStore? store = null)
    {
        options.Validate();
        System = system;
        Router = router;
        Options = options;
        TaskTable = SqlWriter(options.JournalPluginId, store) is not null ? store : null;
        _localReplies = LocalRepliesFor(router);
    }

    /// <summary>The actor system the runner's actors live in.</summary>
    public ActorSystem System { get; }

    /// <summary>The actor every handle asks: the supervisor locally, the shard region in a cluster.</summary>
    public IActorRef Router { get; }

    /// <summary>The settings the runner was created with.</summary>
    public BackgroundRunnerOptions Options { get; }

    /// <summary>
    /// The store's health as this runner's writes see it: failing from the first failed write until one succeeds
    /// again (tasks whose writes fail stay visible with their last stored status and a <see cref="TaskStatusInfo.StoreError"/>).
    /// </summary>
    public async Task<StoreHealthInfo> GetStoreHealthAsync(CancellationToken cancellationToken = default)
    {
        var health = await Router.Ask<StoreHealth>(GetStoreHealth.Instance, Options.AskTimeout, cancellationToken)
            .ConfigureAwait(false);
        return new StoreHealthInfo(health.Healthy, health.LastError, health.Since);
    }

    /// <summary>The store whose task table <see cref="ListAsync"/> reads; null when the supervisor answers (no table).</summary>
    private TaskStore? TaskTable { get; }

    /// <summary>In a cluster: how often a handle's wait registers again (see PraisonClusterOptions.WaitRenewal); null locally.</summary>
    internal TimeSpan? WaitRenewal { get; init; }

    /// <summary>The recipes this runner can run (from <see cref="BackgroundRunnerOptions.Recipes"/>).</summary>
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
            WriteRows: SqlWriter(options.JournalPluginId, store),
            Table: SqlWriter(options.JournalPluginId, store) is not null ? store : null,
            Webhooks: options.ExecuteTasks ? options.Webhooks : null);
        return options.ExecuteTasks ? TaskSupervisor.Props(settings) : StoreOnlySupervisor.Props(settings);
    }

    /// <summary>
    /// How a node's TaskJournal writes batches (and the task table) itself: only when the journal is the store's own
    /// (no other plugin id configured), so the rows land in the table that plugin reads. With another plugin there is
    /// no task table.
    /// </summary>
    internal static SqlJournalAccess? SqlWriter(string? journalPluginId, TaskStore? store) =>
        journalPluginId is null && store?.Sql is { } sql ? sql : null;

    /// <inheritdoc />
    public async Task<ActorHandle<T>> SubmitAsync<T>(Func<TaskContext, Task<T>> work, TaskOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        var accepted = await SubmitAsync(DelegateSpec(options), async ctx => await work(ctx).ConfigureAwait(false), cancellationToken)
            .ConfigureAwait(false);
        return Typed<T>(accepted);
    }

    /// <inheritdoc />
    public async Task<ActorHandle> SubmitAsync(Func<TaskContext, Task> work, TaskOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        return Untyped(await SubmitAsync(DelegateSpec(options), NoResult(work), cancellationToken).ConfigureAwait(false));
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ActorHandle<T>>> SubmitManyAsync<TItem, T>(IEnumerable<TItem> items,
        Func<TItem, TaskContext, Task<T>> work, Func<TItem, TaskOptions?>? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(work);
        var batch = CheckEach(items, item => (DelegateSpec(options?.Invoke(item)),
            (TaskWork?)(async ctx => await work(item, ctx).ConfigureAwait(false))));
        return SubmitAllAsync(batch, Typed<T>, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ActorHandle>> SubmitManyAsync<TItem>(IEnumerable<TItem> items, Func<TItem, TaskContext, Task> work,
        Func<TItem, TaskOptions?>? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(work);
        var batch = CheckEach(items, item => (DelegateSpec(options?.Invoke(item)), (TaskWork?)NoResult(ctx => work(item, ctx))));
        return SubmitAllAsync(batch, Untyped, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<BackgroundTaskHandle> RunBackgroundAsync(string recipeName, RecipeRunOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var spec = RecipeSpec(recipeName, RunnableTemplate(recipeName), options);
        return RecipeHandle(recipeName, await SubmitAsync(spec, null, cancellationToken).ConfigureAwait(false));
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<BackgroundTaskHandle>> RunBackgroundManyAsync(string recipeName, IEnumerable<RecipeRunOptions?> runs,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var template = RunnableTemplate(recipeName);
        var batch = CheckEach(runs, run => (RecipeSpec(recipeName, template, run), (TaskWork?)null));
        return SubmitAllAsync(batch, a => RecipeHandle(recipeName, a), cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<T>> WaitAllAsync<T>(IEnumerable<ActorHandle<T>> handles, TimeSpan? timeout = null,
        CancellationToken cancellationToken = default) =>
        HandleWaits.AllAsync(handles, (h, t, ct) => h.WaitAsync(t, ct), timeout, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<object?>> WaitAllAsync(IEnumerable<ActorHandle> handles, TimeSpan? timeout = null,
        CancellationToken cancellationToken = default) =>
        HandleWaits.AllAsync(handles, (h, t, ct) => h.WaitAsync(t, ct), timeout, cancellationToken);

    /// <inheritdoc />
    public Task<THandle> WaitAnyAsync<THandle>(IEnumerable<THandle> handles, TimeSpan? timeout = null,
        CancellationToken cancellationToken = default) where THandle : ActorHandle =>
        HandleWaits.AnyAsync(handles, timeout, cancellationToken);

    /// <summary>Waits for a task's result as <typeparamref name="T"/>; throws as <see cref="ActorHandle.WaitAsync"/> says.</summary>
    public Task<T> WaitForTaskAsync<T>(string taskId, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        new ActorHandle<T>(CheckId(taskId), null, null, this).WaitAsync(timeout, cancellationToken);

    /// <summary>A handle to an existing task, from its id alone. Calls on it throw <see cref="TaskNotFoundException"/> for an unknown id.</summary>
    public ActorHandle GetHandle(string taskId) => new(CheckId(taskId), null, null, this);

    /// <summary>The task's status, last progress, times and error; <see cref="TaskNotFoundException"/> for an unknown id.</summary>
    public Task<TaskStatusInfo> GetStatusAsync(string taskId, CancellationToken cancellationToken = default) =>
        GetHandle(taskId).StatusAsync(cancellationToken);

    /// <summary>
    /// Runs a failed (or timed-out, or cancelled) recipe task again, as a new task with a new id and the same recipe,
    /// input, config, session, timeout and retry policy (a fresh attempt budget). The old task stays as it was: its
    /// errors are the record of what failed. Throws <see cref="TaskNotFoundException"/> for an unknown id and
    /// <see cref="InvalidOperationException"/> for a task that is not finished, completed, or a delegate (its code lives
    /// only in the process that submitted it).
    /// </summary>
    public async Task<BackgroundTaskHandle> RetryAsync(string taskId, CancellationToken cancellationToken = default)
    {
        var reply = await Router.Ask<ITaskReply>(new GetTaskSpec(taskId), Options.AskTimeout, cancellationToken).ConfigureAwait(false);
        var (task, spec) = reply switch
        {
            TaskSpecReply r => (r.Task, r.Spec),
            TaskNotFound => throw new TaskNotFoundException(taskId),
            _ => throw new InvalidOperationException($"Unexpected reply to a retry: {reply.GetType().Name}."),
        };
        if (task.Status is not (BackgroundTaskStatus.Failed or BackgroundTaskStatus.Cancelled))
            throw new InvalidOperationException(
                $"Task {taskId} is {task.Status.ToWireName()}; only a failed or cancelled task can be retried.");
        if (spec.Kind != TaskKind.Recipe)
            throw new InvalidOperationException(
                $"Task {taskId} is a delegate: its code lives only in the process that submitted it, so it cannot be retried from here.");
        // The new run joins the trace of whoever asked for the retry; its webhook, if any, is the original's.
        var retry = spec with { TaskId = NewTaskId(), TraceParent = PraisonTelemetry.CurrentTraceParent() };
        return RecipeHandle(spec.RecipeName!, await SubmitAsync(retry, null, cancellationToken).ConfigureAwait(false));
    }

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

    /// <inheritdoc />
    /// <remarks>Read from the store's journal only when asked for; null also for a runner wrapping a registered actor.</remarks>
    public async Task<TaskInput?> GetInputAsync(string taskId, CancellationToken cancellationToken = default)
    {
        CheckId(taskId);
        if (TaskTable is null) return null;
        var spec = await TaskTable.ReadSpecAsync(taskId, cancellationToken).ConfigureAwait(false);
        return spec is null ? null : new TaskInput(spec.InputJson, spec.ConfigJson);
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

    private ActorHandle<T> Typed<T>(TaskAccepted a) =>
        new(a.Task.TaskId, a.Task.Name, a.Task.SessionId, this) { Created = a.Created };

    private ActorHandle Untyped(TaskAccepted a) =>
        new(a.Task.TaskId, a.Task.Name, a.Task.SessionId, this) { Created = a.Created };

    // An existing task returned for a reused id keeps its own recipe (or, for a delegate, its name).
    private BackgroundTaskHandle RecipeHandle(string recipeName, TaskAccepted a) =>
        new(a.Task.TaskId, a.Task.RecipeName ?? recipeName, a.Task.SessionId, this) { Created = a.Created };

    private async Task<TaskAccepted> SubmitAsync(TaskSpec spec, TaskWork? work, CancellationToken cancellationToken)
    {
        var message = new SubmitTask(spec, work);
        var reply = _localReplies is { } provider
            ? await LocalReply.AskAsync(Router, message, provider, Options.AskTimeout, cancellationToken).ConfigureAwait(false)
            : await Router.Ask<ITaskReply>(message, Options.AskTimeout, cancellationToken).ConfigureAwait(false);
        return reply switch
        {
            TaskAccepted a => a,
            TaskNotFound => throw new TaskRejectedException(
                $"A submission with the same id '{spec.TaskId}' was being stored at the same time and failed; nothing was stored. Try again."),
            TaskRejected r => throw new TaskRejectedException(r.Reason),
            _ => throw new InvalidOperationException($"Unexpected reply to a submission: {reply.GetType().Name}."),
        };
    }

    /// <summary>Checks a delegate task's options and builds its spec; throws before anything is sent.</summary>
    private TaskSpec DelegateSpec(TaskOptions? options)
    {
        options ??= new TaskOptions();
        var timeout = options.Timeout ?? Options.DefaultTaskTimeout;
        if (timeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(options), timeout, "TaskOptions.Timeout must be positive.");
        var cleanup = options.CleanupDelay ?? Options.CleanupDelay;
        if (cleanup < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(options), cleanup, "TaskOptions.CleanupDelay must not be negative.");
        if (options.Name is { } n && TaskLimits.NameProblem(n, "TaskOptions.Name") is { } nameProblem)
            throw new ArgumentException(nameProblem, nameof(options));
        CheckSessionId(options.SessionId, "TaskOptions.SessionId");
        CheckRetry(options.Retry, "TaskOptions.Retry");
        var (url, events) = Webhook(options.WebhookUrl, options.WebhookEvents, "TaskOptions");
        return new TaskSpec(TaskIdOf(options.TaskId, "TaskOptions.TaskId"), TaskKind.Delegate, options.Name ?? "task", null, options.SessionId, null, null,
            (long)timeout.TotalMilliseconds, (long)cleanup.TotalMilliseconds, TraceParent: PraisonTelemetry.CurrentTraceParent(),
            WebhookUrl: url, WebhookEvents: events, Retry: options.Retry);
    }

    private static void CheckRetry(RetryPolicy? retry, string what)
    {
        if (retry?.Problem(what) is { } problem) throw new ArgumentException(problem, nameof(retry));
    }

    /// <summary>Session ids share one limit on every surface (<see cref="TaskLimits"/>), so none is stored oversized.</summary>
    private static void CheckSessionId(string? sessionId, string what)
    {
        if (TaskLimits.SessionIdProblem(sessionId, what) is { } problem) throw new ArgumentException(problem, nameof(sessionId));
    }

    /// <summary>Work without a value completes with a null result, which every wait reads as "no value".</summary>
    private static TaskWork NoResult(Func<TaskContext, Task> work) => async ctx =>
    {
        await work(ctx).ConfigureAwait(false);
        return null;
    };

    /// <summary>The template of a recipe that may run in the background; throws <see cref="RecipeException"/> otherwise.</summary>
    private RecipeTemplate RunnableTemplate(string recipeName)
    {
        var template = Recipes.Get(recipeName).Template;
        if (!template.Background.Enabled)
            throw new RecipeException(
                $"Recipe '{recipeName}' cannot run in the background: its TEMPLATE.yaml sets runtime.background.enabled: false" +
                (template.SourcePath is null ? "." : $" ({template.SourcePath})."), recipeName);
        return template;
    }

    private static readonly RecipeRunOptions NoRunOptions = new();

    /// <summary>Checks one run's options against its recipe and builds its spec; throws before anything is sent.</summary>
    private TaskSpec RecipeSpec(string recipeName, RecipeTemplate template, RecipeRunOptions? options)
    {
        options ??= NoRunOptions;
        if (options.TimeoutSec is <= 0)
            throw new ArgumentOutOfRangeException(nameof(options), options.TimeoutSec,
                $"TimeoutSec must be a positive number of seconds, got {options.TimeoutSec}.");
        if (options.Timeout is { } given && options.TimeoutSec is not null)
            throw new ArgumentException(
                $"Set RecipeRunOptions.Timeout or TimeoutSec, not both (got {given} and {options.TimeoutSec} s).", nameof(options));
        if (options.Timeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(options), options.Timeout,
                $"Timeout must be positive, got {options.Timeout}.");
        CheckSessionId(options.SessionId, "RecipeRunOptions.SessionId");
        CheckRetry(options.Retry, "RecipeRunOptions.Retry");

        var timeoutSec = options.TimeoutSec ?? template.TimeoutSec ?? (int?)template.Job.Timeout?.TotalSeconds;
        // runtime.job.webhook_url had its ${ENV} expanded when the template was read.
        var (url, events) = Webhook(options.WebhookUrl ?? template.Job.WebhookUrl, options.WebhookEvents ?? template.Job.Events,
            "RecipeRunOptions");
        var timeout = options.Timeout ?? (timeoutSec is { } s ? TimeSpan.FromSeconds(s) : Options.DefaultTaskTimeout);
        var cleanup = template.Background.CleanupDelaySec is { } c ? TimeSpan.FromSeconds(c) : Options.CleanupDelay;
        return new TaskSpec(TaskIdOf(options.TaskId, "RecipeRunOptions.TaskId"), TaskKind.Recipe, recipeName, recipeName, options.SessionId,
            ToJson(options.Input, "Input"), options.Config is null ? null : ToJson(options.Config, "Config"),
            (long)timeout.TotalMilliseconds, (long)cleanup.TotalMilliseconds,
            template.Background.MaxConcurrent, template.Background.RerunOnRestart, PraisonTelemetry.CurrentTraceParent(), url, events,
            Retry: options.Retry ?? template.Retry, ScheduleName: options.ScheduleName);
    }

    /// <summary>
    /// A submission's webhook, checked before anything is stored: an absolute http(s) URL that passes the SSRF guard
    /// (unless <see cref="WebhookOptions.AllowPrivateNetworks"/>), and known event names (stored canonical).
    /// </summary>
    private (string? Url, IReadOnlyList<string>? Events) Webhook(string? url, IReadOnlyList<string>? events, string what)
    {
        if (string.IsNullOrWhiteSpace(url)) return (null, null);
        url = url.Trim();
        WebhookUrlGuard.Check(url, Options.Webhooks.AllowPrivateNetworks, $"{what}.WebhookUrl"); // stored as given: escapes stay as they were
        if (events is null) return (url, null);
        var canonical = new List<string>();
        foreach (var e in events)
            canonical.Add(WebhookMessage.Canonical(e ?? "") ?? throw new ArgumentException(
                $"{what}.WebhookEvents: '{e}' is not a webhook event; expected {WebhookMessage.KnownEvents}.", nameof(events)));
        return (url, canonical.Distinct().ToList());
    }

    /// <inheritdoc />
    /// <remarks>Read from the store's webhook table, or from the node's dispatcher on a store without one.</remarks>
    public async Task<WebhookDelivery?> GetWebhookDeliveryAsync(string taskId, CancellationToken cancellationToken = default)
    {
        CheckId(taskId);
        if (TaskTable?.Sql is { } sql)
        {
            try
            {
                return (await sql.Webhooks.GetAsync(taskId, cancellationToken).ConfigureAwait(false))?.ToDelivery();
            }
            catch (Exception ex) when (ex is global::System.Data.Common.DbException or InvalidOperationException)
            {
                throw new TaskStoreException(TaskTable.Describe(), $"reading the webhook of task {taskId} failed: {ex.Message}", ex);
            }
        }
        var reply = await Router.Ask<WebhookDeliveryReply>(new GetWebhookDelivery(taskId), Options.AskTimeout, cancellationToken)
            .ConfigureAwait(false);
        return reply.Delivery;
    }

    /// <summary>
    /// Builds every item's spec before anything is sent, so a bad item stores nothing; its error names its index.
    /// </summary>
    private static List<(TaskSpec Spec, TaskWork? Work)> CheckEach<TItem>(IEnumerable<TItem> items, Func<TItem, (TaskSpec, TaskWork?)> build)
    {
        var batch = new List<(TaskSpec, TaskWork?)>();
        foreach (var item in items)
        {
            try
            {
                batch.Add(build(item));
            }
            catch (ArgumentException ex)
            {
                throw new ArgumentException($"Item {batch.Count} of the batch: {ex.Message} Nothing was submitted.", ex.ParamName, ex);
            }
        }
        return batch;
    }

    /// <summary>
    /// Sends every submission before awaiting any answer (one round trip for the batch, queued in input order), then
    /// answers the handles in input order, or <see cref="BatchSubmitException"/> naming the stored and the failed items.
    /// </summary>
    private async Task<IReadOnlyList<THandle>> SubmitAllAsync<THandle>(List<(TaskSpec Spec, TaskWork? Work)> batch,
        Func<TaskAccepted, THandle> handle, CancellationToken cancellationToken) where THandle : ActorHandle
    {
        var answers = new Task<TaskAccepted>[batch.Count];
        for (var i = 0; i < batch.Count; i++) answers[i] = SubmitAsync(batch[i].Spec, batch[i].Work, cancellationToken);
        try
        {
            await Task.WhenAll(answers).ConfigureAwait(false);
        }
        catch
        {
            // Each answer is read below, item by item: one failure must not hide what happened to the others.
        }

        var handles = new THandle?[batch.Count];
        var failures = new Dictionary<int, Exception>();
        for (var i = 0; i < answers.Length; i++)
        {
            try
            {
                handles[i] = handle(answers[i].GetAwaiter().GetResult());
            }
            catch (Exception ex)
            {
                failures[i] = ex;
            }
        }
        if (failures.Count > 0) throw new BatchSubmitException(handles, failures);
        return handles!;
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
        TaskIds.Problem(taskId) is { } problem ? throw new ArgumentException(problem, nameof(taskId)) : taskId;

    /// <summary>A caller's id, checked, or a new one.</summary>
    private static string TaskIdOf(string? given, string what) =>
        given is null ? NewTaskId()
        : TaskIds.Problem(given) is { } problem ? throw new ArgumentException($"{what}: {problem}", "options") : given;

    /// <summary>
    /// Time-ordered ids (UUIDv7: 48 bits of Unix milliseconds, then 74 random bits; the text of
    /// <c>Guid.CreateVersion7().ToString("N")</c>), so ids sort by submission. The random bits come from the
    /// cryptographic generator in blocks per thread, not one system call per id.
    /// </summary>
    internal static string NewTaskId()
    {
        var random = t_idRandom ??= new byte[RandomBlock];
        if (t_idRandomUsed == 0 || t_idRandomUsed + 10 > RandomBlock)
        {
            global::System.Security.Cryptography.RandomNumberGenerator.Fill(random);
            t_idRandomUsed = 0;
        }
        Span<byte> id = stackalloc byte[16];
        global::System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(id[..8], DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() << 16);
        random.AsSpan(t_idRandomUsed, 10).CopyTo(id[6..]);
        random.AsSpan(t_idRandomUsed, 10).Clear(); // bits already used never stay in memory
        t_idRandomUsed += 10;
        id[6] = (byte)(0x70 | (id[6] & 0x0F)); // version 7
        id[8] = (byte)(0x80 | (id[8] & 0x3F)); // RFC 9562 variant
        return Convert.ToHexStringLower(id);
    }

    private const int RandomBlock = 1000;
    [ThreadStatic] private static byte[]? t_idRandom;
    [ThreadStatic] private static int t_idRandomUsed;
}
