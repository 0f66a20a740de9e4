using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace Praison.Actors.Cli.Tests;

/// <summary>
/// A host killed with SIGKILL leaves no step process of a folder recipe running, and a rerun after the restart
/// never runs beside the attempt the crash interrupted. Linux only (/proc, process groups).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class OrphanTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly List<int> _groups = new();

    // Each attempt logs "start <pid>", a tick per second, then "end <pid>": lines of two attempts must never interleave.
    // The first attempt would tick for 10 minutes (only a kill ends it within the test); the rerun ticks twice.
    private const string AttemptRecipe = """
        name: again
        runtime:
          background:
            on_restart: rerun
        steps:
          - name: attempt
            command: sh
            args: ["-c", "if [ -e first.ran ]; then n=2; else touch first.ran; n=600; fi; echo \"start $$\" >> log.txt; i=0; while [ $i -lt $n ]; do sleep 1; echo \"tick $$\" >> log.txt; i=$((i+1)); done; echo \"end $$\" >> log.txt"]
        """;

    public void Dispose()
    {
        // Only when a test failed is anything left; do not let it outlive the test run.
        foreach (var group in _groups) Kill(-group);
        _dir.Dispose();
    }

    [Fact]
    public async Task A_SIGKILLed_run_leaves_no_process_of_its_step_tree_running()
    {
        _dir.Write("recipes/loop/TEMPLATE.yaml", """
            name: loop
            steps:
              - name: loop
                command: sh
                args: ["-c", "sleep 300 & echo \"child $!\" >> pids.txt; echo \"shell $$\" >> pids.txt; while :; do echo tick >> marker.txt; sleep 1; done"]
            """);
        var folder = Path.Combine(_dir.Path, "recipes", "loop");
        using var run = CliProcess.Start(_dir, "background", "run", "loop");
        await ServeTests.EventuallyAsync(() => Task.FromResult(File.Exists(Path.Combine(folder, "marker.txt")) &&
            File.Exists(Path.Combine(folder, "pids.txt")) && File.ReadAllLines(Path.Combine(folder, "pids.txt")).Length == 2),
            "the step to start its loop and its child");

        var record = await ReadRecordAsync();
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Directory.GetFiles(StepsDir(), "*.json").Single()));
        var pids = File.ReadAllLines(Path.Combine(folder, "pids.txt")).Select(l => int.Parse(l.Split(' ')[1])).Append(record.Pgid).ToList();
        // Each process with its start time, so a pid the system reuses meanwhile is not mistaken for a survivor.
        var tree = GroupMembers(record.Pgid).Union(pids).Select(pid => (Pid: pid, Start: StartTime(pid))).ToList();
        Assert.All(tree, p => Assert.True(p.Start is not null, $"{p.Pid} should run before the host is killed"));

        await run.SignalAsync("KILL");
        await run.WaitForExitAsync();

        await ServeTests.EventuallyAsync(() => Task.FromResult(!tree.Any(p => StartTime(p.Pid) == p.Start) && !GroupMembers(record.Pgid).Any()),
            $"every process of the step tree ({string.Join(", ", tree.Select(p => p.Pid))}) to be gone");
    }

    [Fact]
    public async Task A_rerun_after_a_SIGKILL_never_overlaps_the_interrupted_attempt()
    {
        _dir.Write("recipes/again/TEMPLATE.yaml", AttemptRecipe);
        var log = Path.Combine(_dir.Path, "recipes", "again", "log.txt");
        string id;
        using (var serve = await Serve.StartAsync(_dir))
        {
            id = await SubmitAsync(serve);
            await ServeTests.EventuallyAsync(() => Task.FromResult(File.Exists(log) && File.ReadAllText(log).Contains("tick")),
                "the first attempt to tick");
            await ReadRecordAsync();
            await serve.Process.SignalAsync("KILL");
            await serve.Process.WaitForExitAsync();
        }

        using var restarted = await Serve.StartAsync(_dir);
        await ServeTests.EventuallyStatusAsync(restarted, id, "completed");

        AssertAttemptsNeverOverlap(File.ReadAllLines(log));
    }

    [Fact]
    public async Task Survivors_recorded_by_a_dead_host_are_killed_at_the_next_start_before_the_rerun()
    {
        _dir.Write("recipes/again/TEMPLATE.yaml", AttemptRecipe);
        var log = Path.Combine(_dir.Path, "recipes", "again", "log.txt");
        string id;
        StepRecord record;
        using (var serve = await Serve.StartAsync(_dir))
        {
            id = await SubmitAsync(serve);
            await ServeTests.EventuallyAsync(() => Task.FromResult(File.Exists(log) && File.ReadAllText(log).Contains("tick")),
                "the first attempt to tick");
            record = await ReadRecordAsync();

            // Cut the lifeline first (the watcher is the wrapper's forked copy: same command line, another pid), so
            // that only the record can stop the step: this is the case a host start must clean up.
            var watcher = GroupMembers(record.Pgid).Single(p => p != record.Pgid && CommandLine(p).Contains("praison-step"));
            Kill(watcher);
            await ServeTests.EventuallyAsync(() => Task.FromResult(!IsAlive(watcher)), "the watcher to be gone");
            await serve.Process.SignalAsync("KILL");
            await serve.Process.WaitForExitAsync();
        }
        Assert.True(IsAlive(record.Pgid), "without its lifeline the step should outlive the host (the case under test)");

        using var restarted = await Serve.StartAsync(_dir);
        // The survivors are killed before the runtime starts, so before the server listens: no waiting here.
        Assert.Empty(GroupMembers(record.Pgid));
        await restarted.Process.WaitForLineAsync($"Killed the leftover processes of step 'attempt' of task {id}");
        await ServeTests.EventuallyStatusAsync(restarted, id, "completed");

        AssertAttemptsNeverOverlap(File.ReadAllLines(log));
        Assert.Empty(Directory.GetFiles(StepsDir(), "*.json")); // a finished step leaves no record
    }

    [Fact]
    public async Task The_wrapper_does_not_hide_a_missing_command_or_change_the_exit_code()
    {
        _dir.Write("recipes/missing/TEMPLATE.yaml", """
            name: missing
            steps:
              - name: nothing
                command: no-such-command-here
            """);
        _dir.Write("recipes/exit/TEMPLATE.yaml", """
            name: exit
            steps:
              - name: seven
                command: sh
                args: ["-c", "exit 7"]
            """);

        var missing = await CliProcess.RunAsync(_dir, "background", "run", "missing", "--json");
        Assert.True(missing.ExitCode == 1, missing.ToString());
        Assert.Contains("Step 'nothing': cannot start 'no-such-command-here'", missing.Json().GetProperty("error").GetProperty("message").GetString());

        var exit = await CliProcess.RunAsync(_dir, "background", "run", "exit", "--json");
        Assert.True(exit.ExitCode == 1, exit.ToString());
        Assert.Contains("exited with code 7", exit.Json().GetProperty("error").GetProperty("message").GetString());
    }

    /// <summary>Two attempts ran (the first cut short); once the second started, the first never wrote again.</summary>
    private static void AssertAttemptsNeverOverlap(string[] lines)
    {
        var entries = lines.Select(l => l.Split(' ')).Select(p => (Kind: p[0], Pid: p[1])).ToList();
        var attempts = entries.Select(e => e.Pid).Distinct().ToList();
        var all = string.Join('\n', lines);
        Assert.True(attempts.Count == 2, $"expected two attempts:\n{all}");
        var secondStart = entries.IndexOf(("start", attempts[1]));
        Assert.True(secondStart > 0, all);
        Assert.DoesNotContain(entries.Skip(secondStart), e => e.Pid == attempts[0]);
        Assert.DoesNotContain(("end", attempts[0]), entries);
        Assert.Equal(("end", attempts[1]), entries[^1]);
    }

    private static async Task<string> SubmitAsync(Serve serve)
    {
        var response = await serve.Http.PostAsJsonAsync("/api/v1/runs", new { recipe = "again", input = new { } });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("job_id").GetString()!;
    }

    private sealed record StepRecord(string TaskId, string Step, int Pid, int Pgid, long StartTime, string BootId);

    private string StepsDir() => Path.Combine(_dir.DataDir, "steps");

    /// <summary>The running step's record; the host writes it just after the step starts, so it may trail the step's first output.</summary>
    private async Task<StepRecord> ReadRecordAsync()
    {
        await ServeTests.EventuallyAsync(() => Task.FromResult(Directory.Exists(StepsDir()) && Directory.GetFiles(StepsDir(), "*.json").Length == 1),
            "the step's record in <data-dir>/steps");
        var record = JsonSerializer.Deserialize<StepRecord>(File.ReadAllText(Directory.GetFiles(StepsDir(), "*.json").Single()))!;
        _groups.Add(record.Pgid);
        Assert.True(StartTime(record.Pid) == record.StartTime, "the record should carry the step's kernel start time");
        return record;
    }

    /// <summary>The kernel start time (field 22 of /proc/&lt;pid&gt;/stat) of a live, non-zombie process; null otherwise.</summary>
    private static long? StartTime(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return fields[0] == "Z" ? null : long.Parse(fields[19]);
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static string CommandLine(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' '); }
        catch (IOException) { return ""; }
    }

    /// <summary>Live (non-zombie) processes of the process group.</summary>
    private static List<int> GroupMembers(int pgid)
    {
        var members = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields[0] != "Z" && fields[2] == pgid.ToString()) members.Add(pid);
            }
            catch (IOException)
            {
                // Gone while listing.
            }
        }
        return members;
    }

    /// <summary>Alive means it exists and is not a zombie (a killed orphan may wait to be reaped).</summary>
    private static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static void Kill(int pidOrNegativeGroup)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill")
        {
            ArgumentList = { "-s", "KILL", "--", pidOrNegativeGroup.ToString() },
            UseShellExecute = false, RedirectStandardError = true,
        })!;
        kill.WaitForExit();
    }
}
