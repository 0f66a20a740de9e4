using Akka.Actor;
using Praison.Actors.Messages;
using Praison.Actors.Persistence;

namespace Praison.Actors.Cluster;

/// <summary>
/// The actor a clustered <see cref="BackgroundRunner"/> and its handles ask. Task commands go to the shard region
/// unchanged (Forward: the entity answers the asker directly, on whichever node it lives); a submission becomes a
/// CreateTask for the region; listing and clearing read the shared store, so they cover the whole cluster: indexed
/// queries on the task table, or (another journal plugin, so no table) a replay of the journal.
/// </summary>
internal sealed class ClusterTaskRouter : UntypedActor
{
    public const string DelegateRejected =
        "Delegate tasks (SubmitAsync with in-process code) cannot run in a cluster: a task may run on, or move to, any " +
        "node, and a closure cannot cross processes. Register the work as a recipe (RecipeRegistry) and use RunBackgroundAsync.";

    private readonly IActorRef _region;
    private readonly TaskStore _store;
    private readonly bool _hasTable;
    private readonly IActorRef _nodeSupervisor;

    public ClusterTaskRouter(IActorRef region, TaskStore store, bool hasTable, IActorRef nodeSupervisor)
    {
        _region = region;
        _store = store;
        _hasTable = hasTable;
        _nodeSupervisor = nodeSupervisor;
    }

    public static Props Props(IActorRef region, TaskStore store, bool hasTable, IActorRef nodeSupervisor) =>
        Akka.Actor.Props.Create(typeof(ClusterTaskRouter), region, store, hasTable, nodeSupervisor);

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
            case GetStoreHealth:
                _nodeSupervisor.Forward(message); // this node's writes are what its health reports
                break;
            case GetWebhookDelivery g when _hasTable && _store.Sql is { } sql:
                sql.Webhooks.GetAsync(g.TaskId, CancellationToken.None)
                    .PipeTo(Sender, success: row => new WebhookDeliveryReply(row?.ToDelivery()), failure: ex => new Status.Failure(ex));
                break;
            case GetWebhookDelivery:
                Sender.Tell(new WebhookDeliveryReply(null)); // no webhook table: deliveries are only in their node's memory
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
        Read(request).ContinueWith(
                t => t.IsCompletedSuccessfully
                    ? t.Result with { ReplyTo = replyTo }
                    : new StoreRead(request, replyTo, null, null, t.Exception?.GetBaseException() ?? new TaskCanceledException()),
                TaskContinuationOptions.ExecuteSynchronously)
            .PipeTo(Self);

    private async Task<StoreRead> Read(object request)
    {
        if (_hasTable)
            return request switch
            {
                ListTasks l => new StoreRead(request, ActorRefs.Nobody, await _store.ListTasksAsync(l.Query).ConfigureAwait(false), null, null),
                ClearTasks c => new StoreRead(request, ActorRefs.Nobody, null, await _store.ReadTaskIdsAsync(c.IncludeActive).ConfigureAwait(false), null),
                _ => throw new ArgumentOutOfRangeException(nameof(request)),
            };
        var tasks = await _store.ReadTasksAsync().ConfigureAwait(false);
        return request switch
        {
            ListTasks l => new StoreRead(request, ActorRefs.Nobody,
                tasks.Select(t => t.Info).Where(l.Query.Matches).Skip(l.Query.Offset).Take(l.Query.Limit ?? int.MaxValue).ToList(), null, null),
            ClearTasks c => new StoreRead(request, ActorRefs.Nobody, null,
                tasks.Where(t => t.Info.IsTerminal || c.IncludeActive).Select(t => t.Info.TaskId).ToList(), null),
            _ => throw new ArgumentOutOfRangeException(nameof(request)),
        };
    }

    private void OnStoreRead(StoreRead r)
    {
        if (r.Error is not null)
        {
            r.ReplyTo.Tell(new Status.Failure(r.Error as TaskStoreException
                ?? new TaskStoreException(_store.Describe(), $"reading the task list failed: {r.Error.Message}", r.Error)));
            return;
        }
        switch (r.Request)
        {
            case ListTasks:
                r.ReplyTo.Tell(new TaskList(r.Tasks!));
                break;
            case ClearTasks c:
                foreach (var id in r.TaskIds!) _region.Tell(new RemoveTask(id, c.IncludeActive));
                r.ReplyTo.Tell(new ClearReply(r.TaskIds!.Count));
                break;
        }
    }
}
