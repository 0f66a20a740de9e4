namespace Praison.Actors.Cli.Tests;

/// <summary>
/// `background` flags praisonai's `background` has: -i TEXT / @FILE / - (stdin), --session-id, list --page/--page-size,
/// clear --older-than, `background help`.
/// </summary>
public sealed class BackgroundParityTests : IDisposable
{
    private readonly TempDir _dir = new();

    public BackgroundParityTests() =>
        // Echoes the input's "input" property, so a test sees exactly which input the task got.
        _dir.Write("recipes/echo-input/TEMPLATE.yaml", """
            name: echo-input
            steps:
              - command: echo
                args: ["{{input.input}}"]
            """);

    public void Dispose() => _dir.Dispose();

    private static string Echoed(CliResult r)
    {
        Assert.True(r.ExitCode == 0, r.ToString());
        return r.Json().GetProperty("result").GetProperty("steps")[0].GetProperty("output").GetString()!;
    }

    [Fact]
    public async Task Text_that_is_not_JSON_is_taken_as_the_input_property()
    {
        var r = await CliProcess.RunAsync(_dir, "background", "run", "echo-input", "-i", "two words", "--json");
        Assert.Equal("two words\n", Echoed(r));
    }

    [Fact]
    public async Task At_file_reads_the_input_from_a_file_as_JSON_or_as_text()
    {
        _dir.Write("in.json", """{"input": "from a JSON file"}""");
        _dir.Write("in.txt", "from a text file\n");

        Assert.Equal("from a JSON file\n", Echoed(await CliProcess.RunAsync(_dir, "background", "run", "echo-input", "-i", "@in.json", "--json")));
        Assert.Equal("from a text file\n", Echoed(await CliProcess.RunAsync(_dir, "background", "run", "echo-input", "-i", "@in.txt", "--json")));
    }

    [Fact]
    public async Task Dash_reads_the_input_from_stdin()
    {
        var r = await CliProcess.RunWithStdinAsync(_dir, "from stdin\n", "background", "run", "echo-input", "-i", "-", "--json");
        Assert.Equal("from stdin\n", Echoed(r));
    }

    [Fact]
    public async Task A_missing_input_file_exits_2_naming_it_and_stores_nothing()
    {
        var r = await CliProcess.RunAsync(_dir, "background", "run", "echo-input", "-i", "@no-such.json");
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("@no-such.json", r.Stderr);
        Assert.False(Directory.Exists(_dir.DataDir) && Directory.EnumerateFileSystemEntries(_dir.DataDir).Any(f => f.EndsWith(".db")));
    }

    [Fact]
    public async Task Session_id_is_an_alias_of_session_on_submit_and_list()
    {
        var submitted = await CliProcess.RunAsync(_dir, "background", "submit", "--recipe", "hello", "--session-id", "s7", "--json");
        Assert.True(submitted.ExitCode == 0, submitted.ToString());
        Assert.Equal("s7", submitted.Json().GetProperty("sessionId").GetString());
        await CliProcess.RunAsync(_dir, "background", "submit", "--recipe", "hello", "--session-id", "other");

        var list = await CliProcess.RunAsync(_dir, "background", "list", "--session-id", "s7", "--json");
        Assert.Equal([submitted.Json().GetProperty("taskId").GetString()!],
            list.Json().EnumerateArray().Select(t => t.GetProperty("taskId").GetString()!).ToArray());
    }

    [Fact]
    public async Task List_page_and_page_size_give_one_page_and_say_which()
    {
        var ids = new List<string>();
        foreach (var _ in Enumerable.Range(0, 3))
        {
            var s = await CliProcess.RunAsync(_dir, "background", "submit", "--recipe", "hello", "--json");
            Assert.True(s.ExitCode == 0, s.ToString());
            ids.Add(s.Json().GetProperty("taskId").GetString()!);
        }

        var page2 = await CliProcess.RunAsync(_dir, "background", "list", "--page", "2", "--page-size", "2", "--json");
        Assert.True(page2.ExitCode == 0, page2.ToString());
        Assert.Equal([ids[2]], page2.Json().EnumerateArray().Select(t => t.GetProperty("taskId").GetString()!).ToArray());
        Assert.Contains("Page 2 of 2: 1 of 3 task(s).", page2.Stderr);

        var bad = await CliProcess.RunAsync(_dir, "background", "list", "--page-size", "0");
        Assert.True(bad.ExitCode == 2, bad.ToString());
    }

    [Fact]
    public async Task Clear_older_than_removes_only_finished_tasks_submitted_before_then()
    {
        var first = await CliProcess.RunAsync(_dir, "background", "run", "hello", "--json");
        Assert.True(first.ExitCode == 0, first.ToString());
        var pending = await CliProcess.RunAsync(_dir, "background", "submit", "--recipe", "hello", "--json");

        // Nothing was submitted an hour ago.
        var none = await CliProcess.RunAsync(_dir, "background", "clear", "--older-than", "3600", "--json");
        Assert.True(none.ExitCode == 0, none.ToString());
        Assert.Equal(0, none.Json().GetProperty("removed").GetInt32());

        // Both were submitted more than a millisecond ago; only the finished one goes (no --all).
        var some = await CliProcess.RunAsync(_dir, "background", "clear", "--older-than", "0.001", "--json");
        Assert.Equal(1, some.Json().GetProperty("removed").GetInt32());
        var left = await CliProcess.RunAsync(_dir, "background", "list", "--json");
        Assert.Equal([pending.Json().GetProperty("taskId").GetString()!],
            left.Json().EnumerateArray().Select(t => t.GetProperty("taskId").GetString()!).ToArray());

        var bad = await CliProcess.RunAsync(_dir, "background", "clear", "--older-than", "soon");
        Assert.True(bad.ExitCode == 2, bad.ToString());
    }

    [Fact]
    public async Task Background_help_prints_the_background_help()
    {
        var r = await CliProcess.RunAsync(_dir, "background", "help");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("Usage:", r.Stdout);
        Assert.Contains("praison-actors background [command] [options]", r.Stdout);
        Assert.Contains("clear", r.Stdout);
    }
}
