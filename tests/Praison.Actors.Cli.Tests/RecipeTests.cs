using System.Security.Cryptography;
using System.Text;

namespace Praison.Actors.Cli.Tests;

/// <summary>Folder recipes with steps (output, progress, killing the process tree), built-ins, recipes list/show, clear.</summary>
public sealed class RecipeTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_folder_recipe_runs_its_steps_without_a_shell_with_env_working_dir_and_captured_output()
    {
        _dir.Write("recipes/greet/TEMPLATE.yaml", """
            name: greet
            steps:
              - name: say
                command: echo
                args: ["hello; not a shell", "{{input.who}}"]
              - name: where
                command: sh
                args: ["-c", "echo \"$GREETING from $(pwd)\"; echo to-stderr >&2"]
                env: { GREETING: hi }
                working_dir: sub
            """);
        Directory.CreateDirectory(Path.Combine(_dir.Path, "recipes/greet/sub"));

        var r = await CliProcess.RunAsync(_dir, "background", "run", "greet", "-i", """{"who":"Ada"}""", "--json");

        Assert.True(r.ExitCode == 0, r.ToString());
        var steps = r.Json().GetProperty("result").GetProperty("steps");
        Assert.Equal("hello; not a shell Ada\n", steps[0].GetProperty("output").GetString());
        // stdout and stderr are captured in arrival order; two pipes give no order between them.
        var lines = steps[1].GetProperty("output").GetString()!.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal([$"hi from {Path.Combine(_dir.Path, "recipes/greet/sub")}", "to-stderr"], lines.Order().ToArray());
        Assert.Equal(0, steps[1].GetProperty("exitCode").GetInt32());
        Assert.Contains("[ 50%] step 2/2: where", r.Stderr);
    }

    [Fact]
    public async Task A_failing_step_fails_the_run_with_its_exit_code_and_output()
    {
        _dir.Write("recipes/bad-step/TEMPLATE.yaml", """
            name: bad-step
            steps:
              - command: sh
                args: ["-c", "echo broken-thing >&2; exit 3"]
            """);

        var r = await CliProcess.RunAsync(_dir, "background", "run", "bad-step", "--json");

        Assert.True(r.ExitCode == 1, r.ToString());
        var message = r.Json().GetProperty("error").GetProperty("message").GetString();
        Assert.Contains("exited with code 3", message);
        Assert.Contains("broken-thing", message);
    }

    [Fact]
    public async Task Cancelling_a_step_kills_its_whole_process_tree()
    {
        var pidFile = Path.Combine(_dir.Path, "grandchild.pid");
        _dir.Write("recipes/tree/TEMPLATE.yaml", """
            name: tree
            steps:
              - name: spawn a grandchild
                command: sh
                args: ["-c", "sleep 300 & echo $! > \"$0\"; wait", "{{input.pidFile}}"]
                allow_outside: true   # the pid file lives in the test's folder, outside the recipe's
            """);
        using var run = CliProcess.Start(_dir, "background", "run", "tree", "-i", $$"""{"pidFile":"{{pidFile}}"}""", "--json");
        await run.WaitForLineAsync("step 1/1: spawn a grandchild");
        await ServeTests.EventuallyAsync(() => Task.FromResult(File.Exists(pidFile) && File.ReadAllText(pidFile).Trim().Length > 0),
            "the step to write its child's pid");
        var grandchild = int.Parse(File.ReadAllText(pidFile).Trim());
        Assert.True(IsAlive(grandchild), $"the grandchild {grandchild} should be running before the cancel");

        var r = await run.InterruptAsync();

        Assert.True(r.ExitCode == 3, r.ToString());
        await ServeTests.EventuallyAsync(() => Task.FromResult(!IsAlive(grandchild)), $"the grandchild {grandchild} to be killed");
    }

    /// <summary>Alive means it exists and is not a zombie (a killed child may wait a moment to be reaped).</summary>
    private static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    [Fact]
    public async Task Hash_files_hashes_every_file_and_skips_build_folders()
    {
        _dir.Write("tree/a.txt", "alpha");
        _dir.Write("tree/sub/b.txt", "beta");
        _dir.Write("tree/bin/skip.dll", "x");
        _dir.Write("tree/.git/HEAD", "x");

        var r = await CliProcess.RunAsync(_dir, "background", "run", "hash-files", "-i", """{"path":"tree"}""", "--json");

        Assert.True(r.ExitCode == 0, r.ToString());
        var result = r.Json().GetProperty("result");
        Assert.Equal(2, result.GetProperty("fileCount").GetInt32());
        var files = result.GetProperty("files").EnumerateArray().ToDictionary(f => f.GetProperty("path").GetString()!, f => f.GetProperty("sha256").GetString());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("alpha"))), files["a.txt"]);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("beta"))), files["sub/b.txt"]);
        // Progress is shown: the last report always (a watcher that subscribes late gets the current state, which
        // carries it); the per-file ones before it only when the watch began before they were made.
        Assert.Contains("[100%] 2 files hashed", r.Stderr);
    }

    [Fact]
    public async Task Word_count_counts_a_file()
    {
        _dir.Write("words.txt", "one two three\nfour five\n");
        var r = await CliProcess.RunAsync(_dir, "background", "run", "word-count", "-i", """{"path":"words.txt"}""", "--json");

        Assert.True(r.ExitCode == 0, r.ToString());
        var result = r.Json().GetProperty("result");
        Assert.Equal(5, result.GetProperty("words").GetInt32());
        Assert.Equal(2, result.GetProperty("lines").GetInt32());
    }

    [Fact]
    public async Task Recipes_list_and_show_describe_built_ins_folders_and_broken_folders()
    {
        _dir.Write("recipes/one/TEMPLATE.yaml", "name: one\ndescription: first\nsteps:\n  - command: echo\n");
        _dir.Write("recipes/bad/TEMPLATE.yaml", "name: bad\nsteps: nope\n");

        var list = await CliProcess.RunAsync(_dir, "recipes", "list", "--json");
        Assert.True(list.ExitCode == 0, list.ToString());
        var names = list.Json().GetProperty("recipes").EnumerateArray().Select(r => r.GetProperty("name").GetString()!).ToArray();
        Assert.Equal(["agents", "ask", "hash-files", "hello", "one", "sleep", "word-count"], names);
        var error = list.Json().GetProperty("errors")[0];
        Assert.Equal("bad", error.GetProperty("folder").GetString());
        Assert.Contains("TEMPLATE.yaml:2:8: steps: expected a list of steps", error.GetProperty("error").GetString());

        var show = await CliProcess.RunAsync(_dir, "recipes", "show", "one", "--json");
        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.Equal("steps", show.Json().GetProperty("kind").GetString());
        Assert.Equal("echo", show.Json().GetProperty("steps")[0].GetProperty("command").GetString());

        var missing = await CliProcess.RunAsync(_dir, "recipes", "show", "nope");
        Assert.Equal(2, missing.ExitCode);
    }

    [Fact]
    public async Task Clear_removes_finished_tasks_from_the_store()
    {
        Assert.Equal(0, (await CliProcess.RunAsync(_dir, "background", "run", "hello")).ExitCode);
        var pending = await CliProcess.RunAsync(_dir, "background", "submit", "-r", "hello", "--json");
        var pendingId = pending.Json().GetProperty("taskId").GetString();

        var clear = await CliProcess.RunAsync(_dir, "background", "clear", "--json");
        Assert.True(clear.ExitCode == 0, clear.ToString());
        Assert.Equal(1, clear.Json().GetProperty("removed").GetInt32());
        var left = (await CliProcess.RunAsync(_dir, "background", "list", "--json")).Json();
        Assert.Equal([pendingId!], left.EnumerateArray().Select(t => t.GetProperty("taskId").GetString()!).ToArray());

        var all = await CliProcess.RunAsync(_dir, "background", "clear", "--all", "--json");
        Assert.True(all.ExitCode == 0, all.ToString());
        Assert.Equal(0, (await CliProcess.RunAsync(_dir, "background", "list", "--json")).Json().GetArrayLength());
    }
}
