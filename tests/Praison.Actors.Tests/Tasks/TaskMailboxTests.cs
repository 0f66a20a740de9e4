using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Praison.Actors.Tasks;
using Xunit;
using Xunit.Abstractions;

namespace Praison.Actors.Tests.Tasks;

public class TaskMailboxTests(ITestOutputHelper output) : RuntimeTestKit(output)
{
    private static Envelope Message(object m) => new(m, ActorRefs.NoSender);

    private static List<object> Drain(TaskMessageQueue queue)
    {
        var all = new List<object>();
        while (queue.TryDequeue(out var e)) all.Add(e.Message);
        return all;
    }

    [Fact]
    public void Messages_come_out_in_the_order_they_went_in_with_put_back_ones_first()
    {
        var queue = new TaskMessageQueue();
        Assert.False(queue.HasMessages);
        for (var i = 1; i <= 10; i++) queue.Enqueue(ActorRefs.Nobody, Message(i)); // past the first 4 slots
        Assert.True(queue.TryDequeue(out var first));
        Assert.Equal(1, first.Message);
        // Unstash puts messages back newest first (EnqueueFirst in reverse), so they come out in their old order.
        queue.EnqueueFirst(Message("b"));
        queue.EnqueueFirst(Message("a"));
        Assert.Equal(11, queue.Count);
        Assert.Equal(new object[] { "a", "b", 2, 3, 4, 5, 6, 7, 8, 9, 10 }, Drain(queue));
        Assert.False(queue.HasMessages);
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public async Task Concurrent_senders_lose_nothing_and_each_sender_keeps_its_order()
    {
        const int senders = 4, each = 20_000;
        var queue = new TaskMessageQueue();
        using var start = new ManualResetEventSlim();
        var producers = Enumerable.Range(0, senders).Select(s => Task.Run(() =>
        {
            start.Wait();
            for (var i = 0; i < each; i++) queue.Enqueue(ActorRefs.Nobody, Message((s, i)));
        })).ToArray();
        var next = new int[senders];
        var received = 0;
        start.Set();
        // One reader, as a mailbox has, while the senders still write.
        while (received < senders * each)
        {
            if (!queue.TryDequeue(out var e))
            {
                Assert.False(producers.All(p => p.IsCompleted) && !queue.HasMessages, $"only {received} of {senders * each} arrived");
                continue;
            }
            var (sender, i) = ((int, int))e.Message;
            Assert.Equal(next[sender]++, i);
            received++;
        }
        await Task.WhenAll(producers);
        Assert.False(queue.HasMessages);
    }

    [Fact]
    public void Clean_up_hands_every_left_message_to_dead_letters()
    {
        var queue = new TaskMessageQueue();
        queue.Enqueue(ActorRefs.Nobody, Message(1));
        queue.EnqueueFirst(Message(0));
        var deadLetters = new TaskMessageQueue();
        queue.CleanUp(ActorRefs.Nobody, deadLetters);
        Assert.False(queue.HasMessages);
        Assert.Equal(new object[] { 0, 1 }, Drain(deadLetters));
    }

    [Fact]
    public void A_system_without_the_definition_gets_it_and_a_given_one_is_kept()
    {
        using var bare = ActorSystem.Create("bare", ConfigurationFactory.ParseString("akka.loglevel = WARNING"));
        Assert.False(bare.Settings.Config.HasPath(TaskMailbox.Path));
        TaskMailbox.EnsureDefined(bare);
        Assert.IsType<TaskMailbox>(bare.Mailboxes.Lookup(TaskMailbox.Path));

        const string own = "Akka.Dispatch.UnboundedDequeBasedMailbox, Akka";
        using var custom = ActorSystem.Create("custom", ConfigurationFactory.ParseString($"{TaskMailbox.Path}.mailbox-type = \"{own}\""));
        TaskMailbox.EnsureDefined(custom);
        Assert.IsType<UnboundedDequeBasedMailbox>(custom.Mailboxes.Lookup(TaskMailbox.Path));
    }

    [Fact]
    public void The_runtime_configuration_defines_it_so_nothing_is_injected_at_start()
    {
        var config = PraisonRuntime.BuildConfig(TaskStore.Ephemeral);
        Assert.Equal(typeof(TaskMailbox).AssemblyQualifiedName, config.GetString($"{TaskMailbox.Path}.mailbox-type"));
    }

    [Fact]
    public void A_stashing_actor_on_it_gets_its_stashed_messages_back_in_order()
    {
        var probe = CreateTestProbe();
        var actor = Sys.ActorOf(Props.Create(() => new Stasher(probe.Ref)).WithMailbox(TaskMailbox.Path));
        actor.Tell(1);
        actor.Tell(2);
        actor.Tell("open");
        actor.Tell(3);
        probe.ExpectMsg(1);
        probe.ExpectMsg(2);
        probe.ExpectMsg(3);
    }

    /// <summary>Stashes numbers until "open", then takes them all.</summary>
    private sealed class Stasher : UntypedActor, IWithUnboundedStash
    {
        private readonly IActorRef _to;
        private bool _open;

        public Stasher(IActorRef to) => _to = to;

        public IStash Stash { get; set; } = null!;

        protected override void OnReceive(object message)
        {
            if (message is "open")
            {
                _open = true;
                Stash.UnstashAll();
            }
            else if (!_open) Stash.Stash();
            else _to.Tell(message);
        }
    }
}
