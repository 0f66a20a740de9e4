using Akka.Actor;
using Akka.Configuration;
using Xunit.Abstractions;

namespace Praison.Actors.Tests;

/// <summary>A TestKit with an in-memory journal and helpers to build runners and recipes.</summary>
public abstract class RuntimeTestKit : Akka.TestKit.Xunit2.TestKit
{
    /// <summary>serialize-messages = on: every message goes through its serializer, as it would between nodes.</summary>
    public static readonly Config TestConfig = ConfigurationFactory.ParseString("""
            akka.loglevel = INFO
            akka.actor.serialize-messages = on
            akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
            akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
            """)
        .WithFallback(Praison.Actors.Persistence.PraisonHocon.Serialization);

    private int _runners;

    protected RuntimeTestKit(ITestOutputHelper output, Config? config = null)
        : base((config ?? Config.Empty).WithFallback(TestConfig), output: output)
    {
        // As a supervisor does before its first task actor: the specs spawn task actors directly.
        Praison.Actors.Tasks.TaskMailbox.EnsureDefined(Sys);
    }

    protected static readonly TimeSpan Long = TimeSpan.FromSeconds(20);

    protected BackgroundRunner CreateRunner(int maxConcurrent = 5, RecipeRegistry? recipes = null, int maxQueued = 1000,
        TimeSpan? cleanupDelay = null, TimeSpan? passivateAfter = null) =>
        new(Sys, new BackgroundRunnerOptions
        {
            MaxConcurrentTasks = maxConcurrent,
            MaxQueued = maxQueued,
            Recipes = recipes ?? new RecipeRegistry(),
            CleanupDelay = cleanupDelay ?? BackgroundRunnerOptions.DefaultCleanupDelay,
            PassivateFinishedAfter = passivateAfter ?? TimeSpan.FromSeconds(30),
            ActorName = $"tasks-{Interlocked.Increment(ref _runners)}",
        });

    protected static RecipeRegistry Recipes(params (string yaml, Func<RecipeContext, Task<object?>> run)[] recipes)
    {
        var registry = new RecipeRegistry();
        foreach (var (yaml, run) in recipes) registry.Register(yaml, run);
        return registry;
    }
}
