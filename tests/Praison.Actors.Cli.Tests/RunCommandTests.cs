using System.Text.Json;

namespace Praison.Actors.Cli.Tests;

/// <summary>`background run` in-process: result, exit codes, --json shape, timeout, Ctrl+C, and reading it from a second process.</summary>
public sealed class RunCommandTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Run_json_prints_the_completed_task_with_taskId_status_and_result()
    {
        var r = await CliProcess.RunAsync(_dir, "background", "run", "hello", "-i", """{"name":"Ada"}""", "-s", "s1", "--json");

        Assert.True(r.ExitCode == 0, r.ToString());
        var json = r.Json();
        Assert.Matches("^[0-9a-f]{32}$", json.GetProperty("taskId").GetString());
        Assert.Equal("completed", json.GetProperty("status").GetString());
        Assert.Equal("hello", json.GetProperty("recipe").GetString());
        Assert.Equal("s1", json.GetProperty("sessionId").GetString());
        Assert.Equal(100, json.GetProperty("progress").GetProperty("percent").GetInt32());
        Assert.Equal("Hello, Ada!", json.GetProperty("result").GetProperty("greeting").GetString());
    }

    [Fact]
    public async Task A_task_past_its_timeout_exits_4_and_is_stored_failed_with_kind_timeout()
    {
        var r = await CliProcess.RunAsync(_dir, "background", "run", "sleep", "-i", """{"seconds":60}""", "--timeout", "1", "--json");

        Assert.True(r.ExitCode == 4, r.ToString());
        var json = r.Json();
        Assert.Equal("failed", json.GetProperty("status").GetString());
        Assert.Equal("timeout", json.GetProperty("error").GetProperty("kind").GetString());

        var status = await CliProcess.RunAsync(_dir, "background", "status", json.GetProperty("taskId").GetString()!, "--json");
        Assert.Equal("failed", status.Json().GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_failing_recipe_exits_1_with_its_error()
    {
        var r = await CliProcess.RunAsync(_dir, "background", "run", "word-count", "-i", """{"path":"no-such-file.txt"}""", "--json");

        Assert.True(r.ExitCode == 1, r.ToString());
        var json = r.Json();
        Assert.Equal("failed", json.GetProperty("status").GetString());
        Assert.Equal("exception", json.GetProperty("error").GetProperty("kind").GetString());
        Assert.Contains("no-such-file.txt", json.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task Ctrl_C_cancels_the_task_waits_until_the_cancel_is_stored_and_exits_3()
    {
        using var run = CliProcess.Start(_dir, "background", "run", "sleep", "-i", """{"seconds":120}""", "--json");
        var id = TaskId(await run.WaitForLineAsync(" submitted: sleep"));
        await run.WaitForLineAsync($"{id} running");

        var r = await run.InterruptAsync();

        Assert.True(r.ExitCode == 3, r.ToString());
        Assert.Equal("cancelled", r.Json().GetProperty("status").GetString());
        Assert.Contains("the cancellation is stored", r.Stderr);
        // Stored: a new process reads it from the store.
        var status = await CliProcess.RunAsync(_dir, "background", "status", id, "--json");
        Assert.Equal("cancelled", status.Json().GetProperty("status").GetString());
    }

    [Fact]
    public async Task Status_and_list_from_a_second_process_see_the_task_the_first_is_running()
    {
        using var run = CliProcess.Start(_dir, "background", "run", "sleep", "-i", """{"seconds":120}""", "-s", "shared");
        var id = TaskId(await run.WaitForLineAsync(" submitted: sleep"));
        await run.WaitForLineAsync($"{id} running");

        var status = await CliProcess.RunAsync(_dir, "background", "status", id, "--json");
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Equal("running", status.Json().GetProperty("status").GetString());
        Assert.Equal(id, status.Json().GetProperty("taskId").GetString());

        var list = await CliProcess.RunAsync(_dir, "background", "list", "--status", "running", "--session", "shared", "--json");
        Assert.Equal([id], list.Json().EnumerateArray().Select(t => t.GetProperty("taskId").GetString()!).ToArray());

        // A second host on the same store is refused instead of stealing (or failing) the first one's tasks.
        var second = await CliProcess.RunAsync(_dir, "background", "run", "hello");
        Assert.True(second.ExitCode == 8, second.ToString());
        Assert.Contains("is hosting the tasks in", second.Stderr);

        Assert.Equal(3, (await run.InterruptAsync()).ExitCode);
    }

    [Fact]
    public async Task Wait_from_another_process_returns_the_result_with_the_task_exit_code()
    {
        using var run = CliProcess.Start(_dir, "background", "run", "sleep", "-i", """{"seconds":2}""");
        var id = TaskId(await run.WaitForLineAsync(" submitted: sleep"));

        var wait = await CliProcess.RunAsync(_dir, "background", "wait", id, "--timeout", "60", "--json");

        Assert.True(wait.ExitCode == 0, wait.ToString());
        Assert.Equal("completed", wait.Json().GetProperty("status").GetString());
        Assert.Equal(2, wait.Json().GetProperty("result").GetProperty("slept").GetDouble());
        Assert.Equal(0, (await run.WaitForExitAsync()).ExitCode);
    }

    [Fact]
    public async Task Wait_with_a_short_timeout_exits_5_and_leaves_the_task_alone()
    {
        using var run = CliProcess.Start(_dir, "background", "run", "sleep", "-i", """{"seconds":120}""");
        var id = TaskId(await run.WaitForLineAsync(" submitted: sleep"));
        await run.WaitForLineAsync($"{id} running");

        var wait = await CliProcess.RunAsync(_dir, "background", "wait", id, "--timeout", "1", "--json");

        Assert.True(wait.ExitCode == 5, wait.ToString());
        Assert.Equal("running", wait.Json().GetProperty("status").GetString());
        Assert.Equal(3, (await run.InterruptAsync()).ExitCode);
    }

    /// <summary>"Task {id} submitted: ..." → id.</summary>
    internal static string TaskId(string submittedLine) => submittedLine.Split(' ')[1];
}
