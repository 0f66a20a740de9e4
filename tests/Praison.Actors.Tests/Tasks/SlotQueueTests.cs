using Praison.Actors.Tasks;
using Xunit;

namespace Praison.Actors.Tests.Tasks;

public class SlotQueueTests
{
    private static string[] Ids(List<(string TaskId, int Holder)> started) => started.Select(s => s.TaskId).ToArray();

    [Fact]
    public void Tasks_start_in_fifo_order_up_to_the_limit()
    {
        var q = new SlotQueue<int>(2);
        for (var i = 1; i <= 4; i++) Assert.True(q.Enqueue($"t{i}", null, null, i));
        Assert.Equal(new[] { "t1", "t2" }, Ids(q.StartNext()));
        Assert.Empty(q.StartNext());
        Assert.True(q.Remove("t2"));
        Assert.Equal(new[] { "t3" }, Ids(q.StartNext()));
        Assert.Equal((2, 1), (q.RunningCount, q.QueuedCount));
    }

    [Fact]
    public void A_recipe_at_its_cap_lets_other_recipes_pass_and_keeps_its_place()
    {
        var q = new SlotQueue<int>(5);
        q.Enqueue("a1", "a", 1, 0);
        q.Enqueue("a2", "a", 1, 0);
        q.Enqueue("b1", "b", null, 0);
        Assert.Equal(new[] { "a1", "b1" }, Ids(q.StartNext()));
        q.Enqueue("b2", "b", null, 0);
        Assert.Equal(new[] { "b2" }, Ids(q.StartNext()));
        q.Remove("a1");
        Assert.Equal(new[] { "a2" }, Ids(q.StartNext()));
    }

    [Fact]
    public void A_task_is_queued_once_and_removal_reports_what_it_did()
    {
        var q = new SlotQueue<string>(1);
        Assert.True(q.Enqueue("t", null, null, "first"));
        Assert.False(q.Enqueue("t", null, null, "second"));
        Assert.True(q.TryGetHolder("t", out var holder));
        Assert.Equal("first", holder);
        Assert.True(q.Remove("t"));
        Assert.False(q.Remove("t"));
        Assert.False(q.TryGetHolder("t", out _));
        Assert.Empty(q.StartNext());
    }
}
