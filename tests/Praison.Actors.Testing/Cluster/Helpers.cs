namespace Praison.Actors.TestSupport;

public static class FreePort
{
    /// <summary>A loopback port nobody listens on right now.</summary>
    public static int Next()
    {
        var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        var port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
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
