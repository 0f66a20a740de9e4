using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using Praison.Actors.Benchmarks.Baselines;
using Praison.Actors.Benchmarks.Harness;
using Praison.Actors.Server;

namespace Praison.Actors.Benchmarks.Scenarios;

/// <summary>
/// Jobs submitted over HTTP: 32 concurrent clients POST praisonai's body (<c>{"prompt", "recipe_name"}</c>) to the
/// jobs API on a real Kestrel at 127.0.0.1, each waiting for its 202 before sending the next. Jobs/s and the submit
/// latency (request sent → 202 read) per run; beside it the same recipe submitted in-process
/// (<c>RunBackgroundAsync</c>) by 32 concurrent callers, so the HTTP cost shows.
/// </summary>
public sealed class HttpScenario : Scenario
{
    private const int Clients = 32;

    public override string Name => "http";

    public override async Task RunAsync(ScenarioResult result, HarnessOptions o, CancellationToken ct)
    {
        var jobs = o.Size(20_000, 2_000);
        result.Settings = $"{jobs} no-op recipe jobs per run from {Clients} concurrent clients, MaxConcurrentTasks = 5, {o.Runs} runs; " +
                          "http = POST /api/v1/runs over loopback (keep-alive connections), in-process = RunBackgroundAsync; " +
                          "submit latency is per request, p50 / p99 per run, then median (min–max) over runs.";
        var recipes = new RecipeRegistry().Register("name: noop\n", _ => Task.FromResult<object?>(null));
        foreach (var kind in Stores(result, o, "", StoreKind.Ephemeral, StoreKind.Sqlite, StoreKind.PostgreSql))
        {
            var name = Label(kind);
            for (var run = 0; run < o.Runs; run++)
            {
                await using (var store = await StoreUnderTest.CreateAsync(kind, o.PostgresConnectionString, ct))
                await using (var rt = await PraisonDriver.StartAsync(store.Store, 5, ct: ct, recipes: recipes))
                {
                    Settle();
                    var (rate, lat) = await MeasureAsync(jobs, async () =>
                    {
                        var h = await rt.Runner.RunBackgroundAsync("noop", new RecipeRunOptions { Input = new { prompt = "x" } }, ct);
                        if (!h.Created) throw new InvalidOperationException("a fresh submission came back as an existing task");
                    }, ct);
                    Record(result, $"{name} in-process", rate, lat);
                }
                await using (var store = await StoreUnderTest.CreateAsync(kind, o.PostgresConnectionString, ct))
                await using (var rt = await PraisonDriver.StartAsync(store.Store, 5, ct: ct, recipes: recipes))
                {
                    var builder = WebApplication.CreateSlimBuilder();
                    builder.WebHost.UseUrls("http://127.0.0.1:0");
                    builder.Logging.ClearProviders();
                    builder.Services.AddPraisonJobs(rt.Runner);
                    await using var app = builder.Build();
                    app.MapPraisonJobs();
                    await app.StartAsync(ct);
                    using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Clients })
                    {
                        BaseAddress = new Uri(app.Urls.First()),
                    };
                    var body = """{"prompt": "x", "recipe_name": "noop"}"""u8.ToArray();
                    Settle();
                    var (rate, lat) = await MeasureAsync(jobs, async () =>
                    {
                        using var content = new ByteArrayContent(body);
                        content.Headers.ContentType = new("application/json");
                        using var response = await http.PostAsync(PraisonJobsEndpoints.RunsPath, content, ct);
                        if (response.StatusCode != HttpStatusCode.Accepted)
                            throw new InvalidOperationException($"POST answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
                        await response.Content.ReadAsByteArrayAsync(ct);
                    }, ct);
                    Record(result, $"{name} http", rate, lat);
                    await app.StopAsync(ct);
                }
            }
            Progress($"http {name}: {Report.Num(result.Figure($"{name} http", "jobs/s", "jobs/s").Of(Side.Project)!.Median)} jobs/s over HTTP, " +
                     $"{Report.Num(result.Figure($"{name} in-process", "jobs/s", "jobs/s").Of(Side.Project)!.Median)} in-process");
        }
    }

    private static void Record(ScenarioResult result, string @case, double rate, double[] latency)
    {
        result.Figure(@case, "jobs/s", "jobs/s").Add(Side.Project, rate);
        result.Figure(@case, "submit p50", "µs").Add(Side.Project, Stats.Percentile(latency, 50));
        result.Figure(@case, "submit p99", "µs").Add(Side.Project, Stats.Percentile(latency, 99));
    }

    /// <summary><see cref="Clients"/> loops share <paramref name="jobs"/> submissions; returns jobs/s and the sorted latencies in µs.</summary>
    private static async Task<(double Rate, double[] Latency)> MeasureAsync(int jobs, Func<Task> submit, CancellationToken ct)
    {
        for (var i = 0; i < 100; i++) await submit(); // warm-up: JIT, connections, the store's first writes
        var latency = new double[jobs];
        var next = -1;
        var start = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < jobs)
            {
                ct.ThrowIfCancellationRequested();
                var t0 = Stopwatch.GetTimestamp();
                await submit();
                latency[i] = Stats.Microseconds(Stopwatch.GetTimestamp() - t0);
            }
        }, ct)));
        var seconds = Stats.Microseconds(Stopwatch.GetTimestamp() - start) / 1_000_000;
        Array.Sort(latency);
        return (jobs / seconds, latency);
    }
}
