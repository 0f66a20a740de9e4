using System.Diagnostics.Metrics;

namespace Praison.Actors.Dashboard;

/// <summary>
/// Per-minute counts of finished tasks over the last hour for the overview's charts, read from the runtime's own
/// meter (<see cref="PraisonTelemetry"/>) with a <see cref="MeterListener"/>: no query over the store. It counts what
/// this process stored since it started.
/// </summary>
internal sealed class DashboardActivity : IDisposable
{
    public const int Minutes = 60;
    private readonly MeterListener _listener = new();
    private readonly TimeProvider _time;
    private readonly object _gate = new();
    private readonly long[] _completed = new long[Minutes];
    private readonly long[] _failed = new long[Minutes];
    private readonly long[] _cancelled = new long[Minutes];
    private readonly long[] _submitted = new long[Minutes];
    private long _minute; // the minute (since the epoch) that the newest bucket holds

    public DashboardActivity(TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _minute = Now();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == PraisonTelemetry.Name && Target(instrument.Name) is not null)
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            if (Target(instrument.Name) is { } buckets) Add(buckets, value);
        });
        _listener.Start();
    }

    private long[]? Target(string instrument) => instrument switch
    {
        "praison.tasks.completed" => _completed,
        "praison.tasks.failed" => _failed,
        "praison.tasks.cancelled" => _cancelled,
        "praison.tasks.submitted" => _submitted,
        _ => null,
    };

    private long Now() => _time.GetUtcNow().ToUnixTimeSeconds() / 60;

    private void Add(long[] buckets, long value)
    {
        lock (_gate)
        {
            Advance();
            buckets[_minute % Minutes] += value;
        }
    }

    /// <summary>Clears the buckets of minutes that passed without a measurement.</summary>
    private void Advance()
    {
        var now = Now();
        for (var m = _minute + 1; m <= now && m <= _minute + Minutes; m++)
        {
            var i = m % Minutes;
            _completed[i] = _failed[i] = _cancelled[i] = _submitted[i] = 0;
        }
        if (now > _minute) _minute = now;
    }

    /// <summary>The last hour, oldest minute first.</summary>
    public ActivityView Snapshot()
    {
        lock (_gate)
        {
            Advance();
            var minutes = new List<MinuteView>(Minutes);
            for (var m = _minute - Minutes + 1; m <= _minute; m++)
            {
                var i = ((m % Minutes) + Minutes) % Minutes;
                minutes.Add(new MinuteView(DateTimeOffset.FromUnixTimeSeconds(m * 60), _submitted[i], _completed[i], _failed[i], _cancelled[i]));
            }
            return new ActivityView(minutes);
        }
    }

    public void Dispose() => _listener.Dispose();
}

internal sealed record MinuteView(DateTimeOffset At, long Submitted, long Completed, long Failed, long Cancelled);

internal sealed record ActivityView(IReadOnlyList<MinuteView> Minutes);
