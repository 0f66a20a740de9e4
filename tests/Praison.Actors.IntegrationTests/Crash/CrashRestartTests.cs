using Praison.Actors.IntegrationTests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Praison.Actors.IntegrationTests.Crash;

/// <summary>
/// A real host process is given 50 recipe tasks and killed with SIGKILL mid-run, ten times over, then left to
/// finish. Nothing submitted may be lost, and no task may complete twice.
/// </summary>
[Collection("durable")]
public class CrashRestartTests(ITestOutputHelper output)
{
    private const int Tasks = 50;
    private const int Kills = 10;
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Sqlite_survives_repeated_sigkill()
    {
        await using var store = new SqliteTestStore();
        await CrashLoop(store);
    }

    [PostgresFact]
    public async Task Postgres_survives_repeated_sigkill()
    {
        await using var store = await PostgresTestStore.CreateAsync();
        await CrashLoop(store);
    }

    private async Task CrashLoop(TestStore store)
    {
        var log = Path.Combine(Path.GetTempPath(), $"praison-crash-{Guid.NewGuid():N}.log");
        File.WriteAllText(log, "");
        string[] Args(params string[] more) => store.HostArgs.Concat(new[] { "--log", log }).Concat(more).ToArray();
        var submitted = new List<string>();

        try
        {
            using (var host = HostProcess.Start(Args("--submit", Tasks.ToString())))
            {
                Assert.Equal("recovered 0 ", await host.WaitForLineAsync(l => l.StartsWith("recovered"), Startup));
                for (var i = 0; i < Tasks; i++)
                    submitted.Add((await host.WaitForLineAsync(l => l.StartsWith("submitted "), Startup))["submitted ".Length..]);
                await LogGrowsAsync(log, 0, 3);
                host.Kill();
            }
            output.WriteLine($"kill 1: {Summary(log)}");

            for (var kill = 2; kill <= Kills; kill++)
            {
                var endsBefore = Ends(log);
                using var host = HostProcess.Start(Args());
                AssertAllPresent(await host.WaitForLineAsync(l => l.StartsWith("recovered"), Startup), submitted);
                // Kill once a task has finished in this run, with others mid-run (or once nothing is left to do).
                var progressed = EndsGrowAsync(log, endsBefore + 1);
                var finished = host.WaitForLineAsync(l => l == "all-terminal", Startup);
                await Task.WhenAny(progressed, finished);
                host.Kill();
                output.WriteLine($"kill {kill}: {Summary(log)}");
            }

            using (var host = HostProcess.Start(Args()))
            {
                AssertAllPresent(await host.WaitForLineAsync(l => l.StartsWith("recovered"), Startup), submitted);
                await host.WaitForLineAsync(l => l == "all-terminal", TimeSpan.FromSeconds(120));
                await host.StopAsync(TimeSpan.FromSeconds(30));
            }

            var tasks = (await store.Store.ReadTasksAsync()).ToDictionary(t => t.Info.TaskId);
            Assert.Equal(submitted.Order(), tasks.Keys.Order());
            Assert.All(tasks.Values, t => Assert.True(t.Info.IsTerminal, $"{t.Info.TaskId} is {t.Info.Status}"));

            var lines = Lines(log).Select(l => l.Split(' ')).ToList();
            var starts = lines.Where(l => l[0] == "start").GroupBy(l => l[1]).ToDictionary(g => g.Key, g => g.Count());
            var ends = lines.Where(l => l[0] == "end").Select(l => $"{l[1]}:{l[2]}").ToHashSet();
            foreach (var t in tasks.Values)
            {
                if (t.Info.RecipeName == "crash-rerun")
                    Assert.Equal(BackgroundTaskStatus.Completed, t.Info.Status);
                else
                {
                    // Not re-runnable: executed at most once; an interrupted run ends Failed/Interrupted.
                    Assert.True(starts.GetValueOrDefault(t.Info.TaskId) <= 1, $"{t.Info.TaskId} ran {starts.GetValueOrDefault(t.Info.TaskId)} times");
                    Assert.True(t.Info.Status == BackgroundTaskStatus.Completed || t.Info.Error?.Kind == TaskErrorKind.Interrupted,
                        $"{t.Info.TaskId}: {t.Info.Status} {t.Info.Error}");
                }
                if (t.Info.Status == BackgroundTaskStatus.Completed)
                {
                    // The stored result names the execution that produced it, and that execution finished.
                    var result = System.Text.Json.JsonSerializer.Deserialize<string>(t.ResultJson!)!;
                    Assert.Contains(result, ends);
                }
            }

            // Exactly one terminal event per task in the journal: no task completed twice.
            var terminalEvents = await store.Store.Sql!.CountEventsAsync(new[] { "tc", "tf", "tx" }, CancellationToken.None);
            Assert.Equal(submitted.Order(), terminalEvents.Keys.Order());
            Assert.All(terminalEvents, kv => Assert.Equal(1, kv.Value));

            var reruns = starts.Values.Count(c => c > 1);
            output.WriteLine($"{store.Kind}: {Tasks} tasks, {Kills} kills, {starts.Values.Sum()} executions, {reruns} re-run after a kill, " +
                $"{tasks.Values.Count(t => t.Info.Status == BackgroundTaskStatus.Completed)} completed, " +
                $"{tasks.Values.Count(t => t.Info.Error?.Kind == TaskErrorKind.Interrupted)} interrupted");
        }
        finally
        {
            File.Delete(log);
        }
    }

    private static void AssertAllPresent(string recoveredLine, List<string> submitted)
    {
        var ids = recoveredLine.Split(' ', 3)[2].Split(',', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(submitted.Order(), ids.Order());
    }

    private static string[] Lines(string log) => File.ReadAllLines(log).Where(l => l.Length > 0).ToArray();

    private static string Summary(string log)
    {
        var lines = Lines(log);
        return $"{lines.Count(l => l.StartsWith("start"))} starts, {lines.Count(l => l.StartsWith("end"))} ends so far";
    }

    private static int Ends(string log) => Lines(log).Count(l => l.StartsWith("end "));

    private static async Task EndsGrowAsync(string log, int atLeast)
    {
        using var cts = new CancellationTokenSource(Startup);
        while (Ends(log) < atLeast)
            await Task.Delay(20, cts.Token);
    }

    /// <summary>Waits until the work has logged <paramref name="more"/> lines past <paramref name="from"/>.</summary>
    private static async Task LogGrowsAsync(string log, int from, int more)
    {
        using var cts = new CancellationTokenSource(Startup);
        while (Lines(log).Length < from + more)
            await Task.Delay(20, cts.Token);
    }
}
