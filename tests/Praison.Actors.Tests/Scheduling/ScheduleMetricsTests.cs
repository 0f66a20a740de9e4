using Akka.Actor;
using Microsoft.Extensions.Time.Testing;
using Praison.Actors.Messages;
using Praison.Actors.Scheduling;
using Praison.Actors.Tests.Telemetry;
using Xunit;
using Xunit.Abstractions;

namespace Praison.Actors.Tests.Scheduling;

/// <summary>
/// <c>praison.schedule.fired</c> and <c>praison.schedule.lag</c> after known firings: time is a FakeTimeProvider, so
/// the lag of a slot looked at late is exact.
/// </summary>
public class ScheduleMetricsTests(ITestOutputHelper output) : RuntimeTestKit(output)
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(T0);

    [Fact]
    public async Task Each_fired_slot_is_counted_by_schedule_with_its_lag_from_the_slot_time()
    {
        using var metrics = new Metrics();
        var runner = CreateRunner(recipes: Recipes(("name: job\n", _ => Task.FromResult<object?>("done"))));
        var service = new ScheduleService(runner, ScheduleStore.For(null, Sys), _time, fires: true);
        service.Actor = Sys.ActorOf(SchedulerActor.Props(service));
        var name = "metrics-" + Guid.NewGuid().ToString("N")[..8];
        var handle = await service.ScheduleAsync(name, "job", "*/10s");

        long Fired() => metrics.PointsWhere("praison.schedule.fired", "praison.schedule", name).Sum(p => p.GetSumLong());
        (long Count, double Sum) Lag()
        {
            var points = metrics.PointsWhere("praison.schedule.lag", "praison.schedule", name);
            return (points.Sum(p => p.GetHistogramCount()), points.Sum(p => p.GetHistogramSum()));
        }

        _time.Advance(TimeSpan.FromSeconds(10));          // slot T0+10 s, looked at on time
        service.Actor.Tell(SchedulerTick.Instance);
        // The counter and the histogram are recorded one after the other by the firing thread: wait for both.
        await AwaitAssertAsync(() => Assert.Equal((1L, 1L, 0.0), (Fired(), Lag().Count, Lag().Sum)), Long);
        await AwaitAssertAsync(async () => Assert.Equal(T0.AddSeconds(20), (await handle.InfoAsync()).NextFireAt), Long);
        // The first run must have ended: with the default overlap (skip) a slot due while it still runs is skipped.
        var firstRun = SchedulePlanner.TaskIdFor(name, T0.AddSeconds(10));
        await AwaitAssertAsync(async () => Assert.Equal(BackgroundTaskStatus.Completed, (await runner.GetStatusAsync(firstRun)).Status), Long);

        _time.Advance(TimeSpan.FromSeconds(13));          // slot T0+20 s, looked at 3 s late
        service.Actor.Tell(SchedulerTick.Instance);
        await AwaitAssertAsync(() => Assert.Equal((2L, 2L, 3.0), (Fired(), Lag().Count, Lag().Sum)), Long);

        await service.TriggerAsync(name, CancellationToken.None); // a manual run counts too, reason "manual"
        Assert.Equal(3, Fired());
        Assert.Equal(1, metrics.PointsWhere("praison.schedule.fired", "praison.schedule", name, "reason", "manual").Sum(p => p.GetSumLong()));
    }
}
