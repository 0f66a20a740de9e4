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
    [Fact]
    public void Caps_on_several_recipes_each_hold_back_only_their_own_tasks()
    {
        var q = new SlotQueue<int>(4);
        foreach (var id in new[] { "a1", "a2", "a3" }) q.Enqueue(id, "a", 2, 0);
        foreach (var id in new[] { "b1", "b2" }) q.Enqueue(id, "b", 1, 0);
        q.Enqueue("c1", null, null, 0);
        q.Enqueue("c2", null, null, 0);
        Assert.Equal(new[] { "a1", "a2", "b1", "c1" }, Ids(q.StartNext()));
        Assert.Equal((4, 3), (q.RunningCount, q.QueuedCount));

        // A freed global slot goes to the earliest task whose recipe has room: a3 and b2 are at their caps.
        Assert.True(q.Remove("c1"));
        Assert.Equal(new[] { "c2" }, Ids(q.StartNext()));

        // b's run ends: b2 may start, ahead of nothing else waiting; then a's run ends: a3.
        Assert.True(q.Remove("b1"));
        Assert.Equal(new[] { "b2" }, Ids(q.StartNext()));
        Assert.True(q.Remove("a1"));
        Assert.Equal(new[] { "a3" }, Ids(q.StartNext()));
        Assert.Equal((4, 0), (q.RunningCount, q.QueuedCount));
    }

    [Fact]
    public void Removing_the_head_of_a_capped_recipe_hands_its_place_to_the_recipes_next_task()
    {
        var q = new SlotQueue<int>(10);
        foreach (var id in new[] { "a1", "a2", "a3", "a4" }) q.Enqueue(id, "a", 1, 0);
        Assert.Equal(new[] { "a1" }, Ids(q.StartNext()));
        Assert.True(q.Remove("a2")); // the queued head
        Assert.False(q.TryGetHolder("a2", out _));
        Assert.Empty(q.StartNext());
        Assert.True(q.Remove("a1"));
        Assert.Equal(new[] { "a3" }, Ids(q.StartNext()));
        Assert.Equal((1, 1), (q.RunningCount, q.QueuedCount));
    }

    [Fact]
    public void Removing_a_queued_task_from_the_middle_keeps_the_order_of_the_rest()
    {
        var q = new SlotQueue<int>(1);
        for (var i = 1; i <= 5; i++) q.Enqueue($"t{i}", i % 2 == 0 ? "even" : "odd", null, i);
        Assert.Equal(new[] { "t1" }, Ids(q.StartNext()));
        Assert.True(q.Remove("t3"));
        Assert.True(q.Remove("t4"));
        var order = new List<string>();
        for (var running = "t1"; q.QueuedCount > 0;)
        {
            q.Remove(running);
            running = Assert.Single(q.StartNext()).TaskId;
            order.Add(running);
        }
        Assert.Equal(new[] { "t2", "t5" }, order);
    }

    [Fact]
    public void Removing_a_running_task_frees_both_its_global_slot_and_its_recipes_cap()
    {
        var q = new SlotQueue<string>(1);
        q.Enqueue("a1", "a", 1, "h1");
        q.Enqueue("a2", "a", 1, "h2");
        Assert.Equal(new[] { "a1" }, q.StartNext().Select(s => s.TaskId));
        Assert.True(q.TryGetHolder("a1", out var holder));
        Assert.Equal("h1", holder);
        Assert.True(q.Remove("a1"));
        Assert.False(q.Remove("a1"));
        Assert.Equal(new[] { ("a2", "h2") }, q.StartNext());
        Assert.Equal((1, 0), (q.RunningCount, q.QueuedCount));
    }

    [Fact]
    public void A_task_enqueued_again_after_removal_goes_to_the_back_with_its_new_holder()
    {
        var q = new SlotQueue<int>(1);
        q.Enqueue("x", "a", 1, 1);
        q.Enqueue("y", "b", null, 2);
        q.Enqueue("z", "a", 1, 3);
        Assert.True(q.Remove("x"));
        Assert.True(q.Enqueue("x", "a", 1, 4));
        Assert.True(q.TryGetHolder("x", out var holder));
        Assert.Equal(4, holder);
        var order = new List<(string, int)>();
        while (q.QueuedCount > 0)
        {
            var started = Assert.Single(q.StartNext());
            order.Add(started);
            q.Remove(started.TaskId);
        }
        Assert.Equal(new[] { ("y", 2), ("z", 3), ("x", 4) }, order);

        // A running task may be queued again too, once it has left its slot.
        q.Enqueue("r", null, null, 5);
        Assert.Equal(new[] { "r" }, Ids(q.StartNext()));
        Assert.False(q.Enqueue("r", null, null, 6));
        Assert.True(q.Remove("r"));
        Assert.True(q.Enqueue("r", null, null, 7));
        Assert.Equal(new[] { ("r", 7) }, q.StartNext());
    }

    [Fact]
    public void Tasks_of_one_recipe_queued_under_different_caps_each_follow_their_own_cap()
    {
        // A recipe redefined while tasks wait: each task keeps the cap it was queued with, as before.
        var q = new SlotQueue<int>(10);
        q.Enqueue("old1", "a", 1, 0);
        q.Enqueue("old2", "a", 1, 0);
        q.Enqueue("new1", "a", 3, 0);
        q.Enqueue("new2", "a", 3, 0);
        q.Enqueue("new3", "a", 3, 0);
        Assert.Equal(new[] { "old1", "new1", "new2" }, Ids(q.StartNext()));
        q.Remove("new1");
        Assert.Equal(new[] { "new3" }, Ids(q.StartNext()));
        q.Remove("old1");
        q.Remove("new2");
        q.Remove("new3");
        Assert.Equal(new[] { "old2" }, Ids(q.StartNext()));
    }

    [Fact]
    public void A_blocked_recipe_keeps_its_place_behind_later_free_tasks_and_starts_as_soon_as_its_run_ends()
    {
        var q = new SlotQueue<int>(2);
        q.Enqueue("a1", "a", 1, 0);
        Assert.Equal(new[] { "a1" }, Ids(q.StartNext()));
        for (var i = 2; i <= 1000; i++) q.Enqueue($"a{i}", "a", 1, 0);
        q.Enqueue("b1", "b", null, 0);
        q.Enqueue("b2", "b", null, 0);
        Assert.Equal(new[] { "b1" }, Ids(q.StartNext()));
        q.Remove("a1");
        q.Remove("b1");
        // a2 was queued before b2, so it goes first; a3 waits for a2.
        Assert.Equal(new[] { "a2", "b2" }, Ids(q.StartNext()));
        Assert.Equal(998, q.QueuedCount);
    }

    /// <summary>
    /// Random sequences of every operation, compared step by step with the original O(n) algorithm
    /// (ReferenceSlotQueue): the same answers, the same tasks started in the same order, the same counts.
    /// </summary>
    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 3)]
    [InlineData(3, 8)]
    [InlineData(4, 100)]
    public void Behaves_exactly_like_the_reference_algorithm_over_random_operations(int seed, int maxConcurrent)
    {
        var random = new Random(seed);
        for (var sequence = 0; sequence < 200; sequence++)
        {
            var fast = new SlotQueue<int>(maxConcurrent);
            var reference = new ReferenceSlotQueue<int>(maxConcurrent);
            var ids = Enumerable.Range(0, random.Next(3, 40)).Select(i => $"t{i}").ToArray();
            var running = new HashSet<string>();
            string?[] recipes = [null, "a", "b", "c"];
            int?[] caps = [null, 0, 1, 2, 3];
            for (var step = 0; step < 300; step++)
            {
                var id = ids[random.Next(ids.Length)];
                var op = random.Next(10);
                var what = $"seed {seed}, sequence {sequence}, step {step}";
                if (op < 4)
                {
                    var recipe = recipes[random.Next(recipes.Length)];
                    // Mostly one cap per recipe, as recipes have; sometimes another, as after a redefinition.
                    var cap = recipe is null ? null : random.Next(5) == 0 ? caps[random.Next(caps.Length)] : recipe.Length;
                    var holder = random.Next(1000);
                    Assert.True(reference.Enqueue(id, recipe, cap, holder) == fast.Enqueue(id, recipe, cap, holder), what);
                }
                else if (op < 7)
                {
                    var removed = reference.Remove(id);
                    Assert.True(removed == fast.Remove(id), what);
                    if (removed) running.Remove(id);
                }
                else
                {
                    var started = reference.StartNext();
                    Assert.Equal(started, fast.StartNext());
                    running.UnionWith(started.Select(s => s.TaskId));
                }

                Assert.True((reference.RunningCount, reference.QueuedCount) == (fast.RunningCount, fast.QueuedCount), what);
                var probe = ids[random.Next(ids.Length)];
                var known = reference.TryGetHolder(probe, out var expected);
                Assert.True(known == fast.TryGetHolder(probe, out var actual) && (!known || expected == actual), what);
            }
            // Drain: ending every run in turn must start the waiting tasks in the same order (a cap of 0 never starts).
            while (true)
            {
                foreach (var id in running) Assert.True(reference.Remove(id) && fast.Remove(id));
                running.Clear();
                var started = reference.StartNext();
                Assert.Equal(started, fast.StartNext());
                if (started.Count == 0) break;
                running.UnionWith(started.Select(s => s.TaskId));
            }
            Assert.Equal(reference.QueuedCount, fast.QueuedCount);
            foreach (var id in ids) Assert.True(reference.Remove(id) == fast.Remove(id));
            Assert.Equal((0, 0), (fast.RunningCount, fast.QueuedCount));
        }
    }
}
