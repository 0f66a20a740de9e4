using Akka.Actor;
using Praison.Actors.Messages;
using Praison.Actors.Persistence;

namespace Praison.Actors.Cluster;

/// <summary>
/// The actor a clustered <see cref="BackgroundRunner"/> and its handles ask. Task commands go to the shard region
/// unchanged (Forward: the entity answers the asker directly, on whichever node it lives); a submission becomes a
/// CreateTask for the region; listing and clearing read the shared store, so they cover the whole cluster.
/// </summary>
internal sealed class ClusterTaskRouter : UntypedActor
{
    public const string DelegateRejected =
        "Delegate tasks (SubmitAsync with in-process code) cannot run in a cluster: a task may run on, or move to, any " +
        "node, and a closure cannot cross processes. Register the work as a recipe (RecipeRegistry) and use RunBackgroundAsync.";

    private readonly IActorRef _region;
    private readonly TaskStore _store;

    public ClusterTaskRouter(IActorRef region, TaskStore store)
    {
        _region = region;
        _store = store;
    }

    public static Props Props(IActorRef region, TaskStore store) => Akka.Actor.Props.Create(typeof(ClusterTaskRouter), region, store);

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case SubmitTask { Work: not null } s:
                Sender.Tell(new TaskRejected(s.Spec.TaskId, DelegateRejected));
                break;
            case SubmitTask s:
                _region.Forward(new CreateTask(s.Spec));
                break;
            case ITaskCommand c:
                _region.Forward(c);
                break;
            case ListTasks or ClearTasks:
                ReadStore(message, Sender);
                break;
            case StoreRead r:
                OnStoreRead(r);
                break;
            case ITaskReply:
                break; // answers to the RemoveTask messages a clear sent
            default:
                Unhandled(message);
                break;
        }
    }

    private void ReadStore(object request, IActorRef replyTo) =>
        _store.ReadTasksAsync().ContinueWith(
                t => new StoreRead(request, replyTo, t.IsCompletedSuccessfully ? t.Result : null, t.Exception?.GetBaseException()),
                TaskContinuationOptions.ExecuteSynchronously)
            .PipeTo(Self);

    private void OnStoreRead(StoreRead r)
    {
        if (r.Tasks is null)
        {
            r.ReplyTo.Tell(new Status.Failure(new TaskStoreException(_store.Describe(), $"reading the task list failed: {r.Error?.Message}", r.Error)));
            return;
        }
        switch (r.Request)
        {
            case ListTasks l:
                r.ReplyTo.Tell(new TaskList(r.Tasks.Select(t => t.Info).Where(l.Query.Matches).ToList()));
                break;
            case ClearTasks c:
                var removed = 0;
                foreach (var t in r.Tasks)
                {
                    if (!t.Info.IsTerminal && !c.IncludeActive) continue;
                    _region.Tell(new RemoveTask(t.Info.TaskId, c.IncludeActive));
                    removed++;
                }
                r.ReplyTo.Tell(new ClearReply(removed));
                break;
        }
    }
}
