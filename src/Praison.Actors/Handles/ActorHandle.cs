using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using Akka.Actor;
using Praison.Actors.Handles;
using Praison.Actors.Messages;

namespace Praison.Actors;

/// <summary>
/// A handle to one background task: an ask-pattern proxy holding the task id and the actor that routes to
/// the task (the supervisor locally, the shard region in a cluster). Every method is one Ask, so a handle
/// rebuilt from an id alone (<see cref="BackgroundRunner.GetHandle"/>) works the same.
/// </summary>
public class ActorHandle
{
    private readonly IActorRef _router;
    private readonly ActorSystem _system;
    private readonly TimeSpan _askTimeout;
    private readonly TimeSpan? _waitRenewal;

    internal ActorHandle(string taskId, string? name, string? sessionId, BackgroundRunner runner)
    {
        TaskId = taskId;
        Name = name;
        SessionId = sessionId;
        _router = runner.Router;
        _system = runner.System;
        _askTimeout = runner.Options.AskTimeout;
        _waitRenewal = runner.WaitRenewal;
        _localReplies = runner.LocalReplies;
    }

    private readonly IActorRefProvider? _localReplies; // the router answers from this process: no Ask needed

    /// <summary>The task's id.</summary>
    public string TaskId { get; }

    /// <summary>The task's name; null on a handle rebuilt from an id alone.</summary>
    public string? Name { get; }

    /// <summary>The session the task was submitted in, if any.</summary>
    public string? SessionId { get; }

    /// <summary>
    /// True when the submission that returned this handle stored the task; false when a task with the requested id
    /// already existed (nothing was stored or run again: the handle names that task), and on a handle rebuilt from an id.
    /// </summary>
    public bool Created { get; internal init; }

    /// <summary>The task's status, progress, times and error. Converts implicitly to <see cref="BackgroundTaskStatus"/>.</summary>
    public async Task<TaskStatusInfo> StatusAsync(CancellationToken cancellationToken = default) =>
        await AskAsync(new GetTaskStatus(TaskId), _askTimeout, cancellationToken).ConfigureAwait(false) switch
        {
            TaskStatusReply r => r.Task,
            var other => throw Unexpected(other),
        };

    /// <summary>
    /// Waits for the result: a string, bool or number as itself, an object or array as a <see cref="JsonElement"/>.
    /// Throws for a failed, timed-out or cancelled task, and <see cref="TimeoutException"/> when the wait
    /// expires (the task keeps running then).
    /// </summary>
    public async Task<object?> WaitAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        PraisonJson.ToPlainValue(await WaitForResultJsonAsync(timeout, cancellationToken).ConfigureAwait(false));

    /// <summary>Cancels the task; false when it had already finished. Answered once the cancellation is stored.</summary>
    public async Task<bool> CancelAsync(CancellationToken cancellationToken = default) =>
        await AskAsync(new CancelTask(TaskId), _askTimeout, cancellationToken).ConfigureAwait(false) switch
        {
            CancelReply r => r.Cancelled,
            var other => throw Unexpected(other),
        };

