namespace Praison.Actors.Cli.Tests;

/// <summary>The CLI's retries: a recipe's <c>runtime.retry</c>, status showing the attempts, and <c>background retry ID</c>.</summary>
public sealed class RetryCommandTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_recipe_with_runtime_retry_runs_again_after_a_failed_attempt_and_status_shows_the_attempts()
    {
        var marker = Path.Combine(_dir.Path, "failed-once");
        _dir.Write("recipes/flaky/TEMPLATE.yaml", $$"""
            name: flaky
            runtime:
              retry:
                max_attempts: 3
                backoff: fixed
                initial_delay_sec: 0
                retry_on: [failed]
            steps:
              - command: sh
                args: ["-c", "if [ -f '{{marker}}' ]; then echo second; else touch '{{marker}}'; echo first-broke >&2; exit 3; fi"]
            """);

        var run = await CliProcess.RunAsync(_dir, "background", "run", "flaky", "--json");
        Assert.True(run.ExitCode == 0, run.ToString());
        var id = run.Json().GetProperty("taskId").GetString()!;

        var status = (await CliProcess.RunAsync(_dir, "background", "status", id, "--json")).Json();
        Assert.Equal((2, 3), (status.GetProperty("attempt").GetInt32(), status.GetProperty("maxAttempts").GetInt32()));
        Assert.Contains("first-broke", status.GetProperty("attemptErrors")[0].GetProperty("message").GetString());
        var text = await CliProcess.RunAsync(_dir, "background", "status", id);
        Assert.Contains("2 of 3", text.Stdout);
    }

    [Fact]
    public async Task Retry_runs_a_failed_task_again_as_a_new_task_and_refuses_what_is_not_failed()
    {
        _dir.Write("recipes/broken/TEMPLATE.yaml", """
            name: broken
            steps:
              - command: sh
                args: ["-c", "exit 4"]
            """);
        var run = await CliProcess.RunAsync(_dir, "background", "run", "broken", "-s", "sess", "--json");
        Assert.True(run.ExitCode == 1, run.ToString());
        var id = run.Json().GetProperty("taskId").GetString()!;

        var retry = await CliProcess.RunAsync(_dir, "background", "retry", id, "--json");
        Assert.True(retry.ExitCode == 0, retry.ToString());
        var again = retry.Json();
        Assert.NotEqual(id, again.GetProperty("taskId").GetString());
        Assert.Equal(("pending", "sess", "broken"), (again.GetProperty("status").GetString(), again.GetProperty("sessionId").GetString(),
            again.GetProperty("recipe").GetString())); // stored; it runs when a host serves the data directory

        var pending = await CliProcess.RunAsync(_dir, "background", "retry", again.GetProperty("taskId").GetString()!);
        Assert.True(pending.ExitCode == 2, pending.ToString());
        Assert.Contains("only a failed or cancelled task", pending.Stderr);
        var missing = await CliProcess.RunAsync(_dir, "background", "retry", "no-such-task");
        Assert.True(missing.ExitCode == 6, missing.ToString());
    }

    [Fact]
    public async Task Retry_goes_through_serve_when_a_host_serves_the_data_directory()
    {
        _dir.Write("recipes/broken/TEMPLATE.yaml", "name: broken\nsteps:\n  - command: sh\n    args: [\"-c\", \"exit 5\"]\n");
        using var serve = await Serve.StartAsync(_dir);
        var submit = await CliProcess.RunAsync(_dir, "background", "submit", "-r", "broken", "--json");
        Assert.True(submit.ExitCode == 0, submit.ToString());
        var id = submit.Json().GetProperty("taskId").GetString()!;
        var wait = await CliProcess.RunAsync(_dir, "background", "wait", id, "--timeout", "60");
        Assert.True(wait.ExitCode == 1, wait.ToString()); // failed

        var retry = await CliProcess.RunAsync(_dir, "background", "retry", id, "--json");
        Assert.True(retry.ExitCode == 0, retry.ToString());
        var newId = retry.Json().GetProperty("taskId").GetString()!;
        Assert.NotEqual(id, newId);
        var second = await CliProcess.RunAsync(_dir, "background", "wait", newId, "--timeout", "60");
        Assert.True(second.ExitCode == 1, second.ToString()); // the host ran it (and it failed the same way)

        var missing = await CliProcess.RunAsync(_dir, "background", "retry", "no-such-task"); // a 404 through serve
        Assert.True(missing.ExitCode == 6, missing.ToString());
    }
}
