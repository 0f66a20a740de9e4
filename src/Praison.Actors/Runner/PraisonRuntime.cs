using Akka.Actor;
using Akka.Configuration;
using Praison.Actors.Persistence;
using Praison.Actors.Tasks;

namespace Praison.Actors;

/// <summary>Options for <see cref="PraisonRuntime.StartAsync"/>.</summary>
public sealed class PraisonRuntimeOptions
{
    /// <summary>Where tasks are kept. Hosts and the CLI default to <see cref="TaskStore.Sqlite"/>; this type defaults to ephemeral.</summary>
    public TaskStore Store { get; init; } = TaskStore.Ephemeral;

    /// <summary>Concurrency, timeouts and recipes of the runner.</summary>
    public BackgroundRunnerOptions Runner { get; init; } = new();

    /// <summary>The user's own HOCON; Praison.Actors' reference config is the fallback under it.</summary>
    public Config? Config { get; init; }

    /// <summary>The actor system's name.</summary>
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

    /// <summary>The actor system the runtime started.</summary>
    public ActorSystem System { get; }
    /// <summary>The runner to submit and query tasks with.</summary>
    public BackgroundRunner Runner { get; }
    /// <summary>Where task state is kept.</summary>
    public TaskStore Store { get; }

    /// <summary>The full configuration: the user's config over the store's, the serializer's and the task actors' mailbox.</summary>
    public static Config BuildConfig(TaskStore store, Config? user = null) =>
        (user ?? Config.Empty)
            .WithFallback(PraisonHocon.Serialization)
            .WithFallback(store.ToConfig())
            .WithFallback(TaskMailbox.Definition);

    /// <summary>
    /// Prepares the store, starts the ActorSystem, checks the journal answers, then starts the runner.
    /// A store that cannot be used throws <see cref="TaskStoreException"/> and leaves nothing running.
    /// </summary>
    public static async Task<PraisonRuntime> StartAsync(PraisonRuntimeOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new PraisonRuntimeOptions();
        options.Runner.Validate();
        await NodeComposer.PrepareStoreAsync(options.Store, cancellationToken).ConfigureAwait(false);
        var system = ActorSystem.Create(options.SystemName, LoggerFactorySetup.For(BuildConfig(options.Store, options.Config), options.Runner.LoggerFactory));
        try
        {
            var runner = await NodeComposer.StartLocalAsync(system, options.Store, options.Runner, options.StartupTimeout, cancellationToken)
                .ConfigureAwait(false);
            return new PraisonRuntime(system, runner, options.Store);
        }
        catch
        {
            await system.Terminate().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Shuts the actor system down (coordinated shutdown), which stops the runner.</summary>
    public async ValueTask DisposeAsync() =>
        await CoordinatedShutdown.Get(System).Run(CoordinatedShutdown.ClrExitReason.Instance).ConfigureAwait(false);
}
