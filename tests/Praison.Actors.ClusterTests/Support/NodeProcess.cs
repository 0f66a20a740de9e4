using System.Diagnostics;
using System.Threading.Channels;

namespace Praison.Actors.ClusterTests.Support;

/// <summary>A cluster node as a real child process: stdout lines can be awaited, commands written; it can be SIGKILLed.</summary>
public sealed class NodeProcess : IDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly List<string> _seen = new();
    private readonly List<string> _stderr = new();

    private NodeProcess(string name, int port, Process process)
    {
        Name = name;
        Port = port;
        _process = process;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) _lines.Writer.TryComplete();
            else _lines.Writer.TryWrite(e.Data);
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) _stderr.Add(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Name { get; }
    public int Port { get; }
    public string Address => $"akka.tcp://praison-actors@127.0.0.1:{Port}";
    public bool HasExited => _process.HasExited;

    public static NodeProcess Start(string name, int port, string? seed, string connectionString, string log, int maxConcurrent)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(NodeDll);
        var args = new List<string> { "--name", name, "--port", port.ToString(), "--connection", connectionString, "--log", log, "--max-concurrent", maxConcurrent.ToString() };
        if (seed is not null) args.AddRange(new[] { "--seed", seed });
        foreach (var a in args) psi.ArgumentList.Add(a);
        return new NodeProcess(name, port, Process.Start(psi) ?? throw new InvalidOperationException("could not start the cluster node"));
    }

    public void Send(string line)
    {
        _process.StandardInput.WriteLine(line);
        _process.StandardInput.Flush();
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
        throw new TimeoutException($"Node {Name} did not print the expected line within {timeout}. stdout: [{string.Join(" | ", _seen.TakeLast(20))}] stderr: [{err}]");
    }

    /// <summary>SIGKILL: no shutdown hooks, no leaving the cluster; the process is simply gone.</summary>
    public void Kill()
    {
        if (!_process.HasExited) _process.Kill();
        _process.WaitForExit();
    }

    /// <summary>Graceful leave: shards hand off, then the process exits.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        Send("stop");
        await WaitForLineAsync(l => l == "stopped", timeout);
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
    }

    public void Dispose()
    {
        try { Kill(); } catch (InvalidOperationException) { }
        _process.Dispose();
    }

    private static string NodeDll
    {
        get
        {
            // tests/Praison.Actors.ClusterTests/bin/<Configuration>/<tfm>/ → the ClusterNode's own output.
            var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            var tfm = here.Name;
            var configuration = here.Parent!.Name;
            var testsDir = here.Parent.Parent!.Parent!.Parent!.FullName;
            var dll = Path.Combine(testsDir, "Praison.Actors.ClusterNode", "bin", configuration, tfm, "Praison.Actors.ClusterNode.dll");
            return File.Exists(dll) ? dll : throw new FileNotFoundException("Build the solution first: the cluster node is missing.", dll);
        }
    }
}
