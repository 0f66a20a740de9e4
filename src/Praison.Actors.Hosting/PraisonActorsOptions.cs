using Praison.Actors.Persistence;

namespace Praison.Actors.Hosting;

/// <summary>What <see cref="PraisonHostingExtensions.WithPraisonActors"/> and <see cref="PraisonHostingExtensions.AddPraisonActors"/> set up.</summary>
public sealed class PraisonActorsOptions
{
    /// <summary>Where tasks are kept; hosts default to SQLite under <see cref="TaskStore.DefaultDataDirectory"/>.</summary>
    public TaskStore Store { get; init; } = TaskStore.Sqlite(TaskStore.DefaultDataDirectory);

    /// <summary>Concurrency, timeouts and recipes of the runner the host creates.</summary>
    public BackgroundRunnerOptions Runner { get; init; } = new();

    /// <summary>How long the store may take to answer (and a cluster node to join) before the host's start fails.</summary>
    public TimeSpan StartupTimeout { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>The <see cref="Akka.Hosting.ActorRegistry"/> key of the actor every handle asks (the supervisor, or a cluster's router).</summary>
public sealed class PraisonTasks;
