using Praison.Actors.TestSupport;

namespace Praison.Actors.TestSupport;

/// <summary>A cluster node as a real child process: stdout lines can be awaited, commands written; it can be SIGKILLed.</summary>
public sealed class NodeProcess : IDisposable
{
    private readonly ChildProcess _process;

    private NodeProcess(string name, int port, ChildProcess process)
    {
        Name = name;
        Port = port;
        _process = process;
    }

    public string Name { get; }
    public int Port { get; }
    public string Address => $"akka.tcp://praison-actors@127.0.0.1:{Port}";
    public bool HasExited => _process.HasExited;

    /// <summary><paramref name="hocon"/>: configuration over the node's defaults (its PRAISON_NODE_HOCON), e.g. other downing timings.</summary>
    public static NodeProcess Start(string name, int port, string? seed, string connectionString, string log, int maxConcurrent, string? hocon = null)
    {
        var args = new List<string> { "--name", name, "--port", port.ToString(), "--connection", connectionString, "--log", log, "--max-concurrent", maxConcurrent.ToString() };
        if (seed is not null) args.AddRange(new[] { "--seed", seed });
        return new NodeProcess(name, port, ChildProcess.Start("Praison.Actors.ClusterNode", args,
            hocon is null ? null : new Dictionary<string, string> { ["PRAISON_NODE_HOCON"] = hocon }));
    }

    /// <summary>A node that finds the others through config discovery (no seed address given).</summary>
    public static NodeProcess StartWithDiscovery(string name, int port, IEnumerable<string> endpoints, string connectionString,
        string log, int maxConcurrent) =>
        new(name, port, ChildProcess.Start("Praison.Actors.ClusterNode", new[]
        {
            "--name", name, "--port", port.ToString(), "--connection", connectionString, "--log", log, "--max-concurrent", maxConcurrent.ToString(),
            "--discovery-endpoints", string.Join(',', endpoints),
        }));

    public void Send(string line) => _process.Send(line);

    /// <summary>Waits for the next stdout line that matches, and returns it.</summary>
    public Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout) => _process.WaitForLineAsync(match, timeout);

    /// <summary>SIGKILL: no shutdown hooks, no leaving the cluster; the process is simply gone.</summary>
    public void Kill() => _process.Kill();

    /// <summary>SIGTERM: the node runs CoordinatedShutdown (leaves, hands its shards off) and exits 0.</summary>
    public void Terminate() => _process.Terminate();

    public int ExitCode => _process.ExitCode;

    public Task WaitForExitAsync(TimeSpan timeout) => _process.WaitForExitAsync(timeout);

    /// <summary>Graceful leave: shards hand off, then the process exits.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        Send("stop");
        await WaitForLineAsync(l => l == "stopped", timeout);
        await _process.WaitForExitAsync(timeout);
    }

    public void Dispose() => _process.Dispose();
}
