using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Npgsql;
using Praison.Actors.IntegrationTests.Support;

namespace Praison.Actors.Dashboard.Tests;

/// <summary>/health/live, /health/ready and /metrics of <see cref="PraisonObservability"/>.</summary>
public sealed class HealthTests
{
    private static async Task<(HttpStatusCode Status, JsonElement Body)> GetAsync(HttpClient http, string path)
    {
        var response = await http.GetAsync(path);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    [Fact]
    public async Task Live_and_ready_answer_healthy_and_metrics_are_prometheus_text()
    {
        await using var host = await DashboardHost.StartAsync();
        await (await host.Runner.RunBackgroundAsync("echo", new RecipeRunOptions { Input = 1 })).WaitAsync(TimeSpan.FromSeconds(30));

        var live = await GetAsync(host.Http, "/health/live");
        Assert.Equal(HttpStatusCode.OK, live.Status);
        Assert.Equal("healthy", live.Body.GetProperty("status").GetString());
        var ready = await GetAsync(host.Http, "/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.Status);
        Assert.Equal("healthy", ready.Body.GetProperty("checks").GetProperty("store").GetProperty("status").GetString());

        var metrics = await host.Http.GetStringAsync("/metrics");
        Assert.Contains("praison_tasks_completed", metrics);
        Assert.Contains("praison_recipe=\"echo\"", metrics);
    }

    [Fact]
    public async Task Both_fail_once_the_actor_system_has_terminated()
    {
        await using var host = await DashboardHost.StartAsync();
        await host.Runtime.System.Terminate();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await GetAsync(host.Http, "/health/live")).Status);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await GetAsync(host.Http, "/health/ready")).Status);
    }

    [PostgresFact]
    public async Task Ready_fails_while_the_store_is_unreachable_and_recovers_after()
    {
        await using var db = await PostgresTestStore.CreateAsync();
        await using var proxy = TcpProxy.Start(new NpgsqlConnectionStringBuilder(db.ConnectionString));
        var through = new NpgsqlConnectionStringBuilder(db.ConnectionString) { Host = "127.0.0.1", Port = proxy.Port, Timeout = 3 }.ToString();
        await using var host = await DashboardHost.StartAsync(store: TaskStore.PostgreSql(through));
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(host.Http, "/health/ready")).Status);

        proxy.Stop(); // every connection through it breaks, and new ones are refused
        var down = await GetAsync(host.Http, "/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.Status);
        Assert.Equal("unhealthy", down.Body.GetProperty("checks").GetProperty("store").GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(host.Http, "/health/live")).Status); // the process itself is fine

        proxy.Restart();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        HttpStatusCode status;
        while ((status = (await GetAsync(host.Http, "/health/ready")).Status) != HttpStatusCode.OK && DateTime.UtcNow < deadline)
            await Task.Delay(100); // polling the observable endpoint with a deadline (pooled connections are replaced)
        Assert.Equal(HttpStatusCode.OK, status);
    }
}

/// <summary>A loopback TCP forwarder the test can cut and restore, standing in for a store that goes away.</summary>
internal sealed class TcpProxy : IAsyncDisposable
{
    private readonly string _host;
    private readonly int _targetPort;
    private TcpListener? _listener;
    private CancellationTokenSource _cts = new();
    private readonly List<TcpClient> _open = [];

    private TcpProxy(string host, int targetPort)
    {
        _host = host;
        _targetPort = targetPort;
    }

    public int Port { get; private set; }

    public static TcpProxy Start(NpgsqlConnectionStringBuilder target)
    {
        var proxy = new TcpProxy(target.Host ?? "127.0.0.1", target.Port);
        proxy.Listen(0);
        return proxy;
    }

    private void Listen(int port)
    {
        _cts = new CancellationTokenSource();
        _listener = new TcpListener(IPAddress.Loopback, port);
        _listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _ = AcceptAsync(_listener, _cts.Token);
    }

    private async Task AcceptAsync(TcpListener listener, CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var client = await listener.AcceptTcpClientAsync(ct);
                var server = new TcpClient();
                await server.ConnectAsync(_host, _targetPort, ct);
                lock (_open) { _open.Add(client); _open.Add(server); }
                _ = PumpAsync(client, server, ct);
                _ = PumpAsync(server, client, ct);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException) { }
    }

    private static async Task PumpAsync(TcpClient from, TcpClient to, CancellationToken ct)
    {
        try { await from.GetStream().CopyToAsync(to.GetStream(), ct); }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or SocketException) { }
        finally { from.Close(); to.Close(); }
    }

    public void Stop()
    {
        _cts.Cancel();
        _listener?.Stop();
        lock (_open)
        {
            foreach (var c in _open) c.Close();
            _open.Clear();
        }
    }

    public void Restart() => Listen(Port);

    public ValueTask DisposeAsync()
    {
        Stop();
        return ValueTask.CompletedTask;
    }
}
