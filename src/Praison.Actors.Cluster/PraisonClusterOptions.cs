namespace Praison.Actors.Cluster;

/// <summary>How a node joins a Praison.Actors cluster. Everything else (store, recipes, limits) is the same as local mode.</summary>
public sealed class PraisonClusterOptions
{
    /// <summary>
    /// The number of shards task ids are hashed into. About ten times the largest node count you will run;
    /// it is part of where every task lives, so it must never change for a store that holds tasks.
    /// </summary>
    public const int ShardCount = 100;

    /// <summary>The sharding type name; also part of the persistence ids of the sharding state. Never changes.</summary>
    public const string ShardTypeName = "praison-task";

    /// <summary>The address remoting binds to. Loopback unless you configure otherwise (then secure it: see the README).</summary>
    public string Hostname { get; init; } = "127.0.0.1";

    /// <summary>The address other nodes use to reach this one, when it differs from <see cref="Hostname"/> (NAT, containers).</summary>
    public string? PublicHostname { get; init; }

    /// <summary>The remoting port; 0 picks a free one (fine for nodes that are not seeds).</summary>
    public int Port { get; init; }

    /// <summary>Static seed nodes, e.g. <c>akka.tcp://praison-actors@127.0.0.1:4053</c>. A node listed first seeds a new cluster.</summary>
    public IReadOnlyList<string> SeedNodes { get; init; } = Array.Empty<string>();

    /// <summary>
    /// How this node finds the others when there are no static <see cref="SeedNodes"/>: Akka.Discovery (a fixed list of
    /// endpoints, or the Kubernetes API) supplies the seeds. Null: seeds, or a cluster of its own.
    /// </summary>
    public ClusterDiscovery? Discovery { get; init; }

    /// <summary>Cluster roles of this node. Tasks run on every node; roles are for your own use.</summary>
    public IReadOnlyList<string> Roles { get; init; } = Array.Empty<string>();

    /// <summary>
    /// The role of the nodes that may host the cluster's one scheduler (a cluster singleton: it runs on the oldest node
    /// with the role and moves when that node leaves or is downed). Null: any node. Nodes without the role still
    /// create, change and trigger schedules; their runners tell the scheduler through its proxy.
    /// </summary>
    public string? SchedulerRole { get; init; }

    /// <summary>Failure detection and downing; <see cref="ClusterTimings.Default"/> unless you tune it.</summary>
    public ClusterTimings Timings { get; init; } = ClusterTimings.Default;

    /// <summary>
    /// How often the cluster leader reads the store and wakes tasks that should be alive (unfinished ones whose
    /// node died, finished ones whose cleanup is due). It also does so whenever a member is removed.
    /// </summary>
    public TimeSpan StoreScanInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How often a client that waits for a task registers its wait again. A task's entity keeps its waiters in
    /// memory, so when the node holding it dies the wait would otherwise never be answered; registering again
    /// reaches the entity wherever it was restarted (the task keeps one waiter per client, so renewing adds none).
    /// </summary>
    public TimeSpan WaitRenewal { get; init; } = TimeSpan.FromSeconds(10);

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(Hostname)) throw new ArgumentException("Hostname must not be empty.", nameof(Hostname));
        if (Port is < 0 or > 65535) throw new ArgumentOutOfRangeException(nameof(Port), Port, "Port must be 0..65535.");
        if (WaitRenewal <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(WaitRenewal), WaitRenewal, "WaitRenewal must be positive.");
        if (StoreScanInterval <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(StoreScanInterval), StoreScanInterval, "StoreScanInterval must be positive.");
        if (SchedulerRole is { } role && string.IsNullOrWhiteSpace(role))
            throw new ArgumentException("SchedulerRole must not be blank (null lets any node host the scheduler).", nameof(SchedulerRole));
        if (Discovery is not null)
        {
            if (SeedNodes.Count > 0)
                throw new ArgumentException("Use either static seed nodes or discovery, not both.", nameof(Discovery));
            Discovery.Validate();
        }
        foreach (var seed in SeedNodes)
            if (!seed.StartsWith("akka.tcp://", StringComparison.Ordinal))
                throw new ArgumentException($"Seed node '{seed}' is not an akka.tcp:// address.", nameof(SeedNodes));
    }
}

