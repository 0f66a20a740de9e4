using Praison.Actors.Benchmarks.Harness;

namespace Praison.Actors.Benchmarks.Scenarios;

/// <summary>
/// PLACEHOLDER. Tasks/s on 1, 2 and 3 nodes on loopback (issue 6) needs the cluster deployment
/// (src/Praison.Actors.Cluster), which does not exist yet. Until it does this prints "not available yet"
/// and no figure, never an estimate.
/// </summary>
public sealed class ClusterScenario : Scenario
{
    public override string Name => "cluster";

    public override Task RunAsync(ScenarioResult result, HarnessOptions options, CancellationToken ct)
    {
        result.Settings = "tasks/s on 1, 2 and 3 nodes on loopback (PostgreSQL journal, sharded TaskActors).";
        result.Skipped = "not available yet: the cluster deployment does not exist in this build";
        return Task.CompletedTask;
    }
}
