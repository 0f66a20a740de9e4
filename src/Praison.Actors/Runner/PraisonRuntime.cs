using Akka.Actor;
using Akka.Configuration;
using Praison.Actors.Persistence;

namespace Praison.Actors;

/// <summary>Options for <see cref="PraisonRuntime.StartAsync"/>.</summary>
public sealed class PraisonRuntimeOptions
{
    /// <summary>Where tasks are kept. Hosts and the CLI default to <see cref="TaskStore.Sqlite"/>; this type defaults to ephemeral.</summary>
    public TaskStore Store { get; init; } = TaskStore.Ephemeral;

    public BackgroundRunnerOptions Runner { get; init; } = new();

    /// <summary>The user's own HOCON; Praison.Actors' reference config is the fallback under it.</summary>
    public Config? Config { get; init; }

    public string SystemName { get; init; } = "praison-actors";

    /// <summary>How long the journal may take to answer at start-up before the start fails.</summary>
    public TimeSpan StartupTimeout { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// An ActorSystem configured for a task store, plus its <see cref="BackgroundRunner"/>: the one-call way to
/// run Praison.Actors outside Akka.Hosting (scripts, the CLI, tests).
/// </summary>
public sealed class PraisonRuntime : IAsyncDisposable
{
    private PraisonRuntime(ActorSystem system, BackgroundRunner runner, TaskStore store)
    {
        System = system;
        Runner = runner;
        Store = store;
    }

    public ActorSystem System { get; }
    public BackgroundRunner Runner { get; }
    public TaskStore Store { get; }

    /// <summary>The full configuration: the user's config over the store's and the serializer's.</summary>
    public static Config BuildConfig(TaskStore store, Config? user = null) =>
        (user ?? Config.Empty)
            .WithFallback(PraisonHocon.Serialization)
            .WithFallback(store.ToConfig());

    /// <summary>
    /// Prepares the store, starts the ActorSystem, checks the journal answers, then starts the runner.
    /// A store that cannot be used throws <see cref="TaskStoreException"/> and leaves nothing running.
    /// </summary>
    public static async Task<PraisonRuntime> StartAsync(PraisonRuntimeOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new PraisonRuntimeOptions();
        options.Runner.Validate();
        await options.Store.PrepareAsync(cancellationToken).ConfigureAwait(false);
        var system = ActorSystem.Create(options.SystemName, BuildConfig(options.Store, options.Config));
        try
        {
            await ProbeJournalAsync(system, options, cancellationToken).ConfigureAwait(false);
            // Read what the store holds in one query rather than recovering an actor per task.
            var recovered = options.Runner is { ExecuteTasks: true, RecoverStoredTasks: true }
                ? await options.Store.ReadTasksAsync(cancellationToken).ConfigureAwait(false)
                : null;
            return new PraisonRuntime(system, new BackgroundRunner(system, options.Runner, recovered, options.Store), options.Store);
        }
        catch
        {
            await system.Terminate().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task ProbeJournalAsync(ActorSystem system, PraisonRuntimeOptions options, CancellationToken cancellationToken)
    {
        var answer = new TaskCompletionSource<object>(TaskCreationOptions.RunContinuationsAsynchronously);
        var inbox = system.ActorOf(Props.Create(typeof(ReplyCatcher), answer), "praison-store-probe-reply");
        system.ActorOf(StoreProbeActor.Props(inbox), "praison-store-probe");
        object reply;
        try
        {
            reply = await answer.Task.WaitAsync(options.StartupTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TaskStoreException(options.Store.Describe(), $"the journal did not answer within {options.StartupTimeout.TotalSeconds:0} s");
        }
        finally
        {
            system.Stop(inbox);
        }
        if (reply is Status.Failure f)
            throw new TaskStoreException(options.Store.Describe(), $"the journal failed to start: {f.Cause.GetBaseException().Message}", f.Cause);
    }

    public async ValueTask DisposeAsync() =>
        await CoordinatedShutdown.Get(System).Run(CoordinatedShutdown.ClrExitReason.Instance).ConfigureAwait(false);

    /// <summary>Hands the first message it gets to a TaskCompletionSource.</summary>
    private sealed class ReplyCatcher(TaskCompletionSource<object> answer) : UntypedActor
    {
        protected override void OnReceive(object message) => answer.TrySetResult(message);
    }
}