/// <summary>
/// Failure detection and downing. A crashed node's tasks move after roughly
/// heartbeat pause (detection) + <see cref="StableAfter"/> (split-brain resolver decides) + <see cref="DownRemovalMargin"/>
/// (sharding waits before re-homing shards) + recovery.
/// </summary>
/// <param name="HeartbeatInterval">akka.cluster.failure-detector.heartbeat-interval.</param>
/// <param name="AcceptableHeartbeatPause">akka.cluster.failure-detector.acceptable-heartbeat-pause: silence tolerated before a node is unreachable.</param>
/// <param name="StableAfter">akka.cluster.split-brain-resolver.stable-after: how long membership must be stable before downing.</param>
/// <param name="DownRemovalMargin">akka.cluster.down-removal-margin: extra wait after downing before shards and singletons move.</param>
public sealed record ClusterTimings(TimeSpan HeartbeatInterval, TimeSpan AcceptableHeartbeatPause, TimeSpan StableAfter, TimeSpan DownRemovalMargin)
{
    /// <summary>Akka.NET's defaults (stable-after 20 s): a failover takes about 45–65 s. Safe over real networks.</summary>
    public static ClusterTimings Default { get; } = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(20));

    /// <summary>
    /// For nodes on one machine or one LAN (and the tests): a failover takes about 10 s. Long GC pauses or an
    /// overloaded host can make a healthy node look dead for 4 s, so do not use this across a WAN.
    /// </summary>
    public static ClusterTimings Fast { get; } = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(2));
}

/// <summary>
/// Seeds found through Akka.Discovery instead of listed: the nodes look the service up (a fixed list of endpoints, or
/// the pods of the service through the Kubernetes API), wait until at least <see cref="RequiredContactPoints"/> answer
/// to the lookup, and join them as seed nodes in one order every node computes alike (by address), so the first of
/// them forms the cluster when none exists yet and every later node joins the running one (Akka's seed-node process).
/// </summary>
public sealed record ClusterDiscovery
{
    /// <summary>Akka.Discovery's method name for a fixed list of endpoints.</summary>
    public const string ConfigMethod = "config";
    /// <summary>Akka.Discovery's method name for pods found through the Kubernetes API.</summary>
    public const string KubernetesMethod = "kubernetes-api";

    /// <summary><see cref="ConfigMethod"/> or <see cref="KubernetesMethod"/>.</summary>
    public required string Method { get; init; }

    /// <summary>The service the nodes are discovered as (config: the key of the endpoint list; Kubernetes: the pods' <c>app</c> label).</summary>
    public string ServiceName { get; init; } = "praison-actors";

    /// <summary>Config discovery: every node's remoting endpoint as host:port (this node's own included).</summary>
    public IReadOnlyList<string> Endpoints { get; init; } = Array.Empty<string>();

    /// <summary>How many nodes the lookup must return before this node joins (config default: every endpoint listed; Kubernetes: 2).</summary>
    public int? RequiredContactPoints { get; init; }

    /// <summary>Kubernetes: the label selector of the pods, {0} being <see cref="ServiceName"/>.</summary>
    public string PodLabelSelector { get; init; } = "app={0}";

    /// <summary>Kubernetes: the name of the container port of Akka remoting.</summary>
    public string PortName { get; init; } = "remoting";

    internal int ContactPoints => RequiredContactPoints ?? (Method == ConfigMethod ? Endpoints.Count : 2);

    internal void Validate()
    {
        if (Method is not (ConfigMethod or KubernetesMethod))
            throw new ArgumentException($"Discovery method '{Method}' is not supported: use '{ConfigMethod}' or '{KubernetesMethod}'.", nameof(Method));
        if (string.IsNullOrWhiteSpace(ServiceName)) throw new ArgumentException("The service name must not be empty.", nameof(ServiceName));
        if (Method == ConfigMethod && Endpoints.Count == 0)
            throw new ArgumentException("Config discovery needs every node's remoting endpoint (host:port).", nameof(Endpoints));
        foreach (var e in Endpoints)
            if (e.LastIndexOf(':') is var colon && (colon <= 0 || !int.TryParse(e[(colon + 1)..], out var p) || p is < 1 or > 65535))
                throw new ArgumentException($"Discovery endpoint '{e}' is not host:port.", nameof(Endpoints));
        if (ContactPoints < 1)
            throw new ArgumentOutOfRangeException(nameof(RequiredContactPoints), ContactPoints, "At least one contact point is required.");
    }
}
