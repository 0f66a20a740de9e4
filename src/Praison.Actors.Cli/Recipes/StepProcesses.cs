using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Praison.Actors.Cli.Recipes;

/// <summary>
/// Makes a step's process tree die with its host, and cleans up after a host that died anyway.
/// <para>
/// Why a lifeline and not a parent-death signal: Process.Start runs no code between fork and exec, and
/// PR_SET_PDEATHSIG (<c>setpriv --pdeathsig</c>) fires when the forking <i>thread</i> exits (a retiring thread-pool
/// thread would kill a healthy step) and never reaches grandchildren; <c>systemd-run --scope</c> needs a running
/// systemd, which containers lack. Instead each step starts under <c>setsid</c> (its own session and process group,
/// so one <c>kill(-pgid)</c> reaches the whole tree) in a small <c>sh</c> wrapper whose stdin is a pipe only the
/// host holds the write end of (.NET opens it close-on-exec, so no other child inherits it). A watcher in the group
/// blocks reading that pipe; the kernel closes it however the host dies, even by SIGKILL, and on EOF the watcher
/// kills the group. The step itself gets /dev/null as stdin.
/// </para>
/// <para>
/// Belt and braces: each running step's pid (= its pgid) and kernel start time are recorded in
/// <c>&lt;data-dir&gt;/steps/&lt;taskId&gt;.json</c> (0600) until it ends, and <see cref="KillSurvivorsAsync"/> runs when
/// a host starts, before anything is rerun: a recorded group whose leader still has the recorded start time (so the
/// pid was not reused) is killed. A step that starts its own session (a daemon) leaves the group and is not covered.
/// </para>
/// </summary>
public static class StepProcesses
{
    // $1.. is the step's command line. fd 3 keeps the lifeline for the watcher; the step never sees it.
    private const string Wrapper = """
        exec 3<&0
        "$@" </dev/null 3<&- &
        step=$!
        { read -r _; kill -KILL 0; } <&3 >/dev/null 2>&1 &
        watcher=$!
        exec 3<&-
        wait "$step"
        rc=$?
        kill -KILL "$watcher" 2>/dev/null
        exit "$rc"
        """;

    private const int SigKill = 9;

    private static readonly string? Setsid = OperatingSystem.IsLinux() ? FindOnPath("setsid", Environment.GetEnvironmentVariable("PATH")) : null;

    /// <summary>
    /// Fills <paramref name="psi"/> to run <paramref name="command"/> (already resolved to a file) with
    /// <paramref name="args"/>, contained when the platform allows it; returns whether it is.
    /// </summary>
    public static bool Configure(ProcessStartInfo psi, string command, IEnumerable<string> args)
    {
        psi.ArgumentList.Clear();
        if (Setsid is null || !File.Exists("/bin/sh"))
        {
            psi.FileName = command;
            foreach (var a in args) psi.ArgumentList.Add(a);
            return false;
        }
        psi.FileName = Setsid;
        foreach (var a in (string[])["/bin/sh", "-c", Wrapper, "praison-step", command]) psi.ArgumentList.Add(a);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.RedirectStandardInput = true; // the lifeline: keep it open until the step has exited
        return true;
    }

    /// <summary>Kills a contained step's whole group, or the process tree of an uncontained one.</summary>
    public static void Kill(Process process, bool contained)
    {
        try
        {
            if (contained && !process.HasExited) KillProcess(-process.Id, SigKill);
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It exited in between.
        }
    }

    /// <summary>
    /// Records a started step under <paramref name="dataDir"/> until the returned handle is disposed (the step
    /// ended); null when there is nothing to record to.
    /// </summary>
    public static IDisposable? Record(string? dataDir, string taskId, Process process, string stepName)
    {
        if (dataDir is null || !OperatingSystem.IsLinux() || ReadStat(process.Id) is not { } stat) return null;
        var dir = Directory(dataDir);
        System.IO.Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var file = Path.Combine(dir, FileName(taskId));
        var record = new StepRecord(taskId, stepName, process.Id, process.Id, stat.StartTime, BootId());
        var temp = file + ".tmp";
        using (var stream = new FileStream(temp, new FileStreamOptions
               {
                   Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
               }))
            JsonSerializer.Serialize(stream, record);
        File.Move(temp, file, overwrite: true);
        return new Removal(file);
    }

