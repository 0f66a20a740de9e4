using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace Praison.Actors.Cli.Tests;

/// <summary>
/// Built-in recipes read only under the host's root (--root, default the current directory), and steps stay in
/// their recipe folder unless they say allow_outside: true.
/// </summary>
public sealed class ContainmentTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Root => Path.Combine(_dir.Path, "root");

    private static string Message(CliResult r) =>
        r.Json().GetProperty("error") is var e && e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetProperty("message").GetString()!;

    [Fact]
    public async Task Word_count_reads_a_file_under_the_root()
    {
        _dir.Write("root/sub/words.txt", "one two three\n");

        var r = await CliProcess.RunAsync(_dir, "background", "run", "word-count", "-i", """{"path":"root/sub/words.txt"}""", "--root", Root, "--json");

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(3, r.Json().GetProperty("result").GetProperty("words").GetInt32());
    }

    [Fact]
    public async Task A_dot_dot_escape_from_the_root_is_refused_before_anything_is_stored()
    {
        _dir.Write("root/inside.txt", "x");
        _dir.Write("secret.txt", "top secret words");

        var r = await CliProcess.RunAsync(_dir, "background", "run", "word-count", "-i", """{"path":"root/../secret.txt"}""", "--root", Root, "--json");

        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains($"word-count: path '{Path.Combine(_dir.Path, "root/../secret.txt")}' is outside {Root}", Message(r));
        var list = await CliProcess.RunAsync(_dir, "background", "list", "--json");
        Assert.Equal(0, list.Json().GetArrayLength());
    }

    [Fact]
    public async Task A_symlink_out_of_the_root_is_refused()
    {
        var secret = _dir.Write("secret.txt", "top secret words");
        Directory.CreateDirectory(Root);
        File.CreateSymbolicLink(Path.Combine(Root, "link.txt"), secret);

        var r = await CliProcess.RunAsync(_dir, "background", "run", "word-count", "-i", """{"path":"root/link.txt"}""", "--root", Root, "--json");

        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains($"(resolves to '{secret}') is outside {Root}", Message(r));
    }

    [Fact]
    public async Task Hash_files_refuses_a_folder_outside_the_root_and_does_not_follow_a_symlink_out_of_it()
    {
        _dir.Write("root/tree/a.txt", "alpha");
        var secret = _dir.Write("secret.txt", "top secret");
        File.CreateSymbolicLink(Path.Combine(Root, "tree", "leak.txt"), secret);

        var outside = await CliProcess.RunAsync(_dir, "background", "run", "hash-files", "-i", """{"path":"."}""", "--root", Root, "--json");
        Assert.True(outside.ExitCode == 2, outside.ToString());
        Assert.Contains($"is outside {Root}", Message(outside));

        var r = await CliProcess.RunAsync(_dir, "background", "run", "hash-files", "-i", """{"path":"root/tree"}""", "--root", Root, "--json");
        Assert.True(r.ExitCode == 0, r.ToString());
        var files = r.Json().GetProperty("result").GetProperty("files").EnumerateArray().ToDictionary(f => f.GetProperty("path").GetString()!);
        Assert.True(files["a.txt"].TryGetProperty("sha256", out _));
        Assert.False(files["leak.txt"].TryGetProperty("sha256", out _));
        Assert.Contains("outside", files["leak.txt"].GetProperty("error").GetString());
    }

    [Fact]
    public async Task Dev_zero_is_refused_as_not_a_regular_file_in_process_and_through_serve()
    {
        var r = await CliProcess.RunAsync(_dir, "background", "run", "word-count", "-i", """{"path":"/dev/zero"}""", "--root", "/dev", "--json");
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("'/dev/zero' is not a regular file", Message(r));

        // Over HTTP nothing checks before the run: the run fails at once (not at its timeout) with the same reason.
        using var serve = await Serve.StartAsync(_dir, "--root", "/dev");
        var submitted = await serve.Http.PostAsJsonAsync("/api/v1/runs", new { recipe = "word-count", input = new { path = "/dev/zero" }, timeout_sec = 3600 });
        var id = (await submitted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("job_id").GetString()!;
        var run = await ServeTests.EventuallyStatusAsync(serve, id, "failed");
        Assert.Contains("not a regular file", run.GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_fifo_is_refused_rather_than_blocking_the_run()
    {
        Directory.CreateDirectory(Root);
        var fifo = Path.Combine(Root, "pipe");
        using (var mkfifo = Process.Start("mkfifo", [fifo])) await mkfifo.WaitForExitAsync();

        var r = await CliProcess.RunAsync(_dir, "background", "run", "word-count", "-i", """{"path":"root/pipe"}""", "--root", Root, "--json");

        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("is not a regular file", Message(r));
    }

    [Fact]
    public async Task A_file_over_64_MiB_is_refused_by_size()
    {
        Directory.CreateDirectory(Root);
        using (var big = File.Create(Path.Combine(Root, "big.txt"))) big.SetLength(64L * 1024 * 1024 + 1); // sparse: no disk used

        var r = await CliProcess.RunAsync(_dir, "background", "run", "word-count", "-i", """{"path":"root/big.txt"}""", "--root", Root, "--json");

        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("67,108,865 bytes, more than the limit of 67,108,864 bytes (64 MiB)", Message(r));
    }

    [Fact]
    public async Task A_root_that_is_not_a_folder_is_bad_input()
    {
        var r = await CliProcess.RunAsync(_dir, "background", "run", "hello", "--root", Path.Combine(_dir.Path, "nope"), "--json");

        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("--root", Message(r));
    }

    [Fact]
    public async Task A_relative_path_sent_through_serve_means_the_callers_directory()
    {
        // The server runs in one folder, the caller in another; both hold a words.txt.
        using var caller = new TempDir();
        _dir.Write("words.txt", "server file\n");
        caller.Write("words.txt", "the caller's own three\n");

        using (var serve = await Serve.StartAsync(_dir)) // root: the server's folder
        {
            var refused = await CliProcess.RunAsync(caller, "background", "run", "word-count", "-i", """{"path":"words.txt"}""", "--server", serve.Url.ToString(), "--json");
            Assert.True(refused.ExitCode == 1, refused.ToString());
            Assert.Contains($"'{Path.Combine(caller.Path, "words.txt")}' is outside {_dir.Path}", Message(refused));
        }

        var common = Path.GetDirectoryName(caller.Path)!;
        using var wide = await Serve.StartAsync(_dir, "--root", common);
        var r = await CliProcess.RunAsync(caller, "background", "run", "word-count", "-i", """{"path":"words.txt"}""", "--server", wide.Url.ToString(), "--json");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(4, r.Json().GetProperty("result").GetProperty("words").GetInt32());
        Assert.Equal(Path.Combine(caller.Path, "words.txt"), r.Json().GetProperty("result").GetProperty("source").GetString());
    }

    [Fact]
    public async Task A_step_working_dir_or_path_argument_outside_its_folder_is_refused_before_any_step_runs()
    {
        var outside = _dir.Write("outside.txt", "x");
        _dir.Write("recipes/escape/TEMPLATE.yaml", """
            name: escape
            steps:
              - name: harmless
                command: sh
                args: ["-c", "echo ran > ran.txt"]
              - name: reads outside
                command: cat
                args: ["{{input.file}}"]
            """);
        _dir.Write("recipes/wd/TEMPLATE.yaml", """
            name: wd
            steps:
              - name: up
                command: ls
                working_dir: ../..
            """);
        Directory.CreateDirectory(Path.Combine(_dir.Path, "recipes", "link"));
        _dir.Write("recipes/link/TEMPLATE.yaml", """
            name: link
            steps:
              - name: via symlink
                command: cat
                args: ["data.txt"]
            """);
        File.CreateSymbolicLink(Path.Combine(_dir.Path, "recipes", "link", "data.txt"), outside);

        var escape = await CliProcess.RunAsync(_dir, "background", "run", "escape", "-i", $$"""{"file":"{{outside}}"}""", "--json");
        Assert.True(escape.ExitCode == 1, escape.ToString());
        Assert.Contains($"Step 'reads outside': argument '{outside}' is outside {Path.Combine(_dir.Path, "recipes", "escape")}", Message(escape));
        Assert.Contains("allow_outside: true", Message(escape));
        Assert.False(File.Exists(Path.Combine(_dir.Path, "recipes", "escape", "ran.txt")), "no step runs when one is refused");

        var dotdot = await CliProcess.RunAsync(_dir, "background", "run", "escape", "-i", """{"file":"../../outside.txt"}""", "--json");
        Assert.True(dotdot.ExitCode == 1, dotdot.ToString());
        Assert.Contains("argument '../../outside.txt' is outside", Message(dotdot));

        var wd = await CliProcess.RunAsync(_dir, "background", "run", "wd", "--json");
        Assert.True(wd.ExitCode == 1, wd.ToString());
        Assert.Contains("Step 'up': working_dir", Message(wd));

        var link = await CliProcess.RunAsync(_dir, "background", "run", "link", "--json");
        Assert.True(link.ExitCode == 1, link.ToString());
        Assert.Contains($"argument 'data.txt' (resolves to '{outside}') is outside", Message(link));
    }

    [Fact]
    public async Task A_step_that_declares_allow_outside_may_name_paths_outside_its_folder()
    {
        var outside = _dir.Write("outside.txt", "from outside");
        _dir.Write("recipes/wide/TEMPLATE.yaml", """
            name: wide
            steps:
              - name: read
                command: cat
                args: ["{{input.file}}"]
                allow_outside: true
            """);

        var r = await CliProcess.RunAsync(_dir, "background", "run", "wide", "-i", $$"""{"file":"{{outside}}"}""", "--json");

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("from outside\n", r.Json().GetProperty("result").GetProperty("steps")[0].GetProperty("output").GetString());
    }
}
