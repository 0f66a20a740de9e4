namespace Praison.Actors.TestSupport;

public static class FreePort
{
    // Below the kernel's ephemeral range (32768–60999 on Linux): ports there are handed to every bind(0) and every
    // outgoing connection (database pools, HTTP clients) of every process, so one picked there can be taken in the
    // seconds before a child process binds it. Test processes run side by side, so each picks at random.
    private const int Low = 20_000, High = 32_000;
    private static readonly object Gate = new();
    private static readonly HashSet<int> Given = new();

    /// <summary>A loopback port nobody listens on right now, never the same twice in this process.</summary>
    public static int Next()
    {
        lock (Gate)
        {
            for (var attempt = 0; attempt < 1_000; attempt++)
            {
                var port = Random.Shared.Next(Low, High);
                if (Given.Contains(port) || !Bindable(port)) continue;
                Given.Add(port);
                return port;
            }
            throw new InvalidOperationException($"No free loopback port in {Low}–{High} after 1,000 tries.");
        }
    }

    private static bool Bindable(int port)
    {
        var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
        try
        {
            l.Start();
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
        finally
        {
            l.Stop();
        }
    }
}

public static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> until it holds (the AwaitAssert pattern for state outside an actor system).</summary>
    public static async Task<T> UntilAsync<T>(Func<Task<T>> read, Func<T, bool> condition, TimeSpan timeout, string what)
    {
        using var cts = new CancellationTokenSource(timeout);
        T last = default!;
        while (!cts.IsCancellationRequested)
        {
            last = await read();
            if (condition(last)) return last;
            try { await Task.Delay(100, cts.Token); } catch (OperationCanceledException) { }
        }
        throw new TimeoutException($"{what}: not reached within {timeout}. Last: {last}");
    }
}
