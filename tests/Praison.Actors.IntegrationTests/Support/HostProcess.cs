using Praison.Actors.TestSupport;

namespace Praison.Actors.IntegrationTests.Support;

/// <summary>The TestHost as a real child process: its stdout lines can be awaited; it can be SIGKILLed.</summary>
public sealed class HostProcess : IDisposable
{
    private readonly ChildProcess _process;

    private HostProcess(ChildProcess process) => _process = process;

    public static HostProcess Start(IEnumerable<string> args) => new(ChildProcess.Start("Praison.Actors.TestHost", args));

    public Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout) => _process.WaitForLineAsync(match, timeout);

    /// <summary>SIGKILL: no shutdown hooks, no flushing, the process is simply gone.</summary>
    public void Kill() => _process.Kill();

    /// <summary>Graceful stop: closing stdin makes the host dispose its runtime and exit.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        _process.CloseInput();
        await _process.WaitForExitAsync(timeout);
    }

    public void Dispose() => _process.Dispose();
}
