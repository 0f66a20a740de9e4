using System.Diagnostics;
using System.Threading.Channels;

namespace Praison.Actors.IntegrationTests.Support;

/// <summary>The TestHost as a real child process: its stdout lines can be awaited; it can be SIGKILLed.</summary>
public sealed class HostProcess : IDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly List<string> _seen = new();

    private HostProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) _lines.Writer.TryComplete();
            else _lines.Writer.TryWrite(e.Data);
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Stderr.Add(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public List<string> Stderr { get; } = new();

    public static HostProcess Start(IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(HostDll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        return new HostProcess(Process.Start(psi) ?? throw new InvalidOperationException("could not start the test host"));
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
        throw new TimeoutException($"The test host did not print the expected line within {timeout}. stdout: [{string.Join(" | ", _seen)}] stderr: [{string.Join(" | ", Stderr.TakeLast(20))}]");
    }

    /// <summary>SIGKILL: no shutdown hooks, no flushing, the process is simply gone.</summary>
    public void Kill()
    {
        if (!_process.HasExited) _process.Kill();
        _process.WaitForExit();
    }

    /// <summary>Graceful stop: closing stdin makes the host dispose its runtime and exit.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        _process.StandardInput.Close();
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
    }

    public void Dispose()
    {
        try { Kill(); } catch (InvalidOperationException) { }
        _process.Dispose();
    }

    private static string HostDll
    {
        get
        {
            // tests/Praison.Actors.IntegrationTests/bin/<Configuration>/net10.0/ → the TestHost's own output.
            var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            var tfm = here.Name;
            var configuration = here.Parent!.Name;
            var testsDir = here.Parent.Parent!.Parent!.Parent!.FullName;
            var dll = Path.Combine(testsDir, "Praison.Actors.TestHost", "bin", configuration, tfm, "Praison.Actors.TestHost.dll");
            return File.Exists(dll) ? dll : throw new FileNotFoundException("Build the solution first: the test host is missing.", dll);
        }
    }
}
