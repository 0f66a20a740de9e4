using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace Praison.Actors.Benchmarks.Harness;

/// <summary>
/// Which types the allocations of a stretch of code go to, sampled in this process by the runtime's own
/// GCAllocationTick events (one about every 100 KB allocated, naming the type of the object that crossed the mark):
/// a sampling allocation profile without an external tracer. Shares are of the sampled bytes.
/// </summary>
public sealed class AllocationSampler : EventListener
{
    private const string RuntimeSource = "Microsoft-Windows-DotNETRuntime";
    private const long GcKeyword = 0x1;
    private readonly ConcurrentDictionary<string, long> _bytes = new();

    /// <summary>Sampled bytes by type name, largest first.</summary>
    public IReadOnlyList<(string Type, long Bytes)> ByType() =>
        _bytes.OrderByDescending(kv => kv.Value).Select(kv => (kv.Key, kv.Value)).ToList();

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == RuntimeSource) EnableEvents(source, EventLevel.Verbose, (EventKeywords)GcKeyword);
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (e.EventName?.StartsWith("GCAllocationTick", StringComparison.Ordinal) != true || e.PayloadNames is not { } names) return;
        var type = names.IndexOf("TypeName") is var t and >= 0 ? e.Payload![t] as string ?? "?" : "?";
        var amount = names.IndexOf("AllocationAmount64") is var a and >= 0 ? Convert.ToInt64(e.Payload![a]) : 100_000;
        _bytes.AddOrUpdate(type, amount, (_, sum) => sum + amount);
    }
}
