using Praison.Actors.IntegrationTests.Support;
using Praison.Actors.Scheduling;
using Xunit;
using Xunit.Abstractions;

namespace Praison.Actors.IntegrationTests.Crash;

/// <summary>
/// A real host process is SIGKILLed between firing a slot and recording it: the slot's task is stored, the schedule
/// record that moves the pointer past the slot is not (the TestHost's <c>--schedule crash</c> blocks there, through the
/// internal <see cref="ScheduleService.AfterSlotSubmitted"/> hook). The restarted host fires the slot again from the stale
/// record and finds its task (still one task for that slot), and the schedule goes on: a later slot gets its own task.
/// </summary>
[Collection("durable")]
public class ScheduleCrashTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(60);
    private const string Schedule = "crash-tick"; // the TestHost's schedule: */2s, catch-up all, overlap allow

    [Fact]
    public async Task Sqlite_a_slot_fired_before_a_sigkill_and_not_recorded_is_still_one_task()
    {
        await using var store = new SqliteTestStore();
        await KillBetweenFiringAndRecording(store);
    }

    [PostgresFact]
    public async Task Postgres_a_slot_fired_before_a_sigkill_and_not_recorded_is_still_one_task()
    {
        await using var store = await PostgresTestStore.CreateAsync();
        await KillBetweenFiringAndRecording(store);
    }

    private async Task KillBetweenFiringAndRecording(TestStore store)
    {
        var log = Path.Combine(Path.GetTempPath(), $"praison-schedule-crash-{Guid.NewGuid():N}.log");
        File.WriteAllText(log, "");
        string[] Args(params string[] more) => store.HostArgs.Concat(new[] { "--log", log }).Concat(more).ToArray();
        var submitted = new List<(string Id, bool Created)>(); // every slot-submitted line of both hosts
        bool Record(string line)
        {
            var parts = line.Split(' ');
            if (parts is ["slot-submitted", var id, var how]) lock (submitted) submitted.Add((id, how == "created"));
            return parts.Length == 3 && parts[0] == "slot-submitted";
        }
        try
        {
            string killedId;
            using (var host = HostProcess.Start(Args("--schedule", "crash")))
            {
                var line = await host.WaitForLineAsync(Record, Startup);
                killedId = line.Split(' ')[1];
                Assert.EndsWith(" created", line);
                host.Kill(); // the task is stored; the host is blocked before storing the schedule record
            }
            var killedSlot = SlotOf(killedId);
            Assert.Equal(SchedulePlanner.TaskIdFor(Schedule, killedSlot), killedId);
            Assert.Equal(Schedule, (await store.Store.GetTaskAsync(killedId))?.ScheduleName);
            output.WriteLine($"killed after submitting {killedId} (slot {killedSlot:O})");

            string laterId;
            using (var host = HostProcess.Start(Args("--schedule", "resume")))
            {
                // The stale record still points at the killed slot: the restarted host fires it again and finds its task.
                await host.WaitForLineAsync(l => Record(l) && l == $"slot-submitted {killedId} existing", Startup);
                // The schedule goes on past it.
                laterId = (await host.WaitForLineAsync(l => Record(l) && l.EndsWith(" created") && SlotOf(l.Split(' ')[1]) > killedSlot,
                    Startup)).Split(' ')[1];
                await AwaitTaskAsync(store, laterId);
                await host.StopAsync(TimeSpan.FromSeconds(30));
            }
            output.WriteLine($"later slot {laterId}; submitted lines: {string.Join(", ", submitted.Select(s => $"{s.Id}:{s.Created}"))}");

            var tasks = (await store.Store.QueryTasksAsync(new TaskQuery { ScheduleName = Schedule }, 0, 1000)).Tasks;
            var ids = tasks.Select(t => t.TaskId).ToList();
            Assert.Single(ids, killedId);
            Assert.Contains(laterId, ids);
            // No slot got two tasks: one task per slot in the table, and across both processes each id was created once.
            Assert.Equal(ids.Count, ids.Select(SlotOf).Distinct().Count());
            Assert.All(ids, id => Assert.Equal(SchedulePlanner.TaskIdFor(Schedule, SlotOf(id)), id));
            lock (submitted)
            {
                Assert.All(submitted.GroupBy(s => s.Id), g => Assert.True(g.Count(s => s.Created) <= 1, $"slot task {g.Key} was created twice"));
                Assert.Single(submitted, s => s.Id == killedId && s.Created);
            }
        }
        finally
        {
            File.Delete(log);
        }
    }

    /// <summary>The slot a derived task id names (<see cref="SchedulePlanner.TaskIdFor"/>: "sch-PREFIX-UNIXMS").</summary>
    private static DateTimeOffset SlotOf(string taskId) => DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(taskId[(taskId.LastIndexOf('-') + 1)..]));

    /// <summary>Polls the task table (with a deadline) until the task is stored.</summary>
    private static async Task AwaitTaskAsync(TestStore store, string id)
    {
        using var cts = new CancellationTokenSource(Startup);
        while (await store.Store.GetTaskAsync(id) is null)
        {
            if (cts.IsCancellationRequested) throw new TimeoutException($"task {id} was never stored");
            await Task.Delay(20);
        }
    }
}
