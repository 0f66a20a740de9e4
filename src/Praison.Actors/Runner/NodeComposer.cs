using Akka.Actor;
using Praison.Actors.Persistence;

namespace Praison.Actors;

/// <summary>
/// The one start-up path of a node, in steps every entry point calls in this order: prepare the store (before the
/// journal is first used), probe the journal in the node's ActorSystem, read what the store holds, then start the
/// actor handles ask and wrap it in a runner. <see cref="PraisonRuntime.StartAsync"/> and <c>WithPraisonActors</c> run
/// the local steps; the cluster project runs the same prepare and probe steps around its own (schema under a lock,
/// shard region, router, join) in <c>PraisonCluster</c>, for <c>PraisonCluster.StartAsync</c> and <c>WithPraisonCluster</c>.
/// Schema creation of the store's own tables belongs in step 1.
/// </summary>
internal static class NodeComposer
{
    /// <summary>The config key a cluster node sets so a runner built from its ActorSystem alone renews its waits.</summary>
    internal const string WaitRenewalKey = "praison.cluster.wait-renewal";

    /// <summary>Step 1: checks the store and creates what it needs (directory, WAL, tables), before any journal use.</summary>
    public static Task PrepareStoreAsync(TaskStore store, CancellationToken cancellationToken) =>
        store.PrepareAsync(cancellationToken);

    /// <summary>
    /// Local node, steps 2–4 in a started ActorSystem whose store is prepared: the journal answers, the stored tasks
    /// are read in one query (when this node executes and recovers them), then the supervisor and its runner.
    /// </summary>
    public static async Task<BackgroundRunner> StartLocalAsync(ActorSystem system, TaskStore store, BackgroundRunnerOptions runner,
        TimeSpan startupTimeout, CancellationToken cancellationToken)
    {
        runner.Validate();
        await ProbeJournalAsync(system, store, startupTimeout, cancellationToken).ConfigureAwait(false);
        // Read what the store holds in one query rather than recovering an actor per task.
        // With a task table finished tasks stay out of memory (answered from the table), so only unfinished ones are read.
        var recovered = runner is not { ExecuteTasks: true, RecoverStoredTasks: true } ? null
            : BackgroundRunner.SqlWriter(runner.JournalPluginId, store) is not null
                ? await store.ReadUnfinishedTasksAsync(cancellationToken).ConfigureAwait(false)
                : await store.ReadTasksAsync(cancellationToken).ConfigureAwait(false);
        var started = new BackgroundRunner(system, runner, recovered, store);
        if (runner is { ExecuteTasks: true, RecoverStoredTasks: true }) _ = started.Schedules; // the host's scheduler fires stored schedules from the start
        await Scheduling.RecipeSchedules.ApplyOnStartAsync(started, cancellationToken).ConfigureAwait(false); // TEMPLATE.yaml runtime.schedule
        return started;
    }

    /// <summary>A runner over an actor started elsewhere (the registry's, a cluster's router), with the node's wait renewal.</summary>
    public static BackgroundRunner RunnerFor(ActorSystem system, IActorRef router, BackgroundRunnerOptions runner, TaskStore? store = null) =>
        new(system, router, runner, store)
        {
            WaitRenewal = system.Settings.Config.HasPath(WaitRenewalKey) ? system.Settings.Config.GetTimeSpan(WaitRenewalKey) : null,
        };

    /// <summary>Step 2: recovers one fixed persistence id, so a journal that cannot start fails the start with its reason.</summary>
    public static async Task ProbeJournalAsync(ActorSystem system, TaskStore store, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var answer = new TaskCompletionSource<object>(TaskCreationOptions.RunContinuationsAsynchronously);
        var inbox = system.ActorOf(Props.Create(typeof(ReplyCatcher), answer), "praison-store-probe-reply");
        system.ActorOf(StoreProbeActor.Props(inbox), "praison-store-probe");
        object reply;
        try
        {
            reply = await answer.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TaskStoreException(store.Describe(), $"the journal did not answer within {timeout.TotalSeconds:0} s");
        }
        finally
        {
            system.Stop(inbox);
        }
        if (reply is Status.Failure f)
            throw new TaskStoreException(store.Describe(), $"the journal failed to start: {f.Cause.GetBaseException().Message}", f.Cause);
    }

    /// <summary>Hands the first message it gets to a TaskCompletionSource.</summary>
    private sealed class ReplyCatcher(TaskCompletionSource<object> answer) : UntypedActor
    {
        protected override void OnReceive(object message) => answer.TrySetResult(message);
    }
}
