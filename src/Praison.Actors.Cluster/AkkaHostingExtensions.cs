using Akka.Hosting;
using Praison.Actors.Hosting;

namespace Praison.Actors.Cluster;

/// <summary>Akka.Hosting: <c>builder.WithPraisonCluster(options, cluster)</c> in place of <c>WithPraisonActors(options)</c>.</summary>
public static class AkkaHostingExtensions
{
    /// <summary>
    /// Clustered mode, with no change to client code: the same <see cref="PraisonTasks"/> registry key and the same
    /// DI services (<c>services.AddPraisonActors(options)</c>), but handles route through the shard region.
    /// </summary>
    public static AkkaConfigurationBuilder WithPraisonCluster(this AkkaConfigurationBuilder builder, PraisonActorsOptions options,
        PraisonClusterOptions cluster)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(cluster);
        builder.AddHocon(PraisonCluster.BuildConfig(cluster, options.Store), HoconAddMode.Append);
        builder.WithActors((system, registry) =>
        {
            // Start-up runs on the hosted service's thread, not in an actor: blocking on the schema here is safe.
            PraisonCluster.PrepareSchemaAsync(options.Store, TimeSpan.FromSeconds(60)).GetAwaiter().GetResult();
            var node = PraisonCluster.Start(system, options.Store, options.Runner, cluster);
            registry.Register<PraisonTasks>(node.Runner.Router);
            var self = Akka.Cluster.Cluster.Get(system);
            if (cluster.SeedNodes.Count == 0) self.Join(self.SelfAddress);
        });
        return builder;
    }
}
