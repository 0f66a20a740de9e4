using System.Diagnostics;
using Akka.Configuration;
using Npgsql;
using Praison.Actors.Benchmarks.Baselines;
using Praison.Actors.Benchmarks.Harness;
using Praison.Actors.ClusterTests.Support;

namespace Praison.Actors.Benchmarks.Scenarios;

/// <summary>
/// No-op recipe tasks/s through a cluster of 1, 2 and 3 nodes on loopback (ActorSystems in this process, sharded
/// TaskActors, the PostgreSQL journal), measured with the cluster tests' own helpers (<see cref="InProcessCluster"/>,
/// <see cref="ClusterThroughput"/>). Every node count gets a fresh database and a fresh cluster. All nodes share this
/// machine's cores, so more nodes add coordination, not CPU: the figures show the cost of routing through the shard
/// region, not scale-out. There is no cluster baseline, so the rows have no ratio. Skipped without PRAISON_TEST_POSTGRES.
/// </summary>
public sealed class ClusterScenario : Scenario
{
    public override string Name => "cluster";

    private const string Recipe = "noop";
    private const int MaxConcurrentPerNode = 64;
    private const int InFlight = 64;

    /// <summary>
    /// All nodes of this process share one Npgsql pool (one connection string); its default cap of 100 is above a
    /// default server's max_connections (100, minus reserved slots and other clients), and bursts of entity recoveries
    /// on 3 nodes exhausted it ("53300: remaining connection slots are reserved"). Separate node processes would each
    /// have their own pool; here one capped pool keeps the run within the server's limit.
    /// </summary>
    private const int MaxPoolSize = 40;

    private static readonly Config Quiet = ConfigurationFactory.ParseString("""
        akka.loglevel = WARNING
        akka.stdout-loglevel = WARNING
        """);

    public override async Task RunAsync(ScenarioResult result, HarnessOptions o, CancellationToken ct)
    {
        // --quick stays well under 25 s: fewer tasks, and 1 and 2 nodes only (each cluster start and leave costs seconds).
        int[] nodeCounts = o.Quick ? [1, 2] : [1, 2, 3];
        var n = o.Size(2_000, 200);
        var warmUp = o.Size(200, 50);
        result.Settings = $"N = {n:N0} no-op recipe tasks per run through clusters of {string.Join(", ", nodeCounts)} node(s) " +
                          "(ActorSystems in this process on loopback, PraisonCluster.StartAsync with ClusterTimings.Fast, sharded TaskActors, PostgreSQL journal); " +
                          $"submitted round-robin through every node's runner, at most {InFlight} tasks submitted-and-awaited at once, " +
                          $"MaxConcurrentTasks = {MaxConcurrentPerNode} per node, other options default, one Npgsql pool of at most {MaxPoolSize} connections for all nodes of the process; each node count on a fresh database and a fresh cluster, " +
                          $"warm-up of {warmUp} tasks (shards allocated, code jitted), then {o.Runs} runs on that cluster. " +
                          "All nodes share this machine's cores: more nodes add coordination, not CPU. No baseline (there is no cluster baseline).";

        if (o.PostgresConnectionString is null)
        {
            result.Skipped = "PRAISON_TEST_POSTGRES is not set: the cluster scenario needs the PostgreSQL journal every node shares";
            Progress($"skipped: {result.Skipped}");
            return;
        }
        var postgres = new NpgsqlConnectionStringBuilder(o.PostgresConnectionString) { MaxPoolSize = MaxPoolSize }.ToString();

        foreach (var nodes in nodeCounts)
        {
            var name = $"{nodes} node{(nodes == 1 ? "" : "s")}";
            var throughput = result.Figure(name, "throughput", "tasks/s");
            var startup = result.Figure(name, "cluster start", "s");

            // A fresh database per node count: no node count sees another's journal or sharding state.
            await using var store = await StoreUnderTest.CreateAsync(StoreKind.PostgreSql, postgres, ct);
            var started = Stopwatch.StartNew();
            var cluster = await InProcessCluster.StartAsync(store.Store, nodes,
                _ => new RecipeRegistry().Register($"name: {Recipe}\n", _ => Task.FromResult<object?>(null)),
                MaxConcurrentPerNode, Quiet).WaitAsync(ct);
            startup.Add(Side.Project, started.Elapsed.TotalSeconds);
            await using (cluster)
            {
                var runners = cluster.Nodes.Select(x => x.Runner).ToList();
                await ClusterThroughput.MeasureAsync(runners, Recipe, warmUp, InFlight).WaitAsync(ct);
                for (var run = 0; run < o.Runs; run++)
                {
                    Settle();
                    var r = await ClusterThroughput.MeasureAsync(runners, Recipe, n, InFlight).WaitAsync(ct);
                    throughput.Add(Side.Project, r.TasksPerSecond);
                }
            }
            Progress($"{name}: {Report.Num(throughput.Of(Side.Project)!.Median)} tasks/s (cluster start {startup.Of(Side.Project)!.Median:0.0} s)");
        }
    }
}
