using System.Globalization;
using Akka.Configuration;
using Praison.Actors.Persistence;

namespace Praison.Actors.Cluster;

/// <summary>
/// The HOCON that turns a node clustered: remoting, seeds, keep-majority split-brain resolver, and sharding whose
/// coordinator keeps its state in its own SQL tables (sharding_journal, sharding_snapshot) next to the task journal.
/// HOCON because PraisonCluster.StartAsync has no Akka.Hosting builder; WithPraisonCluster uses Akka.Cluster.Hosting's
/// builders instead and takes only <see cref="ShardingPersistence"/> from here.
/// </summary>
public static class ClusterHocon
{
    /// <summary>The journal plugin id of the sharding coordinator's own state (kept apart from the task journal).</summary>
    public const string ShardingJournalId = "akka.persistence.journal.praison-sharding";
    /// <summary>The snapshot plugin id of the sharding coordinator's own state.</summary>
    public const string ShardingSnapshotId = "akka.persistence.snapshot-store.praison-sharding";

    /// <summary>Cluster, sharding and the sharding tables for <paramref name="store"/>, to put over <see cref="PraisonRuntime.BuildConfig"/>.</summary>
    public static Config Build(PraisonClusterOptions options, TaskStore store) =>
        ClusterOnly(options).WithFallback(Discovery(options)).WithFallback(ShardingPersistence(store));

    /// <summary>
    /// Akka.Discovery's method and what it looks up (empty without <see cref="PraisonClusterOptions.Discovery"/>): the
    /// endpoint list of the service (config), or the pods' label selector with raw pod IPs (Kubernetes), so the seed
    /// addresses match the addresses the nodes advertise.
    /// </summary>
    public static Config Discovery(PraisonClusterOptions options)
    {
        if (options.Discovery is not { } d) return Config.Empty;
        string Q(string s) => PraisonHocon.Quote(s);
        var kubernetes = d.Method == ClusterDiscovery.KubernetesMethod;
        var lookup = kubernetes
            ? $"kubernetes-api {{ pod-label-selector = {Q(d.PodLabelSelector)}, use-raw-ip = true }}"
            : $"config.services.{Q(d.ServiceName)}.endpoints = [{string.Join(", ", d.Endpoints.Select(Q))}]";
        var config = ConfigurationFactory.ParseString($$"""
            akka.discovery {
              method = {{Q(d.Method)}}
              {{lookup}}
            }
            """);
        return kubernetes ? config.WithFallback(Akka.Discovery.KubernetesApi.KubernetesDiscovery.DefaultConfiguration()) : config;
    }

    /// <summary>The sharding journal and snapshot store: Akka.Persistence.Sql on the task store's database, in their own tables.</summary>
    public static Config ShardingPersistence(TaskStore store)
    {
        if (!store.IsDurable)
            throw new ArgumentException(
                $"A cluster needs a durable store every node shares (PostgreSQL, or one SQLite file for nodes in one machine); got the {store.Describe()}.",
                nameof(store));
        var persistence = store.ToConfig();
        var journal = persistence.GetConfig("akka.persistence.journal.sql");
        var snapshots = persistence.GetConfig("akka.persistence.snapshot-store.sql");
        string Q(string s) => PraisonHocon.Quote(s);
        return ConfigurationFactory.ParseString($$"""
            akka.persistence {
              journal.praison-sharding {
                class = "Akka.Persistence.Sql.Journal.SqlWriteJournal, Akka.Persistence.Sql"
                plugin-dispatcher = "akka.persistence.dispatchers.default-plugin-dispatcher"
                connection-string = {{Q(journal.GetString("connection-string"))}}
                provider-name = {{Q(journal.GetString("provider-name"))}}
                table-mapping = default
                auto-initialize = true
                default {
                  journal.table-name = "sharding_journal"
                  metadata.table-name = "sharding_journal_metadata"
                  tag.table-name = "sharding_tags"
                }
              }
              snapshot-store.praison-sharding {
                class = "Akka.Persistence.Sql.Snapshot.SqlSnapshotStore, Akka.Persistence.Sql"
                plugin-dispatcher = "akka.persistence.dispatchers.default-plugin-dispatcher"
                connection-string = {{Q(snapshots.GetString("connection-string"))}}
                provider-name = {{Q(snapshots.GetString("provider-name"))}}
                table-mapping = default
                auto-initialize = true
                default.snapshot.table-name = "sharding_snapshot"
              }
            }
            """);
    }

    /// <summary>Remoting, seeds, downing and sharding settings.</summary>
    public static Config ClusterOnly(PraisonClusterOptions options)
    {
        options.Validate();
        string Q(string s) => PraisonHocon.Quote(s);
        string D(TimeSpan t) => ((long)t.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) + "ms";
        var t = options.Timings;
        var hocon = $$"""
            akka {
              actor.provider = cluster
              remote.dot-netty.tcp {
                hostname = {{Q(options.Hostname)}}
                {{(options.PublicHostname is { } ph ? "public-hostname = " + Q(ph) : "")}}
                port = {{options.Port}}
              }
              cluster {
                seed-nodes = [{{string.Join(", ", options.SeedNodes.Select(Q))}}]
                roles = [{{string.Join(", ", options.Roles.Select(Q))}}]
                downing-provider-class = "Akka.Cluster.SBR.SplitBrainResolverProvider, Akka.Cluster"
                split-brain-resolver {
                  active-strategy = keep-majority
                  stable-after = {{D(t.StableAfter)}}
                  down-all-when-unstable = on
                }
                down-removal-margin = {{D(t.DownRemovalMargin)}}
                failure-detector {
                  heartbeat-interval = {{D(t.HeartbeatInterval)}}
                  acceptable-heartbeat-pause = {{D(t.AcceptableHeartbeatPause)}}
                }
                sharding {
                  state-store-mode = persistence
                  # No remember-entities: it wrote sharding_journal rows per task before the shard delivered CreateTask.
                  # The task table knows which tasks are unfinished; TaskStoreSweeper wakes them after a removal, a
                  # hand-off or a whole-cluster restart.
                  remember-entities = off
                  # How soon a region asks the coordinator again for a shard whose home was on a removed node (and
                  # registers again): the default 2 s was a large part of a failover.
                  retry-interval = 500ms
                  journal-plugin-id = {{Q(ShardingJournalId)}}
                  snapshot-plugin-id = {{Q(ShardingSnapshotId)}}
                  # Tasks decide when they are idle (finished and unwatched) on their own explicit timer, never ReceiveTimeout
                  # (that is the deadline alone); a running or queued task must never be passivated by the shard.
                  passivate-idle-entity-after = off
                }
              }
            }
            """;
        return ConfigurationFactory.ParseString(hocon);
    }
}
