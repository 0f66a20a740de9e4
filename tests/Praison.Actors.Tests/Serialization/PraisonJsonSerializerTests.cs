using System.Text;
using Akka.Actor;
using Akka.Serialization;
using Praison.Actors.Messages;
using Praison.Actors.Serialization;
using Xunit;
using Xunit.Abstractions;

namespace Praison.Actors.Tests.Serialization;

public class PraisonJsonSerializerTests(ITestOutputHelper output) : RuntimeTestKit(output)
{
    private static readonly DateTimeOffset T = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);

    private static readonly TaskSpec Spec = new("abc", TaskKind.Recipe, "hello", "hello", "s1", "{\"q\":1}", null, 300_000, 3_600_000, 2, true);

    public static TheoryData<object> Messages() => new()
    {
        new TaskSubmitted(Spec, T),
        new TaskStarted(2, T),
        new TaskRequeued("restart", T),
        new TaskCompleted("{\"a\":1}", T),
        new TaskFailed(new TaskError(TaskErrorKind.Timeout, "late", "System.TimeoutException", "at x"), T),
        new TaskCancelled("by user", T),
        new CreateTask(Spec),
        new GetTaskStatus("abc"),
        new WaitForTask("abc"),
        new CancelTask("abc", "why"),
        new StartTask("abc"),
        new RemoveTask("abc", true),
        new TaskNotFound("abc"),
        new CancelReply("abc", true, BackgroundTaskStatus.Cancelled),
        new TaskRejected("abc", "full"),
        new ListTasks(new TaskQuery(BackgroundTaskStatus.Running, "s", "n")),
        new ClearTasks(true),
        new ClearReply(3),
        new TaskRemoved("abc"),
        new PassivateTask("abc", T),
        new TaskRetryScheduled(2, new TaskError(TaskErrorKind.Exception, "boom", "System.Exception"), T.AddSeconds(5), T),
        new TaskRetriesExhausted(3, new TaskError(TaskErrorKind.Timeout, "late"), T),
        new TaskSubmitted(Spec with { Retry = new RetryPolicy { MaxAttempts = 4, Backoff = RetryBackoff.Fixed, Jitter = true, RetryOn = RetryOn.Timeout } }, T),
        ReloadSchedules.Instance,
        new ScheduleChanged("nightly"),
        new ScheduleChangeSeen("nightly"),
    };

    [Theory]
    [MemberData(nameof(Messages))]
    public void Every_message_round_trips_through_the_json_serializer(object message)
    {
        var serializer = Sys.Serialization.FindSerializerFor(message);
        Assert.IsType<PraisonJsonSerializer>(serializer);
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, message);
        var back = Sys.Serialization.Deserialize(serializer.ToBinary(message), serializer.Identifier, manifest);
        Assert.Equal(message, back);
    }

    [Fact]
    public void Records_holding_task_snapshots_round_trip()
    {
        var info = new TaskStatusInfo("abc", TaskKind.Delegate, "n", null, "s", BackgroundTaskStatus.Running, T, T, null,
            new TaskProgress(0.5, "half", T), null, 1);
        var s = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(new TaskStatusReply(info));
        foreach (object m in new object[] { new TaskStatusReply(info), new TaskOutcome(info, "1"), new TaskAccepted(info), new TaskEnqueued(info, 3) })
        {
            var back = s.FromBinary(s.ToBinary(m), s.Manifest(m));
            Assert.Equal(System.Text.Json.JsonSerializer.Serialize(m), System.Text.Json.JsonSerializer.Serialize(back));
        }
    }

    [Fact]
    public void Actor_references_travel_as_paths()
    {
        var probe = CreateTestProbe();
        var s = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(new SubscribeTask("abc", probe.Ref));
        var back = (SubscribeTask)s.FromBinary(s.ToBinary(new SubscribeTask("abc", probe.Ref)), "c.sub");
        Assert.Equal(probe.Ref, back.Subscriber);
    }

    [Fact]
    public void Events_carry_short_manifests_and_no_clr_type_names()
    {
        var e = new TaskSubmitted(Spec, T);
        var s = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(e);
        Assert.Equal("ts", s.Manifest(e));
        var json = Encoding.UTF8.GetString(s.ToBinary(e));
        Assert.DoesNotContain("Praison", json);
        Assert.DoesNotContain("$type", json);
    }

    [Fact]
    public void An_event_stored_by_this_version_stays_readable()
    {
        // Written by version 0.1; if this breaks, existing journals can no longer be read.
        const string stored = """{"spec":{"taskId":"abc","kind":"recipe","name":"hello","recipeName":"hello","sessionId":"s1","inputJson":"{\u0022q\u0022:1}","timeoutMs":300000,"cleanupDelayMs":3600000,"recipeMaxConcurrent":2,"rerunOnRestart":true},"at":"2026-11-24T10:00:00+00:00"}""";
        var s = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(new TaskStarted(1, T));
        Assert.Equal(new TaskSubmitted(Spec, T), s.FromBinary(Encoding.UTF8.GetBytes(stored), "ts"));
        Assert.Equal(new TaskFailed(new TaskError(TaskErrorKind.Interrupted, "m"), T),
            s.FromBinary(Encoding.UTF8.GetBytes("""{"error":{"kind":"interrupted","message":"m"},"at":"2026-11-24T10:00:00+00:00"}"""), "tf"));
    }

    [Fact]
    public void A_submission_with_a_webhook_round_trips_and_one_stored_without_it_reads_with_none()
    {
        var s = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(new TaskStarted(1, T));
        var spec = Spec with { WebhookUrl = "https://example.com/hook", WebhookEvents = ["succeeded", "failed"] };
        var back = (TaskSubmitted)s.FromBinary(s.ToBinary(new TaskSubmitted(spec, T)), "ts");
        Assert.Equal("https://example.com/hook", back.Spec.WebhookUrl);
        Assert.Equal(["succeeded", "failed"], back.Spec.WebhookEvents!);

        const string stored = """{"spec":{"taskId":"abc","kind":"recipe","name":"hello","timeoutMs":1,"cleanupDelayMs":1},"at":"2026-11-24T10:00:00+00:00"}""";
        var old = (TaskSubmitted)s.FromBinary(Encoding.UTF8.GetBytes(stored), "ts");
        Assert.Null(old.Spec.WebhookUrl);
        Assert.Null(old.Spec.WebhookEvents);
    }

    [Fact]
    public void A_submission_with_a_schedule_name_round_trips_and_one_stored_without_it_reads_with_none()
    {
        var s = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(new TaskStarted(1, T));
        var back = (TaskSubmitted)s.FromBinary(s.ToBinary(new TaskSubmitted(Spec with { ScheduleName = "nightly" }, T)), "ts");
        Assert.Equal("nightly", back.Spec.ScheduleName);

        const string stored = """{"spec":{"taskId":"abc","kind":"recipe","name":"hello","timeoutMs":1,"cleanupDelayMs":1},"at":"2026-11-24T10:00:00+00:00"}""";
        var old = (TaskSubmitted)s.FromBinary(Encoding.UTF8.GetBytes(stored), "ts");
        Assert.Null(old.Spec.ScheduleName);
    }
}
