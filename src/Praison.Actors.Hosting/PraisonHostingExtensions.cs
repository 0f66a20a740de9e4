using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Praison.Actors.Hosting;

/// <summary>
/// Akka.Hosting wiring. <c>services.AddPraisonActors(o)</c> puts <see cref="BackgroundRunner"/> and
/// <see cref="IRecipeRunner"/> in DI; <c>builder.WithPraisonActors(o)</c> (local) or <c>WithPraisonCluster(o, c)</c>
/// (Praison.Actors.Cluster) creates the actor they talk to and registers it as <see cref="PraisonTasks"/>.
/// </summary>
public static class PraisonHostingExtensions
{
    /// <summary>Registers <see cref="BackgroundRunner"/> and <see cref="IRecipeRunner"/>, bound to the actor registered as <see cref="PraisonTasks"/>.</summary>
    public static IServiceCollection AddPraisonActors(this IServiceCollection services, PraisonActorsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Runner.Validate();
        services.AddSingleton(options);
        services.AddSingleton(sp => new BackgroundRunner(
            sp.GetRequiredService<ActorSystem>(), sp.GetRequiredService<IReadOnlyActorRegistry>().Get<PraisonTasks>(), options.Runner));
        services.AddSingleton<IRecipeRunner>(sp => sp.GetRequiredService<BackgroundRunner>());
        return services;
    }

    /// <summary>
    /// Local mode: the store's HOCON under the user's, then one TaskSupervisor (with the tasks the store holds)
    /// registered as <see cref="PraisonTasks"/>.
    /// </summary>
    public static AkkaConfigurationBuilder WithPraisonActors(this AkkaConfigurationBuilder builder, PraisonActorsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Runner.Validate();
        builder.AddHocon(PraisonRuntime.BuildConfig(options.Store), HoconAddMode.Append);
        builder.WithActors((system, registry) =>
        {
            // Start-up runs on the hosted service's thread, not in an actor: reading the store here is safe.
            options.Store.PrepareAsync().GetAwaiter().GetResult();
            var recovered = options.Runner.ExecuteTasks ? options.Store.ReadTasksAsync().GetAwaiter().GetResult() : null;
            registry.Register<PraisonTasks>(system.ActorOf(BackgroundRunner.SupervisorProps(options.Runner, recovered, options.Store), options.Runner.ActorName));
        });
        return builder;
    }
}