    /// <summary>
    /// The task's updates: its current state first, then each progress report and status change, ending with
    /// the terminal state. Any number of watchers may read at once; each gets every update in order.
    /// </summary>
    public async IAsyncEnumerable<TaskUpdate> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var channel = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var subscriber = _system.ActorOf(WatchSubscriberActor.Props(channel.Writer));
        _router.Tell(new SubscribeTask(TaskId, subscriber));
        try
        {
            await foreach (var message in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (message is TaskNotFound) throw new TaskNotFoundException(TaskId);
                var update = ((TaskUpdateNotice)message).Update;
                yield return update;
                if (update.IsFinal) yield break;
            }
        }
        finally
        {
            _router.Tell(new UnsubscribeTask(TaskId, subscriber));
            subscriber.Tell(PoisonPill.Instance);
        }
    }

    /// <summary>Waits for the terminal state and returns the stored JSON result, or throws as <see cref="WaitAsync"/> says.</summary>
    protected async Task<string?> WaitForResultJsonAsync(TimeSpan? timeout, CancellationToken cancellationToken)
    {
        if (timeout is { } t && t <= TimeSpan.Zero && t != Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(nameof(timeout), t, "The wait timeout must be positive.");
        var limit = timeout == Timeout.InfiniteTimeSpan ? null : timeout;
        var reply = _waitRenewal is { } renewal
            ? await WaitRenewingAsync(limit, renewal, cancellationToken).ConfigureAwait(false)
            : await AskAsync(new WaitForTask(TaskId), limit, cancellationToken, isWait: true).ConfigureAwait(false);
        if (reply is not TaskOutcome outcome) throw Unexpected(reply);
        var task = outcome.Task;
        return task.Status switch
        {
            BackgroundTaskStatus.Completed => outcome.ResultJson,
            BackgroundTaskStatus.Cancelled => throw new TaskCanceledException($"Task {TaskId} was cancelled."),
            _ when task.Error is { Kind: TaskErrorKind.Timeout } e => throw new TaskTimedOutException(TaskId, e),
            _ when task.Kind == TaskKind.Recipe => throw new RecipeException(TaskId, task.RecipeName ?? task.Name, ErrorOf(task)),
            _ => throw new BackgroundTaskFailedException(TaskId, ErrorOf(task)),
        };
    }

    /// <summary>
    /// A cluster wait: one reply actor, registered with the task again every <paramref name="renewal"/>, so the
    /// wait also reaches a task whose entity was restarted on another node after its node died.
    /// </summary>
    private async Task<object> WaitRenewingAsync(TimeSpan? timeout, TimeSpan renewal, CancellationToken cancellationToken)
    {
        var answer = new TaskCompletionSource<object>(TaskCreationOptions.RunContinuationsAsynchronously);
        var waiter = _system.ActorOf(WaitReplyActor.Props(answer));
        var started = Stopwatch.GetTimestamp();
        try
        {
            while (true)
            {
                var round = renewal;
                if (timeout is { } t)
                {
                    var left = t - Stopwatch.GetElapsedTime(started);
                    if (left <= TimeSpan.Zero) throw WaitTimedOut(t);
                    if (left < round) round = left;
                }
                _router.Tell(new WaitForTask(TaskId), waiter);
                if (await Task.WhenAny(answer.Task, Task.Delay(round, cancellationToken)).ConfigureAwait(false) == answer.Task) break;
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
        finally
        {
            _system.Stop(waiter);
        }
        return Checked(await answer.Task.ConfigureAwait(false));
    }

    private static TaskError ErrorOf(TaskStatusInfo task) =>
        task.Error ?? new TaskError(TaskErrorKind.Exception, $"Task ended {task.Status.ToWireName()} without an error.");

    private async Task<object> AskAsync(object message, TimeSpan? timeout, CancellationToken cancellationToken, bool isWait = false)
    {
        object reply;
        try
        {
            reply = _localReplies is { } provider
                ? await LocalReply.AskAsync(_router, message, provider, timeout, cancellationToken).ConfigureAwait(false)
                : await _router.Ask<object>(message, timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (AskTimeoutException)
        {
            throw isWait ? WaitTimedOut(timeout) : new TimeoutException($"The runtime did not answer about task {TaskId} within {timeout}.");
        }
        return Checked(reply);
    }

    /// <summary>The reply itself, or the exception a not-found or rejected answer stands for.</summary>
    private object Checked(object reply) => reply switch
    {
        TaskNotFound => throw new TaskNotFoundException(TaskId),
        TaskRejected r => throw new TaskRejectedException(r.Reason),
        _ => reply,
    };

    private TimeoutException WaitTimedOut(TimeSpan? after) =>
        new($"Waiting for task {TaskId} timed out after {after}; the task keeps running and can be waited on again.");

    private static InvalidOperationException Unexpected(object reply) =>
        new($"Unexpected reply from the task runtime: {reply.GetType().Name}.");
}

/// <summary>A handle whose result is read as <typeparamref name="T"/>.</summary>
public class ActorHandle<T> : ActorHandle
{
    internal ActorHandle(string taskId, string? name, string? sessionId, BackgroundRunner runner)
        : base(taskId, name, sessionId, runner)
    {
    }

    /// <summary>Waits for the result as <typeparamref name="T"/>; throws as <see cref="ActorHandle.WaitAsync"/> says.</summary>
    public new async Task<T> WaitAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var json = await WaitForResultJsonAsync(timeout, cancellationToken).ConfigureAwait(false);
        return json is null ? default! : JsonSerializer.Deserialize<T>(json, PraisonJson.Options)!;
    }
}

/// <summary>The handle of a recipe run; a failed run throws <see cref="RecipeException"/>.</summary>
public sealed class BackgroundTaskHandle : ActorHandle
{
    internal BackgroundTaskHandle(string taskId, string recipeName, string? sessionId, BackgroundRunner runner)
        : base(taskId, recipeName, sessionId, runner) => RecipeName = recipeName;

    /// <summary>The recipe this run executes.</summary>
    public string RecipeName { get; }
}
