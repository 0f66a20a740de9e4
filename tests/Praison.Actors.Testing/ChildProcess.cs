using System.Diagnostics;
using System.Threading.Channels;

namespace Praison.Actors.TestSupport;

/// <summary>A test host as a real child process (dotnet DLL): its stdout lines can be awaited, lines written to its stdin; it can be SIGKILLed.</summary>
public sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly string _what;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly List<string> _seen = new();
    private readonly List<string> _stderr = new();
    private static readonly object ChildLogLock = new();

    private ChildProcess(Process process, string what)
    {
        _process = process;
        _what = what;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) _lines.Writer.TryComplete();
            else
            {
                _lines.Writer.TryWrite(e.Data);
                // PRAISON_CHILD_LOG=file: every child's stdout (node logs included) with a receive timestamp and its pid,
                // for timelines such as the failover measurement in docs/architecture.md §10.
                if (Environment.GetEnvironmentVariable("PRAISON_CHILD_LOG") is { Length: > 0 } f)
                    lock (ChildLogLock) File.AppendAllText(f, $"{DateTimeOffset.UtcNow:HH:mm:ss.fff} {process.Id} {e.Data}\n");
            }
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) _stderr.Add(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public bool HasExited => _process.HasExited;

    /// <summary>
    /// Starts the built DLL of the test project <paramref name="project"/> (e.g. "Praison.Actors.TestHost"), with
    /// <paramref name="environment"/> added to this process's environment.
    /// </summary>
    public static ChildProcess Start(string project, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(BuiltDll(project));
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) psi.Environment[key] = value;
        return new ChildProcess(Process.Start(psi) ?? throw new InvalidOperationException($"could not start {project}"), project);
    }

    /// <summary>Waits for the next stdout line that matches, and returns it.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await foreach (var line in _lines.Reader.ReadAllAsync(cts.Token))
            {
                _seen.Add(line);
                if (match(line)) return line;
            }
        }
        catch (OperationCanceledException)
        {
        }
        string err;
        lock (_stderr) err = string.Join(" | ", _stderr.TakeLast(20));
        throw new TimeoutException($"{_what} did not print the expected line within {timeout}. stdout: [{string.Join(" | ", _seen.TakeLast(20))}] stderr: [{err}]");
    }

    public void Send(string line)
    {
        _process.StandardInput.WriteLine(line);
        _process.StandardInput.Flush();
    }

    public void CloseInput() => _process.StandardInput.Close();

    public async Task WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
    }

    /// <summary>SIGTERM, as a container runtime or Kubernetes stops a process: the process may shut down gracefully.</summary>
    public void Terminate()
    {
        if (_process.HasExited) return;
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        kill.WaitForExit();
    }

    /// <summary>The exit code, once the process has exited.</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>SIGKILL: no shutdown hooks, no flushing, the process is simply gone.</summary>
    public void Kill()
    {
        if (!_process.HasExited) _process.Kill();
        _process.WaitForExit();
    }

    public void Dispose()
    {
        try { Kill(); } catch (InvalidOperationException) { }
        _process.Dispose();
    }

    /// <summary>tests/&lt;this test project&gt;/bin/&lt;Configuration&gt;/&lt;tfm&gt;/ → the same configuration's build of <paramref name="project"/>.</summary>
    private static string BuiltDll(string project)
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var tfm = here.Name;
        var configuration = here.Parent!.Name;
        var testsDir = here.Parent.Parent!.Parent!.Parent!.FullName;
        var dll = Path.Combine(testsDir, project, "bin", configuration, tfm, project + ".dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"Build the solution first: {project} is missing.", dll);
    }
}
