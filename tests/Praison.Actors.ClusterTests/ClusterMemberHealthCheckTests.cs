using Akka.Cluster;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Praison.Actors.Cluster;
using Praison.Actors.TestSupport;
using Praison.Actors.IntegrationTests.Support;
using Xunit;

namespace Praison.Actors.ClusterTests;

/// <summary>
/// <see cref="ClusterMemberHealthCheck"/>: ready only while this node is Up. The status rules with a fake status, then
/// a real node (one in-process cluster on SQLite): ready once it has joined, not ready once it leaves.
/// </summary>
public sealed class ClusterMemberHealthCheckTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    private static Task<HealthCheckResult> CheckAsync(IHealthCheck check) => check.CheckHealthAsync(new HealthCheckContext
    {
        Registration = new HealthCheckRegistration("cluster-member", check, null, ["ready"]),
    });

    [Fact]
    public async Task Not_ready_until_Up_ready_while_Up_and_not_ready_again_when_leaving_or_gone()
    {
        MemberStatus? status = MemberStatus.Joining;
        var check = new ClusterMemberHealthCheck(() => status);

        var joining = await CheckAsync(check);
        Assert.Equal(HealthStatus.Unhealthy, joining.Status);
        Assert.Contains("Joining", joining.Description);

        status = MemberStatus.Up; // recovers
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync(check)).Status);

        foreach (var s in new[] { MemberStatus.WeaklyUp, MemberStatus.Leaving, MemberStatus.Exiting, MemberStatus.Down, MemberStatus.Removed })
        {
            status = s;
            var result = await CheckAsync(check);
            Assert.Equal(HealthStatus.Unhealthy, result.Status);
            Assert.Contains(s.ToString(), result.Description);
        }
        status = null;
        Assert.Contains("shut down", (await CheckAsync(check)).Description);
    }

    [Fact]
    public async Task A_real_node_is_ready_once_up_and_not_ready_once_it_leaves()
    {
        await using var dir = new SqliteTestStore();
        await using var cluster = await InProcessCluster.StartAsync(dir.Store, 1, _ => new RecipeRegistry(), 1);
        var node = cluster.Nodes[0];
        var check = new ClusterMemberHealthCheck(node.System);

        // StartAsync returns once the node is Up; the cluster's state view the check reads may follow a moment later.
        await Eventually.UntilAsync(() => CheckAsync(check), r => r.Status == HealthStatus.Healthy, Long, "the node reads as Up");

        var self = Akka.Cluster.Cluster.Get(node.System);
        await self.LeaveAsync(new CancellationTokenSource(Long).Token);
        var after = await CheckAsync(check);
        Assert.Equal(HealthStatus.Unhealthy, after.Status);
    }
}
