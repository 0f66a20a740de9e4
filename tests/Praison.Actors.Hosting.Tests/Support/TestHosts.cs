using Akka.Configuration;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Praison.Actors.Cluster;
using Praison.Actors.Hosting;
using Praison.Actors.Persistence;

namespace Praison.Actors.Hosting.Tests.Support;

/// <summary>Generic-host apps wired the way the README shows: <c>AddPraisonActors</c> plus <c>WithPraisonActors</c> / <c>WithPraisonCluster</c>.</summary>
public static class TestHosts
{
    public static readonly Config Quiet = ConfigurationFactory.ParseString("akka.loglevel = WARNING");

    /// <summary>A local host on <paramref name="store"/>; not started.</summary>
    public static IHost Local(TaskStore store, RecipeRegistry recipes, int maxConcurrent = 5) =>
        Build(new PraisonActorsOptions { Store = store, Runner = Runner(recipes, maxConcurrent) },
            (b, o) => b.WithPraisonActors(o), Quiet);

    /// <summary>A cluster node on <paramref name="store"/>; not started.</summary>
    public static IHost ClusterNode(TaskStore store, RecipeRegistry recipes, PraisonClusterOptions cluster, Config? config = null) =>
        Build(new PraisonActorsOptions { Store = store, Runner = Runner(recipes, 5) },
            (b, o) => b.WithPraisonCluster(o, cluster), config is null ? Quiet : config.WithFallback(Quiet));

    private static BackgroundRunnerOptions Runner(RecipeRegistry recipes, int maxConcurrent) =>
        new() { Recipes = recipes, MaxConcurrentTasks = maxConcurrent };

    private static IHost Build(PraisonActorsOptions options, Action<AkkaConfigurationBuilder, PraisonActorsOptions> praison, Config config) =>
        new HostBuilder()
            .ConfigureServices(services =>
            {
                services.AddPraisonActors(options);
                services.AddPraisonClusterInfo(); // resolved only by the cluster tests
                services.AddAkka("praison-actors", builder =>
                {
                    builder.AddHocon(config, HoconAddMode.Prepend);
                    praison(builder, options);
                });
            })
            .Build();
}
