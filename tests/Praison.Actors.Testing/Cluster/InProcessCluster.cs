using Akka.Configuration;
using Praison.Actors.Cluster;
using Praison.Actors.Persistence;

namespace Praison.Actors.TestSupport;

/// <summary>Several cluster nodes (ActorSystems) in this process on loopback ports, sharing one store.</summary>
public sealed class InProcessCluster : IAsyncDisposable
{
    private InProcessCluster(IReadOnlyList<PraisonClusterNode> nodes) => Nodes = nodes;

    public IReadOnlyList<PraisonClusterNode> Nodes { get; }

    /// <summary>
    /// Starts <paramref name="count"/> nodes one after another (the first seeds the cluster); each gets the
    /// recipes <paramref name="recipesFor"/> returns for its index.
    /// </summary>
    public static async Task<InProcessCluster> StartAsync(TaskStore store, int count, Func<int, RecipeRegistry> recipesFor,
        int maxConcurrent, Config? config = null, int maxQueued = BackgroundRunnerOptions.DefaultMaxQueued)
    {
        var nodes = new List<PraisonClusterNode>();
        try
        {
            string? seed = null;
            for (var i = 0; i < count; i++)
            {
                var port = FreePort.Next();
                seed ??= $"akka.tcp://praison-actors@127.0.0.1:{port}";
                nodes.Add(await PraisonCluster.StartAsync(new PraisonClusterNodeOptions
                {
                    Store = store,
                    Config = config,
                    Runner = new BackgroundRunnerOptions
                    {
                        Recipes = recipesFor(i), MaxConcurrentTasks = maxConcurrent, MaxQueued = maxQueued,
                        Webhooks = new WebhookOptions { AllowPrivateNetworks = true }, // webhook tests receive on loopback
                    },
                    Cluster = new PraisonClusterOptions { Port = port, SeedNodes = new[] { seed }, Timings = ClusterTimings.Fast },
                }));
            }
            return new InProcessCluster(nodes);
        }
        catch
        {
            await new InProcessCluster(nodes).DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Leave one by one, last first, so every hand-off has somewhere to go until the end.
        for (var i = Nodes.Count - 1; i >= 0; i--)
            await Nodes[i].DisposeAsync();
    }
}
