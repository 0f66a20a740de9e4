using System.Globalization;
using Akka.Cluster.Hosting;
using Akka.Cluster.Hosting.SBR;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Configuration;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Praison.Actors.Hosting;
using Praison.Actors.Persistence;
using Praison.Actors.Tasks;

namespace Praison.Actors.Cluster;

/// <summary>Akka.Hosting: <c>builder.WithPraisonCluster(options, cluster)</c> in place of <c>WithPraisonActors(options)</c>.</summary>
public static class AkkaHostingExtensions
{
    /// <summary>
    /// Clustered mode, with no change to client code: the same <see cref="PraisonTasks"/> registry key and the same
    /// DI services (<c>services.AddPraisonActors(options)</c>), but handles route through the shard region and their
    /// waits are renewed (<see cref="PraisonClusterOptions.WaitRenewal"/>). Remoting, clustering and the shard region
    /// come from Akka.Cluster.Hosting; the start-up steps are <see cref="PraisonCluster.StartAsync"/>'s: the schema is
    /// prepared before the region's persistence is used, and the node joins its seeds last.
    /// </summary>
    public static AkkaConfigurationBuilder WithPraisonCluster(this AkkaConfigurationBuilder builder, PraisonActorsOptions options,
        PraisonClusterOptions cluster)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(cluster);
        PraisonCluster.Validate(options.Runner, cluster);
        var store = options.Store;
        builder.AddHocon(HostingConfig(cluster, store), HoconAddMode.Append);
        builder.WithPraisonSerializer();
        builder.WithRemoting(new RemoteOptions { HostName = cluster.Hostname, Port = cluster.Port, PublicHostName = cluster.PublicHostname });
        builder.WithClustering(new ClusterOptions
        {
            // No SeedNodes here: joining starts the shard coordinator, so the node joins (JoinAsync) once the schema exists.
            Roles = cluster.Roles.ToArray(),
            SplitBrainResolver = new KeepMajorityOption(),
            FailureDetector = new PhiAccrualFailureDetectorOptions
            {
                HeartbeatInterval = cluster.Timings.HeartbeatInterval,
                AcceptableHeartbeatPause = cluster.Timings.AcceptableHeartbeatPause,
            },
        });
        builder.WithActors(new ActorStarter(async (system, _) =>
        {
            await PraisonCluster.PrepareSchemaAsync(store, options.StartupTimeout).ConfigureAwait(false);
            await NodeComposer.ProbeJournalAsync(system, store, options.StartupTimeout, CancellationToken.None).ConfigureAwait(false);
        }));
        builder.WithShardRegion<PraisonTaskRegion>(PraisonClusterOptions.ShardTypeName, (system, registry, _) =>
        {
            var (entity, supervisor) = PraisonCluster.EntityProps(system, store, options.Runner);
            registry.Register<PraisonNodeSupervisor>(supervisor);
            return entity;
        }, new TaskMessageExtractor(), ShardOptions);
        builder.WithActors(new ActorStarter(async (system, registry) =>
        {
            var region = await registry.GetAsync<PraisonTaskRegion>().ConfigureAwait(false);
            var node = PraisonCluster.Complete(system, store, options.Runner, cluster, region, registry.Get<PraisonNodeSupervisor>());
            registry.Register<PraisonTasks>(node.Runner.Router);
            await PraisonCluster.JoinAsync(system, cluster, options.StartupTimeout, CancellationToken.None).ConfigureAwait(false);
            await PraisonCluster.ApplyRecipeSchedulesAsync(node, CancellationToken.None).ConfigureAwait(false); // TEMPLATE.yaml runtime.schedule
        }));
        return builder;
    }

    /// <summary>
    /// Registers <see cref="IClusterInfo"/> (members and tasks per node, for the dashboard's cluster page) for a node
    /// started with <see cref="WithPraisonCluster"/>; resolved once the node's actors have started.
    /// </summary>
    public static IServiceCollection AddPraisonClusterInfo(this IServiceCollection services) =>
        services.AddSingleton<IClusterInfo>(sp =>
        {
            var system = sp.GetRequiredService<ActorSystem>();
            var registry = ActorRegistry.For(system);
            return new PraisonClusterInfo(system, registry.Get<PraisonTaskRegion>(), registry.Get<PraisonNodeSupervisor>());
        });

    /// <summary>The sharding settings ClusterHocon writes for the other start-up path, as Akka.Cluster.Hosting options.</summary>
    private static ShardOptions ShardOptions => new()
    {
        StateStoreMode = StateStoreMode.Persistence,
        RememberEntities = false, // TaskStoreSweeper wakes unfinished tasks (see ClusterHocon)
        JournalPluginId = ClusterHocon.ShardingJournalId,
        SnapshotPluginId = ClusterHocon.ShardingSnapshotId,
        // Tasks decide when they are idle (finished and unwatched), never a timer.
        ShouldPassivateIdleEntities = false,
    };

    /// <summary>
    /// What the builders have no option for, as HOCON: the store and the sharding tables, the split-brain resolver's
    /// stable-after and down-all-when-unstable, down-removal-margin, and the node's wait renewal.
    /// </summary>
    private static Config HostingConfig(PraisonClusterOptions cluster, TaskStore store)
    {
        string D(TimeSpan t) => ((long)t.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) + "ms";
        var t = cluster.Timings;
        return ConfigurationFactory.ParseString($$"""
                akka.cluster {
                  split-brain-resolver {
                    stable-after = {{D(t.StableAfter)}}
                    down-all-when-unstable = on
                  }
                  down-removal-margin = {{D(t.DownRemovalMargin)}}
                  sharding.retry-interval = 500ms # as ClusterHocon: a shard of a removed node is asked for again soon
                }
                """)
            .WithFallback(PraisonCluster.NodeSettings(cluster))
            .WithFallback(ClusterHocon.Discovery(cluster))
            .WithFallback(ClusterHocon.ShardingPersistence(store))
            .WithFallback(store.ToConfig())
            .WithFallback(TaskMailbox.Definition);
    }
}

/// <summary>The registry key of the shard region of task entities.</summary>
internal sealed class PraisonTaskRegion;

/// <summary>The registry key of this node's supervisor (concurrency on this node).</summary>
internal sealed class PraisonNodeSupervisor;
