using Praison.Actors.IntegrationTests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Praison.Actors.IntegrationTests.Crash;

/// <summary>
/// A real host process is SIGKILLed while a task waits (10 s, stored) between its failed first attempt and its second.
/// After the restart the wait goes on until the stored time: the second attempt neither starts before it (skipped) nor
/// a whole delay after the restarted host recovered the task (restarted), and the task completes.
/// </summary>
[Collection("durable")]
public class RetryCrashTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Delay = TimeSpan.FromSeconds(10); // crash-retry's initial_delay_sec in the TestHost

    [Fact]
    public async Task Sqlite_resumes_a_retry_wait_from_its_stored_time_after_sigkill()
    {
        await using var store = new SqliteTestStore();
        await KillDuringTheWait(store);
    }

    [PostgresFact]
    public async Task Postgres_resumes_a_retry_wait_from_its_stored_time_after_sigkill()
    {
        await using var store = await PostgresTestStore.CreateAsync();
        await KillDuringTheWait(store);
    }

    private async Task KillDuringTheWait(TestStore store)
    {
        var log = Path.Combine(Path.GetTempPath(), $"praison-retry-crash-{Guid.NewGuid():N}.log");
        File.WriteAllText(log, "");
        string[] Args(params string[] more) => store.HostArgs.Concat(new[] { "--log", log }).Concat(more).ToArray();
        try
        {
            string id;
            DateTimeOffset next;
            using (var host = HostProcess.Start(Args("--submit-retry", "1")))
            {
                id = (await host.WaitForLineAsync(l => l.StartsWith("submitted "), Startup))["submitted ".Length..];
                next = await StoredWaitAsync(store, id);
                host.Kill(); // during the wait: the first attempt failed, the second is not due yet
            }
            Assert.True(next > DateTimeOffset.UtcNow, "the host was killed during the wait");
            Assert.Single(Starts(log, id));
            // The scenario, not a synchronisation: the host stays down for 7 of the 10 s, so the stored time falls about
            // 3 s after the restart, while a wait restarted at recovery would end 10 s after it.
            var downtime = next - Delay + TimeSpan.FromSeconds(7) - DateTimeOffset.UtcNow;
            if (downtime > TimeSpan.Zero) await Task.Delay(downtime);
            var restartedAt = DateTimeOffset.UtcNow;
            output.WriteLine($"killed; next attempt stored for {next:O}, restarting at {restartedAt:O}");

            DateTimeOffset recoveredAt;
            using (var host = HostProcess.Start(Args()))
            {
                await host.WaitForLineAsync(l => l.StartsWith("recovered "), Startup);
                recoveredAt = DateTimeOffset.UtcNow; // the restarted host has read the stored wait by now
                await host.WaitForLineAsync(l => l == "all-terminal", Startup + Delay);
                await host.StopAsync(TimeSpan.FromSeconds(30));
            }

            var starts = Starts(log, id);
            Assert.Equal([1, 2], starts.Select(s => s.Attempt));
            var second = starts[1].At;
            output.WriteLine($"second attempt started {second:O}");
            Assert.True(second >= next, $"the second attempt started at {second:O}, before its stored time {next:O} (the wait was skipped)");
            // Resumed: due at the stored time, or at once if the host recovered after it. Restarted: a whole delay (10 s)
            // after the host read the task. The bound leaves a loaded machine 6 s to start a due attempt and still tells
            // the two apart unless more than 4 s pass between reading the task and printing "recovered".
            var resumedBy = (next > recoveredAt ? next : recoveredAt) + TimeSpan.FromSeconds(6);
            output.WriteLine($"restarted host recovered {recoveredAt:O}");
            Assert.True(second < resumedBy, $"the second attempt started at {second:O}, after {resumedBy:O} (the wait restarted)");

            var info = (await store.Store.GetTaskAsync(id))!;
            Assert.Equal((BackgroundTaskStatus.Completed, 2), (info.Status, info.Attempt));
            Assert.Equal("first attempt fails", Assert.Single(info.AttemptErrors).Message);
        }
        finally
        {
            File.Delete(log);
        }
    }

    /// <summary>Polls the task table (with a deadline) until the task shows its stored wait.</summary>
    private static async Task<DateTimeOffset> StoredWaitAsync(TestStore store, string id)
    {
        using var cts = new CancellationTokenSource(Startup);
        while (true)
        {
            if (await store.Store.GetTaskAsync(id) is { NextAttemptAt: { } next }) return next;
            if (cts.IsCancellationRequested) throw new TimeoutException($"task {id} never showed a stored retry wait");
            await Task.Delay(20);
        }
    }

    private static List<(int Attempt, DateTimeOffset At)> Starts(string log, string id) =>
        File.ReadAllLines(log).Select(l => l.Split(' '))
            .Where(p => p.Length == 4 && p[0] == "retry-start" && p[1] == id)
            .Select(p => (int.Parse(p[2]), new DateTimeOffset(long.Parse(p[3]), TimeSpan.Zero))).ToList();
}
