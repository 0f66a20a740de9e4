using Praison.Actors.Tasks;
using Xunit;

namespace Praison.Actors.Tests.Tasks;

/// <summary>The retry backoff of a failed write, and the store health a supervisor derives from its writes.</summary>
public class StoreHealthTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_backoff_starts_at_100_ms_and_doubles_up_to_30_s()
    {
        Assert.Equal(
            new[] { 100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 30000, 30000, 30000 },
            Enumerable.Range(1, 12).Select(n => (int)TaskWrites.Backoff(n).TotalMilliseconds));
        Assert.Equal(TimeSpan.FromSeconds(30), TaskWrites.Backoff(1000));
    }

    [Fact]
    public void The_store_is_failing_from_the_first_failure_until_a_write_succeeds_with_no_retry_left()
    {
        var health = new StoreHealthTracker();
        Assert.True(health.Snapshot().Healthy);

        health.Failed("a", "disk full", retried: true, T0);
        health.Failed("b", "still full", retried: true, T0.AddSeconds(1));
        Assert.True(health.AnyRetrying);
        Assert.Equal(new Messages.StoreHealth(false, "still full", T0), health.Snapshot());

        Assert.True(health.Succeeded("a"));
        Assert.False(health.Snapshot().Healthy);      // b still waits for its retry
        Assert.True(health.Succeeded("b"));
        Assert.Equal(new Messages.StoreHealth(true, null, null), health.Snapshot());
        Assert.False(health.AnyRetrying);
    }

    [Fact]
    public void A_refused_submission_marks_the_store_failing_without_holding_back_any_task()
    {
        var health = new StoreHealthTracker();
        health.Failed("a", "disk full", retried: false, T0);
        Assert.False(health.AnyRetrying);
        Assert.False(health.Snapshot().Healthy);
        Assert.False(health.Succeeded("c"));
        Assert.True(health.Snapshot().Healthy);
    }
}
