using System.Net;
using System.Text.Json;
using Praison.Actors.Webhooks;
using Xunit;

namespace Praison.Actors.Tests.Webhooks;

public class WebhookMessageTests
{
    private static readonly DateTimeOffset T = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);

    private static TaskStatusInfo Task(BackgroundTaskStatus status, TaskError? error = null) =>
        new("t1", TaskKind.Recipe, "r", "r", "s", status, T, T.AddSeconds(1), T.AddSeconds(3.5), null, error, 1);

    [Fact]
    public void The_signature_matches_the_standard_webhooks_example()
    {
        // The example of the Standard Webhooks specification (secret, id, timestamp, payload → signature).
        Assert.True(WebhookSecret.TryParse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", out var key));
        Assert.Equal("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
            WebhookMessage.Sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, """{"test": 2432232314}"""));
    }

    [Theory]
    [InlineData(BackgroundTaskStatus.Completed, null, "succeeded", "succeeded")]
    [InlineData(BackgroundTaskStatus.Failed, TaskErrorKind.Exception, "failed", "failed")]
    [InlineData(BackgroundTaskStatus.Failed, TaskErrorKind.Timeout, "failed", "timeout")]
    [InlineData(BackgroundTaskStatus.Cancelled, null, "cancelled", "cancelled")]
    public void Each_outcome_has_praisonais_status_and_our_event(BackgroundTaskStatus status, TaskErrorKind? kind, string praison, string ev)
    {
        var task = Task(status, kind is { } k ? new TaskError(k, "why") : null);
        Assert.Equal(ev, WebhookMessage.EventOf(task));
        using var body = JsonDocument.Parse(WebhookMessage.Body(task, status == BackgroundTaskStatus.Completed ? """{"a":1}""" : null));
        var root = body.RootElement;
        Assert.Equal("t1", root.GetProperty("job_id").GetString());
        Assert.Equal(praison, root.GetProperty("status").GetString());
        Assert.Equal(status.ToWireName(), root.GetProperty("task_status").GetString());
        Assert.Equal(2.5, root.GetProperty("duration_seconds").GetDouble());
        Assert.Equal("2026-11-24T10:00:03.5000000Z", root.GetProperty("completed_at").GetString());
        Assert.Equal("job." + ev, root.GetProperty("type").GetString());
        if (status == BackgroundTaskStatus.Completed) Assert.Equal(1, root.GetProperty("result").GetProperty("a").GetInt32());
        else Assert.Equal(JsonValueKind.Null, root.GetProperty("result").ValueKind);
    }

    [Theory]
    [InlineData(null, "cancelled", true)]
    [InlineData(new[] { "completed" }, "succeeded", true)]
    [InlineData(new[] { "completed" }, "failed", false)]
    [InlineData(new[] { "failed" }, "timeout", true)]
    [InlineData(new[] { "timeout" }, "failed", false)]
    [InlineData(new[] { "canceled" }, "cancelled", true)]
    [InlineData(new[] { "*" }, "failed", true)]
    public void The_events_list_selects_outcomes(string[]? events, string ev, bool wanted) =>
        Assert.Equal(wanted, WebhookMessage.Wants(events, ev));

    [Theory]
    [InlineData("127.0.0.1", false)]
    [InlineData("10.0.0.5", false)]
    [InlineData("172.16.3.4", false)]
    [InlineData("172.32.0.1", true)]
    [InlineData("192.168.1.1", false)]
    [InlineData("169.254.169.254", false)]
    [InlineData("100.64.0.1", false)]
    [InlineData("0.0.0.0", false)]
    [InlineData("224.0.0.1", false)]
    [InlineData("8.8.8.8", true)]
    [InlineData("::1", false)]
    [InlineData("fe80::1", false)]
    [InlineData("fd00::1", false)]
    [InlineData("::ffff:127.0.0.1", false)]
    [InlineData("2606:4700:4700::1111", true)]
    public void Only_public_addresses_pass_the_guard(string address, bool isPublic) =>
        Assert.Equal(isPublic, WebhookUrlGuard.IsPublic(IPAddress.Parse(address)));

    [Fact]
    public void A_private_url_passes_when_private_networks_are_allowed_and_a_bad_scheme_never_does()
    {
        Assert.Equal("http://127.0.0.1:5000/hook", WebhookUrlGuard.Check("http://127.0.0.1:5000/hook", allowPrivate: true).ToString());
        var ex = Assert.Throws<ArgumentException>(() => WebhookUrlGuard.Check("file:///etc/passwd", allowPrivate: true));
        Assert.Contains("file:///etc/passwd", ex.Message);
    }
}
