namespace Praison.Actors;

/// <summary>
/// The client side of a <see cref="BackgroundRunner"/>, for dependency injection and test doubles: submit work and
/// recipe runs (one or many), wait for one, all or any of them, read status, cancel, list, remove and clear.
/// Every call is answered only after what it reports is stored.
/// </summary>
public interface IBackgroundRunner : IRecipeRunner
{
    /// <summary>Stores a task that runs <paramref name="work"/> and returns its handle once stored.</summary>
    /// <typeparam name="T">The result type; <see cref="ActorHandle{T}.WaitAsync"/> reads the stored result as it.</typeparam>
    /// <param name="work">The work; it receives the task's context (cancellation token, progress, ids, logger).</param>
    /// <param name="options">Name, session, timeout and cleanup delay; null takes the runner's defaults.</param>
    /// <param name="cancellationToken">Stops waiting for the answer (the submission may still be stored).</param>
    /// <exception cref="ArgumentException">A timeout that is not positive, a negative cleanup delay or a blank name; nothing is stored.</exception>
    /// <exception cref="TaskRejectedException">The queue is full (or the runner cannot run closures, as in a cluster); nothing is stored.</exception>
    Task<ActorHandle<T>> SubmitAsync<T>(Func<TaskContext, Task<T>> work, TaskOptions? options = null,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores a task that runs <paramref name="work"/>, which returns no value, and returns its handle once stored.
    /// The handle's <see cref="ActorHandle.WaitAsync"/> returns null when the work completed and throws exactly as
    /// for any other task otherwise.
    /// </summary>
    /// <param name="work">The work; it receives the task's context (cancellation token, progress, ids, logger).</param>
    /// <param name="options">Name, session, timeout and cleanup delay; null takes the runner's defaults.</param>
    /// <param name="cancellationToken">Stops waiting for the answer (the submission may still be stored).</param>
    /// <exception cref="ArgumentException">A timeout that is not positive, a negative cleanup delay or a blank name; nothing is stored.</exception>
    /// <exception cref="TaskRejectedException">The queue is full (or the runner cannot run closures, as in a cluster); nothing is stored.</exception>
    Task<ActorHandle> SubmitAsync(Func<TaskContext, Task> work, TaskOptions? options = null,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// Submits one task per item, all at once (every submission is sent before the first answer is awaited, so they
    /// are queued in input order), and returns their handles in input order once all are stored.
    /// </summary>
    /// <remarks>
    /// Each item is its own task, so a batch is not all-or-nothing: every item's options are checked before anything
    /// is sent (a bad one throws <see cref="ArgumentException"/> naming its index, and nothing is stored), but when the
    /// runtime refuses some items (a full queue) the others are stored and run. That case throws
    /// <see cref="BatchSubmitException"/>, whose <see cref="BatchSubmitException.Submitted"/> holds the handles of the
    /// stored ones (cancel them if the batch must not run partly) and <see cref="BatchSubmitException.Failures"/> why
    /// each other item was not accepted.
    /// </remarks>
    /// <param name="items">The inputs, one task each.</param>
    /// <param name="work">The work for one item.</param>
    /// <param name="options">The options of one item's task (e.g. a name per item); null takes the runner's defaults.</param>
    /// <param name="cancellationToken">Stops waiting for the answers (submissions already sent may still be stored).</param>
    Task<IReadOnlyList<ActorHandle<T>>> SubmitManyAsync<TItem, T>(IEnumerable<TItem> items, Func<TItem, TaskContext, Task<T>> work,
        Func<TItem, TaskOptions?>? options = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Submits one task per item for work that returns no value; otherwise exactly as
    /// <see cref="SubmitManyAsync{TItem, T}"/> (input order, per-item failures in <see cref="BatchSubmitException"/>).
    /// </summary>
    /// <param name="items">The inputs, one task each.</param>
    /// <param name="work">The work for one item.</param>
    /// <param name="options">The options of one item's task; null takes the runner's defaults.</param>
    /// <param name="cancellationToken">Stops waiting for the answers (submissions already sent may still be stored).</param>
    Task<IReadOnlyList<ActorHandle>> SubmitManyAsync<TItem>(IEnumerable<TItem> items, Func<TItem, TaskContext, Task> work,
        Func<TItem, TaskOptions?>? options = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Runs <paramref name="recipeName"/> once per options object, all submitted at once, and returns the handles in
    /// input order once all are stored. Failures follow <see cref="SubmitManyAsync{TItem, T}"/>: bad options throw
    /// before anything is sent; refused runs throw <see cref="BatchSubmitException"/> naming the stored ones.
    /// </summary>
    /// <param name="recipeName">A registered recipe.</param>
    /// <param name="runs">One entry per run: its input, config, session and timeout (null: the recipe's defaults).</param>
    /// <param name="cancellationToken">Stops waiting for the answers (submissions already sent may still be stored).</param>
    /// <exception cref="RecipeException">The recipe is unknown or disabled; nothing is stored.</exception>
    Task<IReadOnlyList<BackgroundTaskHandle>> RunBackgroundManyAsync(string recipeName, IEnumerable<RecipeRunOptions?> runs,
        CancellationToken cancellationToken = default);

    /// <summary>Waits for a task's result as <typeparamref name="T"/>; throws as <see cref="ActorHandle.WaitAsync"/> says.</summary>
    /// <param name="taskId">The task's id.</param>
    /// <param name="timeout">How long to wait; null waits as long as the task runs. Past it: <see cref="TimeoutException"/>, and the task keeps running.</param>
    /// <param name="cancellationToken">Stops waiting (the task keeps running).</param>
    Task<T> WaitForTaskAsync<T>(string taskId, TimeSpan? timeout = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Waits until every task has finished (like <see cref="Task.WhenAll(IEnumerable{Task})"/>) and returns their
    /// results in input order. When some did not complete, throws the exception of the first of those in input order,
    /// exactly as its <see cref="ActorHandle{T}.WaitAsync"/> would (the others' outcomes stay readable through their
    /// handles). When some are still unfinished at <paramref name="timeout"/>, throws one <see cref="TimeoutException"/>
    /// naming them; the tasks keep running.
    /// </summary>
    /// <param name="handles">The tasks to wait for.</param>
    /// <param name="timeout">One deadline for all of them; null waits as long as they run.</param>
    /// <param name="cancellationToken">Stops waiting (the tasks keep running).</param>
    Task<IReadOnlyList<T>> WaitAllAsync<T>(IEnumerable<ActorHandle<T>> handles, TimeSpan? timeout = null,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// <see cref="WaitAllAsync{T}"/> for handles without a result type (recipe runs, work returning no value): the
    /// results as <see cref="ActorHandle.WaitAsync"/> returns them, in input order.
    /// </summary>
    /// <param name="handles">The tasks to wait for.</param>
    /// <param name="timeout">One deadline for all of them; null waits as long as they run.</param>
    /// <param name="cancellationToken">Stops waiting (the tasks keep running).</param>
    Task<IReadOnlyList<object?>> WaitAllAsync(IEnumerable<ActorHandle> handles, TimeSpan? timeout = null,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// Waits until the first of the tasks finishes, whatever its outcome (like <see cref="Task.WhenAny(IEnumerable{Task})"/>),
    /// and returns its handle: its <c>WaitAsync</c> then returns the result or throws at once. Throws
    /// <see cref="TimeoutException"/> when none finished within <paramref name="timeout"/> (they keep running) and
    /// <see cref="TaskNotFoundException"/> for an unknown id.
    /// </summary>
    /// <param name="handles">The tasks to wait for; at least one.</param>
    /// <param name="timeout">How long to wait; null waits as long as they run.</param>
    /// <param name="cancellationToken">Stops waiting (the tasks keep running).</param>
    Task<THandle> WaitAnyAsync<THandle>(IEnumerable<THandle> handles, TimeSpan? timeout = null,
        CancellationToken cancellationToken = default) where THandle : ActorHandle;

    /// <summary>A handle to an existing task, from its id alone. Calls on it throw <see cref="TaskNotFoundException"/> for an unknown id.</summary>
    /// <param name="taskId">The task's id.</param>
    ActorHandle GetHandle(string taskId);

    /// <summary>The task's status, last progress, times and error.</summary>
    /// <param name="taskId">The task's id.</param>
    /// <param name="cancellationToken">Stops waiting for the answer.</param>
    /// <exception cref="TaskNotFoundException">No task has this id.</exception>
    Task<TaskStatusInfo> GetStatusAsync(string taskId, CancellationToken cancellationToken = default);

    /// <summary>Cancels a task: true once the cancellation is stored, false when it had already finished.</summary>
    /// <param name="taskId">The task's id.</param>
    /// <param name="cancellationToken">Stops waiting for the answer.</param>
    /// <exception cref="TaskNotFoundException">No task has this id.</exception>
    Task<bool> CancelAsync(string taskId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Runs a failed or cancelled recipe task again as a new task (same recipe, input, config, session, timeout and
    /// retry policy; new id); the old task is left as it was.
    /// </summary>
    Task<BackgroundTaskHandle> RetryAsync(string taskId, CancellationToken cancellationToken = default);

    /// <summary>
    /// The store's health as this runner's writes see it: failing from the first failed write until one succeeds again
    /// (tasks whose writes fail stay visible with their last stored status and a <see cref="TaskStatusInfo.StoreError"/>).
    /// </summary>
    /// <param name="cancellationToken">Stops waiting for the answer.</param>
    Task<StoreHealthInfo> GetStoreHealthAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// This runner's schedules: stored in the same store; fired by the host's scheduler (see
    /// <see cref="BackgroundRunner.Scheduler"/>).
    /// </summary>
    IScheduler Scheduler { get; }

    /// <summary>Stores a schedule that runs <paramref name="recipe"/> at each slot of <paramref name="expression"/>; the same as <c>Scheduler.ScheduleAsync</c>.</summary>
    /// <param name="name">A unique name: 1 to 64 of [A-Za-z0-9_.-].</param>
    /// <param name="recipe">A registered recipe.</param>
    /// <param name="expression">hourly, daily, weekly, */30s, */15m, */6h, N (seconds), cron:EXPR, at:ISO-8601 or "in 10 minutes".</param>
    /// <param name="options">Input, time zone and policies; null takes the defaults.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <exception cref="ScheduleException">Bad input; nothing is stored.</exception>
    Task<ScheduleHandle> ScheduleAsync(string name, string recipe, string expression, ScheduleOptions? options = null,
        CancellationToken cancellationToken = default);

    /// <summary>Lists tasks, oldest first, filtered by <paramref name="query"/> (status, session, name).</summary>
    /// <param name="query">The filters; null lists every task.</param>
    /// <param name="cancellationToken">Stops waiting for the answer.</param>
    Task<IReadOnlyList<TaskStatusInfo>> ListAsync(TaskQuery? query = null, CancellationToken cancellationToken = default);

    /// <summary>One page of tasks, oldest first, and how many match in all: an indexed query on a store with a task table.</summary>
    /// <param name="query">The filters (status, session, name).</param>
    /// <param name="offset">How many matching tasks to skip.</param>
    /// <param name="limit">The most tasks to return.</param>
    /// <param name="cancellationToken">Stops waiting for the answer.</param>
    Task<TaskPage> ListPageAsync(TaskQuery query, int offset, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Removes one task now: its events are deleted and its id is gone when this returns. A pending or running
    /// task is refused with <see cref="TaskRejectedException"/> unless <paramref name="cancelIfActive"/>.
    /// </summary>
    /// <param name="taskId">The task's id.</param>
    /// <param name="cancelIfActive">Cancel a pending or running task first instead of refusing.</param>
    /// <param name="cancellationToken">Stops waiting for the answer.</param>
    /// <exception cref="TaskNotFoundException">No task has this id.</exception>
    Task RemoveAsync(string taskId, bool cancelIfActive = false, CancellationToken cancellationToken = default);

    /// <summary>Removes finished tasks now (their events are deleted); with <paramref name="includeActive"/>, cancels and removes every task.</summary>
    /// <param name="includeActive">Also cancel and remove pending and running tasks.</param>
    /// <param name="cancellationToken">Stops waiting for the answer.</param>
    /// <returns>How many tasks were removed.</returns>
    Task<int> ClearAsync(bool includeActive = false, CancellationToken cancellationToken = default);

    /// <summary>
    /// A task's webhook delivery: URL, state (pending, delivered, failed, skipped), every attempt (time, HTTP status,
    /// error) and the next attempt's time; null when the task has no webhook.
    /// </summary>
    /// <param name="taskId">The task's id.</param>
    /// <param name="cancellationToken">Stops waiting for the answer.</param>
    /// <exception cref="TaskStoreException">The store could not be read.</exception>
    Task<WebhookDelivery?> GetWebhookDeliveryAsync(string taskId, CancellationToken cancellationToken = default);

    /// <summary>
    /// The input and config a task was submitted with, as stored (raw JSON text); null when there is no SQL store to
    /// read them from or the store holds no such task.
    /// </summary>
    /// <param name="taskId">The task's id.</param>
    /// <param name="cancellationToken">Stops waiting for the answer.</param>
    /// <exception cref="TaskStoreException">The store cannot be read.</exception>
    Task<TaskInput?> GetInputAsync(string taskId, CancellationToken cancellationToken = default);
}
