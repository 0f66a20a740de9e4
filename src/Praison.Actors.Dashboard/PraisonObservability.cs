using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Praison.Actors.Dashboard;

/// <summary>
/// Metrics, traces and health endpoints for a host of a <see cref="BackgroundRunner"/>:
/// <code>
/// builder.Services.AddPraisonObservability();
/// app.MapPraisonObservability();   // /metrics, /health/live, /health/ready
/// </code>
/// </summary>
public static class PraisonObservability
{
    /// <summary>The Prometheus text endpoint.</summary>
    public const string MetricsPath = "/metrics";
    /// <summary>Liveness: the process answers and its actor system runs.</summary>
    public const string LivePath = "/health/live";
    /// <summary>
    /// Readiness: the store can be read and takes writes, and the runner has recovered the stored tasks; on a cluster
    /// node, with <c>AddHealthChecks().AddPraisonClusterMember()</c> (Praison.Actors.Cluster), also that the node is Up.
    /// </summary>
    public const string ReadyPath = "/health/ready";
    /// <summary>The environment variable that turns on the OTLP exporter (the OpenTelemetry SDK reads the rest: protocol, headers).</summary>
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>The tag of the checks <see cref="ReadyPath"/> runs; tag a check of your own with it to add it to readiness.</summary>
    public const string ReadyTag = "ready";
    private const string LiveTag = "live";

    /// <summary>
    /// OpenTelemetry for the <c>Praison.Actors</c> meter and activity source: a Prometheus exporter for
    /// <see cref="MetricsPath"/>, and OTLP (metrics and traces) when <see cref="OtlpEndpointVariable"/> is set; plus the
    /// health checks behind <see cref="LivePath"/> and <see cref="ReadyPath"/>. Needs a <see cref="BackgroundRunner"/>
    /// in the services when the checks run.
    /// </summary>
    public static IServiceCollection AddPraisonObservability(this IServiceCollection services)
    {
        var otel = services.AddOpenTelemetry()
            .WithMetrics(m => m.AddMeter(PraisonTelemetry.Name).AddPrometheusExporter())
            .WithTracing(t => t.AddSource(PraisonTelemetry.Name));
        if (!string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(OtlpEndpointVariable))) otel.UseOtlpExporter();
        services.AddHealthChecks()
            .AddCheck<ActorSystemHealthCheck>("actor-system", tags: [LiveTag, ReadyTag])
            .AddCheck<StoreHealthCheck>("store", tags: [ReadyTag]);
        return services;
    }

    /// <summary>Maps <see cref="MetricsPath"/>, <see cref="LivePath"/> and <see cref="ReadyPath"/> (JSON bodies; 503 when unhealthy).</summary>
    public static IEndpointRouteBuilder MapPraisonObservability(this IEndpointRouteBuilder app)
    {
        app.MapPrometheusScrapingEndpoint(MetricsPath);
        app.MapHealthChecks(LivePath, new HealthCheckOptions { Predicate = c => c.Tags.Contains(LiveTag), ResponseWriter = WriteAsync });
        app.MapHealthChecks(ReadyPath, new HealthCheckOptions { Predicate = c => c.Tags.Contains(ReadyTag), ResponseWriter = WriteAsync });
        return app;
    }

    private static Task WriteAsync(HttpContext http, HealthReport report)
    {
        http.Response.ContentType = "application/json";
        return http.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            status = report.Status.ToString().ToLowerInvariant(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new
            {
                status = e.Value.Status.ToString().ToLowerInvariant(),
                description = e.Value.Description,
            }),
        }));
    }
}

/// <summary>Live while the runner's actor system has not terminated.</summary>
internal sealed class ActorSystemHealthCheck(BackgroundRunner runner) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(runner.System.WhenTerminated.IsCompleted
            ? HealthCheckResult.Unhealthy($"The actor system {runner.System.Name} has terminated.")
            : HealthCheckResult.Healthy($"The actor system {runner.System.Name} runs."));
}

/// <summary>
/// Ready when the store can be read (an indexed count of the task table) and takes writes (the supervisor has seen no
/// write fail since the last success). The supervisor answers only once it has recovered the stored tasks (it does so
/// before its first message), so an answer also means recovery finished.
/// </summary>
internal sealed class StoreHealthCheck(BackgroundRunner runner) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            await runner.ListPageAsync(TaskQuery.All, 0, 0, timeout.Token);
            var writes = await runner.GetStoreHealthAsync(timeout.Token);
            return writes.Healthy
                ? HealthCheckResult.Healthy("The store answers reads and takes writes.")
                : HealthCheckResult.Unhealthy($"Writes to the store fail since {writes.Since:O}: {writes.LastError}");
        }
        catch (Exception ex) when (ex is TaskStoreException or TimeoutException or OperationCanceledException or Akka.Actor.AskTimeoutException)
        {
            return HealthCheckResult.Unhealthy($"The store cannot be read: {ex.Message}");
        }
    }
}
