using System.Diagnostics;
using Akka.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Praison.Actors.Benchmarks.Baselines;
using Praison.Actors.Benchmarks.Harness;

namespace Praison.Actors.Benchmarks.Scenarios;

/// <summary>
/// Webhook deliveries per second: N runs of a recipe that returns at once, each with a webhook to a Kestrel receiver on
/// loopback that answers 200 (signed with a secret; the receiver does not verify, so its own cost stays out). Timed from
/// the first submission to the N-th delivery received, so the figure is the whole path (submit, run, store the
/// outcome, claim the delivery, sign, POST, store the attempt); the notes give the runs' own rate for comparison.
/// </summary>
public sealed class WebhooksScenario : Scenario
{
    private static readonly Config Quiet = ConfigurationFactory.ParseString("akka.loglevel = WARNING\nakka.stdout-loglevel = WARNING");

    public override string Name => "webhooks";
    public override bool OptIn => true;

    public override async Task RunAsync(ScenarioResult result, HarnessOptions o, CancellationToken ct)
    {
        var n = o.Size(5_000, 500);
        result.Settings = $"{n:N0} runs per run with a webhook each, MaxConcurrentTasks 64, MaxConcurrentDeliveries 64, receiver answers 200; " +
                          $"{o.Runs} runs; figure = N / (first submit → N-th delivery received).";
        var received = 0;
        var all = new TaskCompletionSource();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        await using var app = builder.Build();
        var target = n;
        app.MapPost("/hook", () =>
        {
            if (Interlocked.Increment(ref received) == Volatile.Read(ref target)) all.TrySetResult();
            return Results.Ok();
        });
        await app.StartAsync(ct);
        var url = app.Urls.First() + "/hook";

        foreach (var kind in Stores(result, o, "", StoreKind.Ephemeral, StoreKind.Sqlite, StoreKind.PostgreSql))
        {
            var figure = result.Figure($"{Label(kind)} {n:N0} runs", "webhook deliveries per second", "/s");
            for (var run = 0; run < o.Runs; run++)
            {
                await using var store = await StoreUnderTest.CreateAsync(kind, o.PostgresConnectionString, ct);
                await using var rt = await PraisonRuntime.StartAsync(new PraisonRuntimeOptions
                {
                    Store = store.Store,
                    Config = Quiet,
                    SystemName = "bench-webhooks",
                    Runner = new BackgroundRunnerOptions
                    {
                        Recipes = new RecipeRegistry().Register("name: quick", _ => Task.FromResult<object?>(new { ok = true })),
                        MaxConcurrentTasks = 64,
                        Webhooks = new WebhookOptions { Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", AllowPrivateNetworks = true },
                    },
                }, ct);
                Settle();
                Interlocked.Exchange(ref received, 0);
                all = new TaskCompletionSource();
                var sw = Stopwatch.StartNew();
                var handles = await rt.Runner.RunBackgroundManyAsync("quick",
                    Enumerable.Range(0, n).Select(_ => (RecipeRunOptions?)new RecipeRunOptions { WebhookUrl = url }), ct);
                await rt.Runner.WaitAllAsync(handles, TimeSpan.FromMinutes(10), ct);
                var runsDone = sw.Elapsed;
                await all.Task.WaitAsync(o.RunTimeout, ct);
                var elapsed = sw.Elapsed;
                figure.Add(Side.Project, n / elapsed.TotalSeconds);
                result.Notes.Add($"{Label(kind)} run {run + 1}: runs finished at {runsDone.TotalSeconds:0.00} s ({n / runsDone.TotalSeconds:0} runs/s), " +
                                 $"last delivery at {elapsed.TotalSeconds:0.00} s.");
                Progress($"{Label(kind)}: {n / elapsed.TotalSeconds:0} deliveries/s");
            }
        }
        await app.StopAsync(ct);
    }
}
