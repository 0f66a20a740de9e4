using Akka.Actor;
using Akka.Configuration;
using Praison.Actors.IntegrationTests.Support;
using Praison.Actors.Messages;
using Praison.Actors.Persistence;
using Xunit;

namespace Praison.Actors.IntegrationTests.Persistence;

/// <summary>
/// The store-level claim of a task id: two writers (each its own actor system, journal plugin and connections, as two
/// processes on one SQLite file or two nodes on one PostgreSQL) submit the same ids at once. Each id is stored once;
/// the losing writer is answered <see cref="TaskSubmitDuplicate"/> and the rest of its batches is stored.
/// </summary>
public abstract class TaskIdClaimSuite
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);
    private static readonly DateTimeOffset At = new(2026, 12, 2, 8, 0, 0, TimeSpan.Zero);
    private const int Shared = 60;

    protected abstract Task<TestStore> CreateStoreAsync();

    private static TaskSpec Spec(string id, string session) => new(id, TaskKind.Recipe, "hello", "hello", session, "{}", null, 300_000, 3_600_000);

    protected async Task Two_writers_submitting_one_id_store_it_once()
    {
        await using var store = await CreateStoreAsync();
        await store.Store.PrepareAsync();
        var systems = new[] { "a", "b" }.Select(n => ActorSystem.Create("claim-" + n, PraisonRuntime.BuildConfig(store.Store, ConfigurationFactory.Empty))).ToArray();
        try
        {
            var journals = systems.Select(s => s.ActorOf(TaskJournal.Props(null, sql: store.Store.Sql!), "journal")).ToArray();
            // Interleaved: each writer's batches mix shared ids with its own, and both write at the same time.
            var asks = new List<(string Writer, string TaskId, Task<object> Answer)>();
            for (var i = 0; i < Shared; i++)
                for (var w = 0; w < 2; w++)
                {
                    var writer = w == 0 ? "a" : "b";
                    foreach (var id in new[] { $"shared-{i}", $"{writer}-{i}" })
                        asks.Add((writer, id, journals[w].Ask<object>(new WriteTaskEvent(id, 1, new TaskSubmitted(Spec(id, writer), At)), Long)));
                }
            await Task.WhenAll(asks.Select(a => a.Answer));

            foreach (var (writer, id, answer) in asks.Where(a => !a.TaskId.StartsWith("shared-")))
            {
                var written = Assert.IsType<TaskEventWritten>(answer.Result);
                Assert.Null(written.Error);
                Assert.Equal(writer, (await store.Store.GetTaskAsync(id))!.SessionId);
            }
            for (var i = 0; i < Shared; i++)
            {
                var id = $"shared-{i}";
                var answers = asks.Where(a => a.TaskId == id).ToList();
                var stored = answers.Where(a => a.Answer.Result is TaskEventWritten { Error: null }).ToList();
                var duplicate = answers.Where(a => a.Answer.Result is TaskSubmitDuplicate).ToList();
                Assert.Single(stored);
                Assert.Single(duplicate);
                Assert.Equal(new TaskSubmitDuplicate(id, 1), duplicate[0].Answer.Result);
                // The row and the single journal row are the winner's.
                Assert.Equal(stored[0].Writer, (await store.Store.GetTaskAsync(id))!.SessionId);
                Assert.Equal(1, await store.Store.Sql!.CountRowsAsync(id, CancellationToken.None));
            }
        }
        finally
        {
            await Task.WhenAll(systems.Select(s => s.Terminate()));
        }
    }
}

public class SqliteTaskIdClaimTests : TaskIdClaimSuite
{
    protected override Task<TestStore> CreateStoreAsync() => Task.FromResult<TestStore>(new SqliteTestStore());

    [Fact] public Task Two_writers_submitting_one_id_store_it_once_on_sqlite() => Two_writers_submitting_one_id_store_it_once();
}

public class PostgresTaskIdClaimTests : TaskIdClaimSuite
{
    protected override async Task<TestStore> CreateStoreAsync() => await PostgresTestStore.CreateAsync();

    [PostgresFact] public Task Two_writers_submitting_one_id_store_it_once_on_postgres() => Two_writers_submitting_one_id_store_it_once();
}
