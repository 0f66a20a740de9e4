using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Configuration;
using Npgsql;
using Praison.Actors.Persistence;
using Praison.Actors.Tasks;
using Praison.Actors.Webhooks;

namespace Praison.Actors.Cluster;

/// <summary>Options for <see cref="PraisonCluster.StartAsync"/>: a local runtime's options plus how to join the cluster.</summary>
public sealed class PraisonClusterNodeOptions
{
    /// <summary>The store every node shares: PostgreSQL, or one SQLite file for nodes on one machine.</summary>
    public required TaskStore Store { get; init; }

    /// <summary>Concurrency, timeouts and recipes of this node's runner.</summary>
    public BackgroundRunnerOptions Runner { get; init; } = new();

    /// <summary>How this node joins the cluster (seeds, roles, ports).</summary>
    public PraisonClusterOptions Cluster { get; init; } = new();

    /// <summary>The user's own HOCON; the cluster and store configuration are the fallback under it.</summary>
    public Config? Config { get; init; }

    /// <summary>Every node of one cluster must use the same name (it is part of the seed addresses).</summary>
    public string SystemName { get; init; } = "praison-actors";

    /// <summary>How long the store may take to answer and this node to join before the start fails.</summary>
    public TimeSpan StartupTimeout { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>
/// Clustered Praison.Actors without Akka.Hosting (the CLI's <c>serve --cluster</c>, tests with several nodes in one
/// process). Client code is unchanged: <see cref="PraisonClusterNode.Runner"/> is an ordinary
/// <see cref="BackgroundRunner"/> whose handles route through the shard region.
/// </summary>
public static class PraisonCluster
{
    /// <summary>The user's config over the cluster's, the store's and the serializer's.</summary>
    public static Config BuildConfig(PraisonClusterOptions cluster, TaskStore store, Config? user = null) =>
        (user ?? Config.Empty)
            .WithFallback(NodeSettings(cluster))
            .WithFallback(ClusterHocon.Build(cluster, store))
            .WithFallback(PraisonRuntime.BuildConfig(store));

    /// <summary>Praison's own per-node settings, read back from the ActorSystem by a runner built from it (DI's).</summary>
    internal static Config NodeSettings(PraisonClusterOptions cluster) =>
        ConfigurationFactory.ParseString(
            $"{NodeComposer.WaitRenewalKey} = {((long)cluster.WaitRenewal.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture)}ms");

    /// <summary>
    /// Prepares the store and creates every table (tasks and sharding state) once, under a PostgreSQL advisory lock,
    /// so nodes starting together do not race on auto-initialization (duplicate key errors on an empty database).
    /// </summary>
    public static async Task PrepareSchemaAsync(TaskStore store, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        await NodeComposer.PrepareStoreAsync(store, cancellationToken).ConfigureAwait(false);
        await using var gate = await SchemaLock.AcquireAsync(store, timeout, cancellationToken).ConfigureAwait(false);
        if (gate.SchemaExists) return; // another node created it: no need for a throw-away ActorSystem
        var config = ClusterHocon.ShardingPersistence(store).WithFallback(PraisonRuntime.BuildConfig(store));
        var system = ActorSystem.Create("praison-schema", config);
        try
        {
            foreach (var (journal, snapshots) in new[] { ((string?)null, (string?)null), (ClusterHocon.ShardingJournalId, ClusterHocon.ShardingSnapshotId) })
            {
                var reply = await system.ActorOf(Props.Create(() => new ProbeParent(journal, snapshots)))
                    .Ask<object>(ProbeParent.Go, timeout, cancellationToken).ConfigureAwait(false);
                if (reply is Status.Failure f)
                    throw new TaskStoreException(store.Describe(), $"the {(journal is null ? "task" : "sharding")} journal failed to start: {f.Cause.GetBaseException().Message}", f.Cause);
            }
        }
        catch (AskTimeoutException)
        {
            throw new TaskStoreException(store.Describe(), $"the journal did not answer within {timeout.TotalSeconds:0} s");
        }
        finally
        {
            await system.Terminate().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Starts a cluster node: prepares the schema, starts the ActorSystem, checks its journal answers, starts sharding
    /// and this node's supervisor, joins, and returns once the node is Up. With no seed nodes configured it forms a cluster of its own.
    /// </summary>
    public static async Task<PraisonClusterNode> StartAsync(PraisonClusterNodeOptions options, CancellationToken cancellationToken = default)
    {
        Validate(options.Runner, options.Cluster);
        await PrepareSchemaAsync(options.Store, options.StartupTimeout, cancellationToken).ConfigureAwait(false);
        var system = ActorSystem.Create(options.SystemName,
            LoggerFactorySetup.For(BuildConfig(options.Cluster, options.Store, options.Config), options.Runner.LoggerFactory));
        try
        {
            await NodeComposer.ProbeJournalAsync(system, options.Store, options.StartupTimeout, cancellationToken).ConfigureAwait(false);
            var node = Start(system, options.Store, options.Runner, options.Cluster);
            await JoinAsync(system, options.Cluster, options.StartupTimeout, cancellationToken).ConfigureAwait(false);
            await ApplyRecipeSchedulesAsync(node, cancellationToken).ConfigureAwait(false);
            return node;
        }
        catch
        {
            await system.Terminate().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Starts the Praison.Actors cluster pieces in an ActorSystem already configured with <see cref="BuildConfig"/>:
    /// this node's supervisor, the shard region of task entities, the router every handle asks, and the sweeper that
    /// wakes tasks after a node is lost. The node joins when told to (<see cref="StartAsync"/> does).
    /// </summary>
    public static PraisonClusterNode Start(ActorSystem system, TaskStore store, BackgroundRunnerOptions runner, PraisonClusterOptions cluster)
    {
        Validate(runner, cluster);
        var (entity, supervisor) = EntityProps(system, store, runner);
        var region = ClusterSharding.Get(system).Start(PraisonClusterOptions.ShardTypeName, entity,
            ClusterShardingSettings.Create(system), new TaskMessageExtractor());
        return Complete(system, store, runner, cluster, region, supervisor);
    }

    internal static void Validate(BackgroundRunnerOptions runner, PraisonClusterOptions cluster)
    {
        runner.Validate();
        cluster.Validate();
        if (!runner.ExecuteTasks)
            throw new ArgumentException("ExecuteTasks = false is for a process next to a local host; every cluster node executes tasks.", nameof(runner));
    }

    /// <summary>
    /// The shard entity of one task, with the node-local actors it needs (this node's supervisor for concurrency, the
    /// journal writer): the one place a task entity is built, for both start-up paths.
    /// </summary>
    internal static (Func<string, Props> Entity, IActorRef Supervisor) EntityProps(ActorSystem system, TaskStore store, BackgroundRunnerOptions runner)
    {
        TaskMailbox.EnsureDefined(system);
        var supervisor = system.ActorOf(NodeTaskSupervisor.Props(runner.MaxConcurrentTasks, runner.MaxQueued), runner.ActorName + "-node");
        var sqlWriter = BackgroundRunner.SqlWriter(runner.JournalPluginId, store);
        var journal = system.ActorOf(TaskJournal.Props(runner.JournalPluginId, sql: sqlWriter), runner.ActorName + "-journal");
        // Webhooks of the tasks finishing on this node; deliveries left pending by a stopped node are not resumed (yet).
        var webhooks = system.ActorOf(WebhookDispatcher.Props(runner.Webhooks, BackgroundRunner.SqlWriter(runner.JournalPluginId, store), resume: false),
            runner.ActorName + "-webhooks");
        var settings = new TaskActorSettings(runner.Recipes, runner.MaxPayloadBytes, runner.JournalPluginId,
            Executes: true, runner.PassivateFinishedAfter, supervisor,
            ShardPassivateMessage: new Passivate(PoisonPill.Instance), Journal: journal, Webhooks: webhooks,
            JournalClaimsIds: sqlWriter is not null, // a new task's entity stores its submission without replaying first
            SupervisorAdmits: true);                 // MaxQueued per node: the entity asks for room before it stores
        return (id => TaskEntity.Props(id, settings), supervisor);
    }

    /// <summary>Around a started shard region: the router every handle asks, the store sweeper, the scheduler singleton, and the runner.</summary>
    internal static PraisonClusterNode Complete(ActorSystem system, TaskStore store, BackgroundRunnerOptions runner, PraisonClusterOptions cluster,
        IActorRef region, IActorRef supervisor)
    {
        var hasTable = BackgroundRunner.SqlWriter(runner.JournalPluginId, store) is not null;
        var router = system.ActorOf(ClusterTaskRouter.Props(region, store, hasTable, supervisor), runner.ActorName);
        system.ActorOf(TaskStoreSweeper.Props(region, store, cluster.StoreScanInterval, hasTable), runner.ActorName + "-sweeper");
        // One scheduler per cluster (a singleton); the runner's schedules live in the shared store's table.
        ClusterScheduler.Use(system, cluster);
        var node = new PraisonClusterNode(system, new BackgroundRunner(system, router, runner, store) { WaitRenewal = cluster.WaitRenewal }, store, region, supervisor);
        _ = node.Runner.Schedules; // starts this node's singleton manager and proxy, so the scheduler runs from the start
        return node;
    }

    /// <summary>
    /// TEMPLATE.yaml <c>runtime.schedule</c> of the node's recipes, through the local hosts' path
    /// (<see cref="Scheduling.RecipeSchedules.ApplyOnStartAsync"/>), once the node is Up (a <c>run_immediately</c> run is
    /// submitted through the shard region). Nodes starting together on one store create each schedule once.
    /// </summary>
    internal static async Task ApplyRecipeSchedulesAsync(PraisonClusterNode node, CancellationToken cancellationToken) =>
        node.RecipeScheduleChanges = await Scheduling.RecipeSchedules.ApplyOnStartAsync(node.Runner, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Joins and waits until this node is Up. Seeds in the config (<see cref="BuildConfig"/>'s) are joined by the
    /// cluster itself at start; the Akka.Hosting path configures none, so the seeds are joined here, after the
    /// schema exists. Without any seeds the node forms a cluster of its own.
    /// </summary>
    internal static async Task JoinAsync(ActorSystem system, PraisonClusterOptions cluster, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var self = Akka.Cluster.Cluster.Get(system);
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        self.RegisterOnMemberUp(() => up.TrySetResult());
        if (cluster.Discovery is { } discovery)
            self.JoinSeedNodes(await DiscoverSeedsAsync(system, discovery, timeout, cancellationToken).ConfigureAwait(false));
        else if (cluster.SeedNodes.Count == 0) self.Join(self.SelfAddress);
        else if (self.Settings.SeedNodes.Count == 0) self.JoinSeedNodes(cluster.SeedNodes.Select(Address.Parse));
        try
        {
            await up.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException(cluster.Discovery is { } d
                ? $"The node {self.SelfAddress} did not join the cluster (discovery: {d.Method}, service {d.ServiceName}) within {timeout.TotalSeconds:0} s."
                : $"The node {self.SelfAddress} did not join the cluster (seeds: {string.Join(", ", cluster.SeedNodes)}) within {timeout.TotalSeconds:0} s.");
        }
    }

    /// <summary>
    /// The nodes of the service as seed addresses, once the lookup returns at least the required number, sorted so that
    /// every node computes the same first seed (the one that forms a new cluster; the others join it, or all join the
    /// running cluster any of them belongs to).
    /// </summary>
    private static async Task<IReadOnlyList<Address>> DiscoverSeedsAsync(ActorSystem system, ClusterDiscovery d, TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        var self = Akka.Cluster.Cluster.Get(system).SelfAddress;
        var lookup = d.Method == ClusterDiscovery.KubernetesMethod ? new Akka.Discovery.Lookup(d.ServiceName, d.PortName, "tcp") : new Akka.Discovery.Lookup(d.ServiceName);
        var service = Akka.Discovery.Discovery.Get(system).Default;
        var deadline = DateTimeOffset.UtcNow + timeout;
        var found = 0;
        while (DateTimeOffset.UtcNow < deadline)
        {
            var resolved = await service.Lookup(lookup, TimeSpan.FromSeconds(10)).WaitAsync(cancellationToken).ConfigureAwait(false);
            var seeds = resolved.Addresses.Where(t => t.Port is not null)
                .Select(t => new Address(self.Protocol, self.System, t.Address?.ToString() ?? t.Host, t.Port))
                .Distinct().OrderBy(a => a.Host, StringComparer.Ordinal).ThenBy(a => a.Port).ToList();
            found = seeds.Count;
            if (found >= d.ContactPoints) return seeds;
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
        }
        throw new TimeoutException(
            $"Discovery ({d.Method}, service {d.ServiceName}) found {found} node(s), fewer than the {d.ContactPoints} required, within {timeout.TotalSeconds:0} s.");
    }

    /// <summary>Asks the journal probe and waits for its answer.</summary>
    private sealed class ProbeParent(string? journal, string? snapshots) : UntypedActor
    {
        public static readonly object Go = "go";
        private IActorRef? _asker;

        protected override void OnReceive(object message)
        {
            if (ReferenceEquals(message, Go))
            {
                _asker = Sender;
                Context.ActorOf(JournalProbeActor.Props(Self, journal, snapshots));
                return;
            }
            _asker?.Tell(message);
            Context.Stop(Self);
        }
    }

    /// <summary>A session-level PostgreSQL advisory lock held while the schema is created; nothing for SQLite.</summary>
    private sealed class SchemaLock : IAsyncDisposable
    {
        private const long Key = 0x7072_6169_736f_6e; // "praison"
        private static readonly string[] Tables = { "journal", "snapshot", "sharding_journal", "sharding_snapshot" };
        private readonly NpgsqlConnection? _connection;

        private SchemaLock(NpgsqlConnection? connection, bool schemaExists)
        {
            _connection = connection;
            SchemaExists = schemaExists;
        }

        /// <summary>Every table is there already (PostgreSQL only; SQLite files are always probed).</summary>
        public bool SchemaExists { get; }

        public static async Task<SchemaLock> AcquireAsync(TaskStore store, TimeSpan timeout, CancellationToken cancellationToken)
        {
            if (store is not TaskStore.PostgreSqlStore pg) return new SchemaLock(null, false);
            // Unpooled: a pooled connection would keep the session, and so the lock, after Dispose.
            var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(pg.ConnectionString) { Pooling = false }.ToString());
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            // Waiting for the lock may take as long as another node's whole schema preparation.
            await using (var command = new NpgsqlCommand($"SELECT pg_advisory_lock({Key})", connection) { CommandTimeout = (int)Math.Ceiling(timeout.TotalSeconds) })
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await using var check = new NpgsqlCommand(
                "SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = ANY(@t)", connection);
            check.Parameters.AddWithValue("t", Tables);
            var found = Convert.ToInt32(await check.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false));
            return new SchemaLock(connection, found == Tables.Length);
        }

        public async ValueTask DisposeAsync()
        {
            if (_connection is null) return;
            await _connection.DisposeAsync().ConfigureAwait(false); // closing the session releases the lock
        }
    }
}

/// <summary>A running cluster node: its ActorSystem and a <see cref="BackgroundRunner"/> that routes through the shard region.</summary>
public sealed class PraisonClusterNode : IAsyncDisposable
{
    internal PraisonClusterNode(ActorSystem system, BackgroundRunner runner, TaskStore store, IActorRef region, IActorRef supervisor)
    {
        System = system;
        Runner = runner;
        Store = store;
        Region = region;
        Supervisor = supervisor;
    }

    /// <summary>The node's actor system.</summary>
    public ActorSystem System { get; }
    /// <summary>The runner to submit and query tasks with; tasks are routed to their shard.</summary>
    public BackgroundRunner Runner { get; }
    /// <summary>The store every node shares.</summary>
    public TaskStore Store { get; }

    /// <summary>The shard region of task entities.</summary>
    public IActorRef Region { get; }

    /// <summary>This node's supervisor (concurrency on this node).</summary>
    internal IActorRef Supervisor { get; }

    /// <summary>What the start did to the recipes' <c>runtime.schedule</c> schedules, one line each (<c>serve --cluster</c> prints them).</summary>
    internal IReadOnlyList<string> RecipeScheduleChanges { get; set; } = [];

    /// <summary>This node's address, e.g. akka.tcp://praison-actors@127.0.0.1:4053 (a seed for others).</summary>
    public string Address => Akka.Cluster.Cluster.Get(System).SelfAddress.ToString();

    /// <summary>Leaves the cluster gracefully: shards hand off to the other nodes, running tasks there are treated as after a restart.</summary>
    public async ValueTask DisposeAsync() =>
        await CoordinatedShutdown.Get(System).Run(CoordinatedShutdown.ClrExitReason.Instance).ConfigureAwait(false);
}
