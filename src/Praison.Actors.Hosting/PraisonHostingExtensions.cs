using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Praison.Actors.Messages;
using Praison.Actors.Serialization;
using Praison.Actors.Tasks;

namespace Praison.Actors.Hosting;

/// <summary>
/// Akka.Hosting wiring. <c>services.AddPraisonActors(o)</c> puts <see cref="BackgroundRunner"/>,
/// <see cref="IRecipeRunner"/> and <see cref="IScheduler"/> in DI; <c>builder.WithPraisonActors(o)</c> (local) or <c>WithPraisonCluster(o, c)</c>
/// (Praison.Actors.Cluster) creates the actor they talk to and registers it as <see cref="PraisonTasks"/>.
/// </summary>
/// <remarks>
/// The store's journal is configured from <see cref="TaskStore.ToConfig"/>, not with
/// Akka.Persistence.Sql.Hosting: that HOCON is the one definition the entry points without Akka.Hosting
/// (<see cref="PraisonRuntime.StartAsync"/>, PraisonCluster.StartAsync) must use too, and a second one built through
/// <c>WithSqlPersistence</c> could drift from it.
/// </remarks>
public static class PraisonHostingExtensions
{
    /// <summary>
    /// Registers <see cref="BackgroundRunner"/> and <see cref="IRecipeRunner"/>, bound to the actor registered as
    /// <see cref="PraisonTasks"/>; resolve them once the host has started.
    /// </summary>
    public static IServiceCollection AddPraisonActors(this IServiceCollection services, PraisonActorsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Runner.Validate();
        services.AddSingleton(options);
        // The node's own settings (a cluster's wait renewal) come from its ActorSystem, so the runner here is the
        // one the start-up path would build.
        services.AddSingleton(sp => NodeComposer.RunnerFor(
            sp.GetRequiredService<ActorSystem>(), sp.GetRequiredService<IRequiredActor<PraisonTasks>>().ActorRef, options.Runner, options.Store));
        services.AddSingleton<IRecipeRunner>(sp => sp.GetRequiredService<BackgroundRunner>());
        services.AddSingleton<IBackgroundRunner>(sp => sp.GetRequiredService<BackgroundRunner>());
        // Schedules in the same store; the host's one scheduler actor (started with the runner) fires them.
        services.AddSingleton<IScheduler>(sp => sp.GetRequiredService<BackgroundRunner>().Scheduler);
        return services;
    }

    /// <summary>
    /// Local mode: the store's HOCON under the user's and the message serializer, then, once the ActorSystem runs,
    /// the same start-up steps as <see cref="PraisonRuntime.StartAsync"/> (store prepared and probed, stored tasks
    /// read, supervisor started) with the supervisor registered as <see cref="PraisonTasks"/>. A store that cannot be
    /// used fails the host's start with a <see cref="TaskStoreException"/>.
    /// </summary>
    public static AkkaConfigurationBuilder WithPraisonActors(this AkkaConfigurationBuilder builder, PraisonActorsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Runner.Validate();
        builder.AddHocon(options.Store.ToConfig(), HoconAddMode.Append);
        builder.AddHocon(TaskMailbox.Definition, HoconAddMode.Append);
        builder.WithPraisonSerializer();
        builder.WithActors(new ActorStarter(async (system, registry) =>
        {
            // The journal starts on first use, so preparing the store here still comes before it.
            await NodeComposer.PrepareStoreAsync(options.Store, CancellationToken.None).ConfigureAwait(false);
            var runner = await NodeComposer.StartLocalAsync(system, options.Store, options.Runner, options.StartupTimeout, CancellationToken.None)
                .ConfigureAwait(false);
            registry.Register<PraisonTasks>(runner.Router);
        }));
        return builder;
    }

    /// <summary>Binds every Praison.Actors message to its System.Text.Json serializer (the same binding as hocon/serialization.conf).</summary>
    internal static AkkaConfigurationBuilder WithPraisonSerializer(this AkkaConfigurationBuilder builder) =>
        builder.WithCustomSerializer("praison-json", [typeof(IPraisonMessage)], system => new PraisonJsonSerializer(system));
}
