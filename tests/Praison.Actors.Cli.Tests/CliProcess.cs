using System.Diagnostics;
using System.Text.Json;

namespace Praison.Actors.Cli.Tests;

/// <summary>Where the built CLI is: the test project builds it (ProjectReference) and runs its dll with `dotnet`.</summary>
public static class CliBuild
{
    public static readonly string Dll = Locate();

    private static string Locate()
    {
        // tests/Praison.Actors.Cli.Tests/bin/<Configuration>/net10.0/ → the same configuration of the CLI.
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = here.Parent!.Name;
        var repo = here.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
        var dll = Path.Combine(repo, "src", "Praison.Actors.Cli", "bin", configuration, here.Name, "praison-actors.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"The CLI was not built at {dll}.", dll);
    }
}

/// <summary>A temporary folder per test (its data dir, recipes, files), deleted afterwards.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = Directory.CreateTempSubdirectory("praison-cli-test-").FullName;
        DataDir = System.IO.Path.Combine(Path, "data");
    }

    public string Path { get; }
    public string DataDir { get; }

    public string Write(string relative, string text)
    {
        var file = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(file)!);
        File.WriteAllText(file, text);
        return file;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>The outcome of a finished CLI process.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public JsonElement Json()
    {
        try
        {
            using var doc = JsonDocument.Parse(Stdout);
            return doc.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new Xunit.Sdk.XunitException($"stdout is not JSON ({ex.Message}).\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
        }
    }

    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

/// <summary>
/// One running `praison-actors` process. Output lines are collected as they come, and tests wait on them
/// (never on sleeps). Dispose kills the process tree if it still runs.
/// </summary>
public sealed class CliProcess : IDisposable
{
    /// <summary>
    /// A safety net, not the expected duration: tests wait for an event (an output line, the exit) and go on the
    /// moment it happens. A loaded machine (2 cores, several test runs at once) can take far longer than usual to
    /// start a process or stop an actor system, so the net is wide; it only decides how long a real hang takes to fail.
    /// </summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(3);

    private readonly Process _process;
    private readonly List<string> _stdout = new();
    private readonly List<string> _stderr = new();
    private readonly Lock _lock = new();
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Found)> _waiters = new();
    private readonly TaskCompletionSource _stdoutClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stderrClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private CliProcess(Process process) => _process = process;

    public int Pid => _process.Id;

    /// <summary>Starts the CLI with <paramref name="args"/> on <paramref name="dir"/>'s data directory.</summary>
    public static CliProcess Start(TempDir dir, params string[] args) => Start(dir, null, args);

    /// <summary>Starts the CLI after <paramref name="configure"/> adjusts the process (environment, user).</summary>
    public static CliProcess Start(TempDir dir, Action<ProcessStartInfo>? configure, params string[] args) =>
        Start(dir, configure, stdin: null, args);

    /// <summary>Runs the CLI to its end with <paramref name="stdin"/> as its standard input.</summary>
    public static async Task<CliResult> RunWithStdinAsync(TempDir dir, string stdin, params string[] args)
    {
        using var cli = Start(dir, null, stdin, args);
        return await cli.WaitForExitAsync();
    }

    private static CliProcess Start(TempDir dir, Action<ProcessStartInfo>? configure, string? stdin, string[] args)
    {
        // Through `env --default-signal=INT`: a test run started in the background (a non-interactive `cmd &`, as CI
        // scripts may do) has SIGINT ignored, the CLI would inherit that and never see the tests' Ctrl+C.
        var psi = new ProcessStartInfo("env")
        {
            WorkingDirectory = dir.Path,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        psi.ArgumentList.Add("--default-signal=INT");
        psi.ArgumentList.Add("dotnet");
        psi.ArgumentList.Add(CliBuild.Dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["PRAISON_DATA_DIR"] = dir.DataDir;
        psi.Environment.Remove("PRAISON_SERVER");
        foreach (var v in (string[])["PRAISON_API_URL", "PRAISON_JOBS_API_KEY", "PRAISONAI_JOBS_API_KEY"]) psi.Environment.Remove(v);
        psi.Environment["NO_COLOR"] = "1";
        configure?.Invoke(psi);
        var cli = new CliProcess(new Process { StartInfo = psi });
        cli._process.OutputDataReceived += (_, e) => cli.OnLine(e.Data, cli._stdout, cli._stdoutClosed);
        cli._process.ErrorDataReceived += (_, e) => cli.OnLine(e.Data, cli._stderr, cli._stderrClosed);
        cli._process.Start();
        if (stdin is not null) cli._process.StandardInput.Write(stdin);
        cli._process.StandardInput.Close();
        cli._process.BeginOutputReadLine();
        cli._process.BeginErrorReadLine();
        return cli;
    }

    /// <summary>Runs the CLI to its end.</summary>
    public static async Task<CliResult> RunAsync(TempDir dir, params string[] args)
    {
        using var cli = Start(dir, args);
        return await cli.WaitForExitAsync();
    }

    /// <summary>Runs the CLI to its end after <paramref name="configure"/> adjusts the process.</summary>
    public static async Task<CliResult> RunAsync(TempDir dir, Action<ProcessStartInfo> configure, params string[] args)
    {
        using var cli = Start(dir, configure, args);
        return await cli.WaitForExitAsync();
    }

    /// <summary>Runs the process as <paramref name="user"/> (via setpriv; the tests run as root, which ignores file modes).</summary>
    public static Action<ProcessStartInfo> AsUser(string user, string group) => psi =>
    {
        var command = new[] { psi.FileName }.Concat(psi.ArgumentList).ToList();
        psi.FileName = "setpriv";
        psi.ArgumentList.Clear();
        foreach (var a in (string[])[$"--reuid={user}", $"--regid={group}", "--clear-groups", .. command]) psi.ArgumentList.Add(a);
        psi.Environment["HOME"] = "/nonexistent";
        psi.Environment["DOTNET_CLI_HOME"] = "/tmp";
    };

    /// <summary>
    /// Ctrl+C on a <c>background run</c> whose task is running: waits for each step the CLI reports (it starts the
    /// cancel, the cancel is stored), then for the exit, so a slow machine only makes the test slower.
    /// </summary>
    public async Task<CliResult> InterruptAsync()
    {
        await SignalAsync("INT");
        await WaitForLineAsync("Cancelling task ");
        await WaitForLineAsync("the cancellation is stored");
        return await WaitForExitAsync();
    }

    private void OnLine(string? line, List<string> into, TaskCompletionSource closed)
    {
        if (line is null)
        {
            closed.TrySetResult();
            return;
        }
        List<TaskCompletionSource<string>> found = new();
        lock (_lock)
        {
            into.Add(line);
            foreach (var w in _waiters.Where(w => w.Match(line)).ToList())
            {
                _waiters.Remove(w);
                found.Add(w.Found);
            }
        }
        foreach (var f in found) f.TrySetResult(line);
    }

    /// <summary>The first line (stdout or stderr, past or future) that matches; fails with the output so far after the timeout.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan? timeout = null)
    {
        var found = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            var seen = _stdout.Concat(_stderr).FirstOrDefault(match);
            if (seen is not null) return seen;
            _waiters.Add((match, found));
        }
        var exited = _process.WaitForExitAsync();
        var limit = Task.Delay(timeout ?? DefaultTimeout);
        var first = await Task.WhenAny(found.Task, exited, limit);
        if (first == found.Task) return await found.Task;
        if (first == exited)
        {
            await Task.WhenAll(_stdoutClosed.Task, _stderrClosed.Task);
            if (found.Task.IsCompleted) return await found.Task;
        }
        throw new Xunit.Sdk.XunitException(
            $"No matching output line {(first == exited ? "before the process exited" : $"within {(timeout ?? DefaultTimeout).TotalSeconds} s")}.\n{Output()}");
    }

    public Task<string> WaitForLineAsync(string contains, TimeSpan? timeout = null) =>
        WaitForLineAsync(l => l.Contains(contains, StringComparison.Ordinal), timeout);

    public async Task<CliResult> WaitForExitAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            await Task.WhenAll(_stdoutClosed.Task, _stderrClosed.Task).WaitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"The CLI did not exit within {(timeout ?? DefaultTimeout).TotalSeconds} s.\n{Output()}");
        }
        lock (_lock) return new CliResult(_process.ExitCode, string.Join('\n', _stdout), string.Join('\n', _stderr));
    }

    /// <summary>Sends a POSIX signal (e.g. "INT" for Ctrl+C) to the process.</summary>
    public async Task SignalAsync(string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-s", signal, Pid.ToString() }, UseShellExecute = false })!;
        await kill.WaitForExitAsync();
        Assert.Equal(0, kill.ExitCode);
    }

    public string Output()
    {
        lock (_lock) return $"stdout:\n{string.Join('\n', _stdout)}\nstderr:\n{string.Join('\n', _stderr)}";
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        _process.Dispose();
    }
}
