namespace Praison.Actors.Cli.Tests;

/// <summary>A running `praison-actors serve` on a free loopback port, and an HttpClient for it.</summary>
public sealed class Serve : IDisposable
{
    private Serve(CliProcess process, Uri url)
    {
        Process = process;
        Url = url;
        Http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(30) };
    }

    public CliProcess Process { get; }
    public Uri Url { get; }
    public HttpClient Http { get; }

    public static Task<Serve> StartAsync(TempDir dir, params string[] extraArgs) => StartAsync(dir, null, extraArgs);

    /// <summary>Starts serve after <paramref name="configure"/> adjusts the process (its environment).</summary>
    public static async Task<Serve> StartAsync(TempDir dir, Action<System.Diagnostics.ProcessStartInfo>? configure, params string[] extraArgs)
    {
        // Port 0: the OS picks a free port and serve prints the one it got.
        var process = CliProcess.Start(dir, configure, ["serve", "--urls", "http://127.0.0.1:0", .. extraArgs]);
        try
        {
            var line = await process.WaitForLineAsync("Listening on ");
            var url = line.Split(' ')[2];
            Assert.StartsWith("http://127.0.0.1:", url);
            return new Serve(process, new Uri(url));
        }
        catch
        {
            process.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Http.Dispose();
        Process.Dispose();
    }
}
