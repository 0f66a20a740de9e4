using System.Net;
using System.Net.Sockets;
using Praison.Actors.Tests.Telemetry;
using Xunit;

namespace Praison.Actors.Tests.Webhooks;

/// <summary>Webhook instruments carry no task tag, so these tests run alone: nothing else delivers while they count.</summary>
[CollectionDefinition(nameof(WebhookMetricsCollection), DisableParallelization = true)]
public sealed class WebhookMetricsCollection;

/// <summary>
/// <c>praison.webhook.deliveries</c> (by outcome) and <c>praison.webhook.delivery.duration</c> after known deliveries
/// to a real HTTP receiver on loopback: one answered 500 then 200 (failed, then delivered), one answered 410 (given up).
/// </summary>
[Collection(nameof(WebhookMetricsCollection))]
public sealed class WebhookMetricsTests : IDisposable
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);
    private readonly HttpListener _listener = new();
    private readonly string _url;
    private int _flakyCalls;

    public WebhookMetricsTests()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        _url = $"http://127.0.0.1:{port}/";
        _listener.Prefixes.Add(_url);
        _listener.Start();
        _ = ServeAsync();
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext http;
            try { http = await _listener.GetContextAsync(); }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException) { return; }
            http.Response.StatusCode = http.Request.Url!.AbsolutePath switch
            {
                "/flaky" => Interlocked.Increment(ref _flakyCalls) == 1 ? 500 : 200,
                "/gone" => 410,
                _ => 404,
            };
            http.Response.Close();
        }
    }

    public void Dispose() => _listener.Close();

    [Fact]
    public async Task Deliveries_are_counted_by_outcome_and_timed()
    {
        using var metrics = new Metrics();
        long Outcome(string outcome) => metrics.PointsWhere("praison.webhook.deliveries", "outcome", outcome).Sum(p => p.GetSumLong());
        long Timed() => metrics.PointsWhere("praison.webhook.delivery.duration", null, null).Sum(p => p.GetHistogramCount());
        await using var rt = await PraisonRuntime.StartAsync(new PraisonRuntimeOptions
        {
            SystemName = "webhook-metrics",
            Runner = new BackgroundRunnerOptions
            {
                Webhooks = new WebhookOptions { AllowPrivateNetworks = true, FirstRetryDelay = TimeSpan.FromMilliseconds(50) },
            },
        });

        var flaky = await rt.Runner.SubmitAsync(_ => Task.FromResult(1), new TaskOptions { WebhookUrl = _url + "flaky" });
        var gone = await rt.Runner.SubmitAsync(_ => Task.FromResult(2), new TaskOptions { WebhookUrl = _url + "gone" });
        await flaky.WaitAsync(Long);
        await gone.WaitAsync(Long);

        await WaitUntil(() => Outcome("delivered") == 1 && Outcome("given_up") == 1, "one delivered and one given up");
        Assert.Equal(1, Outcome("failed"));  // the 500, retried
        Assert.Equal(3, Timed());            // three POSTs
        Assert.Equal(1, metrics.PointsWhere("praison.webhook.delivery.duration", "outcome", "delivered").Sum(p => p.GetHistogramCount()));
    }

    private static async Task WaitUntil(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Long;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("Never saw: " + what);
            await Task.Delay(20); // polling an observable condition with a deadline
        }
    }
}
