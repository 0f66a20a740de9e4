using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Praison.Actors.Tests.Telemetry;

/// <summary>
/// The <c>Praison.Actors</c> meter through OpenTelemetry's in-memory exporter. The meter is process-wide and other
/// tests run at the same time, so reads filter on a tag only the calling test uses (its recipe or schedule name).
/// </summary>
internal sealed class Metrics : IDisposable
{
    private readonly List<Metric> _exported = [];
    private readonly MeterProvider _provider;

    public Metrics() => _provider = Sdk.CreateMeterProviderBuilder().AddMeter(PraisonTelemetry.Name).AddInMemoryExporter(_exported).Build()!;

    /// <summary>Exports now and returns the points of <paramref name="name"/> tagged with <paramref name="recipe"/>.</summary>
    public List<MetricPoint> Points(string name, string recipe, string? tag = null, string? value = null) =>
        PointsWhere(name, "praison.recipe", recipe, tag, value);

    /// <summary>Exports now and returns the points of <paramref name="name"/> whose <paramref name="key"/> is <paramref name="owner"/> (and <paramref name="tag"/> is <paramref name="value"/>).</summary>
    public List<MetricPoint> PointsWhere(string name, string? key, object? owner, string? tag = null, string? value = null)
    {
        lock (_exported)
        {
            _exported.Clear();
            _provider.ForceFlush();
            var points = new List<MetricPoint>();
            foreach (var metric in _exported.Where(m => m.Name == name))
                foreach (ref readonly var point in metric.GetMetricPoints())
                {
                    var tags = new Dictionary<string, object?>();
                    foreach (var t in point.Tags) tags[t.Key] = t.Value;
                    if (key is not null && !Equals(tags.GetValueOrDefault(key), owner)) continue;
                    if (tag is not null && !Equals(tags.GetValueOrDefault(tag), value)) continue;
                    points.Add(point);
                }
            return points;
        }
    }

    public long Sum(string name, string recipe, string? tag = null, string? value = null) =>
        Points(name, recipe, tag, value).Sum(p => p.GetSumLong());

    public long Count(string name, string recipe) => Points(name, recipe).Sum(p => p.GetHistogramCount());

    public void Dispose() => _provider.Dispose();
}