    /// <summary>
    /// Kills every step group recorded in <paramref name="dataDir"/> whose leader is still the recorded process
    /// (same pid, same start time, same boot), waits until they are gone, and removes the records. Call it only
    /// while holding the data directory's host lock: every record is then left over from a host that died.
    /// </summary>
    public static async Task<IReadOnlyList<StepRecord>> KillSurvivorsAsync(string dataDir, TextWriter? log, CancellationToken ct)
    {
        var dir = Directory(dataDir);
        if (!OperatingSystem.IsLinux() || !System.IO.Directory.Exists(dir)) return [];
        var killed = new List<StepRecord>();
        foreach (var file in System.IO.Directory.EnumerateFiles(dir, "*.json"))
        {
            StepRecord? record;
            try
            {
                record = JsonSerializer.Deserialize<StepRecord>(File.ReadAllText(file));
            }
            catch (Exception ex) when (ex is JsonException or IOException)
            {
                record = null; // a torn write: the step it named died with the host that wrote it
            }
            if (record is not null && record.BootId == BootId() && IsSameProcess(record))
            {
                KillProcess(-record.Pgid, SigKill);
                await WaitUntilGoneAsync(record.Pgid, TimeSpan.FromSeconds(10), ct);
                killed.Add(record);
                log?.WriteLine($"Killed the leftover processes of step '{record.Step}' of task {record.TaskId} (process group {record.Pgid}) from a host that stopped abruptly.");
            }
            File.Delete(file);
        }
        return killed;
    }

    /// <summary>One recorded running step: its group leader's pid and kernel start time (clock ticks after boot).</summary>
    public sealed record StepRecord(string TaskId, string Step, int Pid, int Pgid, long StartTime, string BootId);

    private static bool IsSameProcess(StepRecord record) =>
        ReadStat(record.Pid) is { } stat && stat.StartTime == record.StartTime && stat.State != 'Z';

    /// <summary>Polls /proc until no live (non-zombie) process is left in the group.</summary>
    /// <remarks>SIGKILL is delivered asynchronously; a rerun must not start while the old group can still write.</remarks>
    private static async Task WaitUntilGoneAsync(int pgid, TimeSpan limit, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < limit && GroupMembers(pgid).Any())
            await Task.Delay(20, ct);
    }

    /// <summary>Live processes whose process group is <paramref name="pgid"/>.</summary>
    public static IEnumerable<int> GroupMembers(int pgid)
    {
        foreach (var entry in System.IO.Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            if (ReadStat(pid) is { State: not 'Z' } stat && stat.Pgrp == pgid) yield return pid;
        }
    }

    private readonly record struct Stat(char State, int Pgrp, long StartTime);

    /// <summary>Fields of /proc/&lt;pid&gt;/stat; the command name may hold spaces and parentheses, so parse after the last ')'.</summary>
    private static Stat? ReadStat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        // fields[0] is field 3 (state); field 5 is pgrp, field 22 is starttime.
        return fields.Length > 19
               && int.TryParse(fields[2], CultureInfo.InvariantCulture, out var pgrp)
               && long.TryParse(fields[19], CultureInfo.InvariantCulture, out var start)
            ? new Stat(fields[0][0], pgrp, start)
            : null;
    }

    private static string BootId()
    {
        try
        {
            return File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();
        }
        catch (IOException)
        {
            return "";
        }
    }

    private static string Directory(string dataDir) => Path.Combine(dataDir, "steps");

    /// <summary>A file name for a task id: ids are generated, but nothing unsafe gets into a path either way.</summary>
    private static string FileName(string taskId) =>
        string.Concat(taskId.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_')) + ".json";

    /// <summary>The executable <paramref name="name"/> names: a path (relative to <paramref name="workingDir"/>) or a PATH lookup.</summary>
    public static string? Resolve(string name, string workingDir, string? path)
    {
        if (name.Contains('/'))
        {
            var full = Path.GetFullPath(name, workingDir);
            return IsExecutable(full) ? full : null;
        }
        return FindOnPath(name, path);
    }

    private static string? FindOnPath(string name, string? path) =>
        (path ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name))
            .FirstOrDefault(IsExecutable);

    private static bool IsExecutable(string file) =>
        File.Exists(file) && (OperatingSystem.IsWindows() ||
            (File.GetUnixFileMode(file) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0);

    private sealed class Removal(string file) : IDisposable
    {
        public void Dispose()
        {
            try { File.Delete(file); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int KillProcess(int pid, int signal);
}
