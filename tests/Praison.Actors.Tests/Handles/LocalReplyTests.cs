using Akka.Actor;
using Praison.Actors.Handles;
using Xunit;
using Xunit.Abstractions;

namespace Praison.Actors.Tests.Handles;

/// <summary>
/// The reply address of a submission to a local supervisor: answers reach it, a failure fails the wait, and a
/// target that never answers (dead, or too busy) ends the wait with Ask's own timeout error.
/// </summary>
public class LocalReplyTests(ITestOutputHelper output) : RuntimeTestKit(output)
{
    private IActorRefProvider Provider => ((ExtendedActorSystem)Sys).Provider;

    [Fact]
    public async Task The_answer_told_to_the_sender_completes_the_wait()
    {
        var target = CreateTestProbe();
        var answer = LocalReply.AskAsync(target.Ref, "question", Provider, Long, CancellationToken.None);

        target.ExpectMsg("question");
        target.LastSender.Tell("answer");

        Assert.Equal("answer", await answer);
    }

    [Fact]
    public async Task Without_a_timeout_the_wait_lasts_until_the_answer()
    {
        var target = CreateTestProbe();
        var answer = LocalReply.AskAsync(target.Ref, "question", Provider, timeout: null, CancellationToken.None);

        target.ExpectMsg("question");
        Assert.False(answer.IsCompleted);
        target.LastSender.Tell("late answer");

        Assert.Equal("late answer", await answer);
    }

    [Fact]
    public async Task A_status_failure_fails_the_wait_with_its_cause()
    {
        var target = CreateTestProbe();
        var answer = LocalReply.AskAsync(target.Ref, "question", Provider, Long, CancellationToken.None);

        target.ExpectMsg("question");
        target.LastSender.Tell(new Status.Failure(new InvalidOperationException("store down")));

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => answer);
        Assert.Equal("store down", ex.Message);
    }

    [Fact]
    public async Task A_dead_target_ends_the_wait_with_an_ask_timeout()
    {
        var target = CreateTestProbe();
        Watch(target.Ref);
        Sys.Stop(target.Ref);
        ExpectTerminated(target.Ref);

        var ex = await Assert.ThrowsAsync<AskTimeoutException>(() =>
            LocalReply.AskAsync(target.Ref, "question", Provider, TimeSpan.FromMilliseconds(200), CancellationToken.None));
        Assert.Contains("Timeout", ex.Message);
    }

    [Fact]
    public async Task The_callers_token_cancels_the_wait()
    {
        var target = CreateTestProbe();
        using var cts = new CancellationTokenSource();
        var answer = LocalReply.AskAsync(target.Ref, "question", Provider, Long, cts.Token);
        target.ExpectMsg("question");

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => answer);
    }

    [Fact]
    public async Task A_submission_to_a_stopped_runner_fails_with_an_ask_timeout()
    {
        var runner = new BackgroundRunner(Sys, new BackgroundRunnerOptions { ActorName = "stopped-tasks", AskTimeout = TimeSpan.FromMilliseconds(300) });
        Watch(runner.Router);
        Sys.Stop(runner.Router);
        ExpectTerminated(runner.Router);

        await Assert.ThrowsAsync<AskTimeoutException>(() => runner.SubmitAsync(_ => Task.CompletedTask));
    }

    [Fact]
    public void New_task_ids_are_uuid_v7_text_in_time_order()
    {
        var ids = Enumerable.Range(0, 1000).Select(_ => BackgroundRunner.NewTaskId()).ToList();

        Assert.All(ids, id =>
        {
            Assert.Matches("^[0-9a-f]{32}$", id);
            var guid = Guid.ParseExact(id, "N");
            Assert.Equal(7, guid.Version);
            Assert.Equal(id, guid.ToString("N"));
            Assert.InRange(id[16], '8', 'b'); // RFC 9562 variant
        });
        Assert.Equal(ids.Count, ids.Distinct().Count());
        // The first 12 hex digits are the Unix milliseconds: never decreasing.
        Assert.Equal(ids.Select(i => i[..12]).OrderBy(p => p, StringComparer.Ordinal), ids.Select(i => i[..12]));
        var ms = Convert.ToInt64(ids[^1][..12], 16);
        Assert.InRange(DateTimeOffset.FromUnixTimeMilliseconds(ms), DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));
    }
}
