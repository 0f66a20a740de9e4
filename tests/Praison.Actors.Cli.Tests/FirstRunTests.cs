using System.Diagnostics;

namespace Praison.Actors.Cli.Tests;

/// <summary>
/// The README's first command at a terminal: a summary of the result, not pages of JSON. The CLI decides by whether
/// stdout is a terminal, so this test gives it one (a pseudo-terminal through util-linux `script`).
/// </summary>
public sealed class FirstRunTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Quote(string s) => "'" + s.Replace("'", "'\\''") + "'";

    /// <summary>Runs the CLI with a pseudo-terminal as stdout and returns what the terminal showed.</summary>
    private async Task<(int ExitCode, string Screen)> RunOnTerminalAsync(params string[] args)
    {
        var command = string.Join(' ', new[] { "dotnet", CliBuild.Dll }.Concat(args).Select(Quote));
        var psi = new ProcessStartInfo("script") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in (string[])["-qec", command, "/dev/null"]) psi.ArgumentList.Add(a);
        psi.Environment["PRAISON_DATA_DIR"] = _dir.DataDir;
        psi.Environment["NO_COLOR"] = "1";
        psi.Environment["COLUMNS"] = "160";
        using var process = Process.Start(psi)!;
        process.StandardInput.Close();
        var screen = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(CliProcess.DefaultTimeout);
        await process.WaitForExitAsync(cts.Token);
        return (process.ExitCode, (await screen) + (await errors));
    }

    [TerminalFact]
    public async Task Hash_files_on_a_terminal_prints_a_summary_and_points_to_json_for_the_rest()
    {
        for (var i = 0; i < 12; i++) _dir.Write($"tree/file{i:00}.txt", $"content {i}");

        var (exit, screen) = await RunOnTerminalAsync("background", "run", "hash-files", "--root", _dir.Path, "-i", $$"""{"path":"{{Path.Combine(_dir.Path, "tree")}}"}""");

        Assert.True(exit == 0, screen);
        Assert.Contains("fileCount: 12", screen);
        Assert.Matches("treeSha256: [0-9a-f]{64}", screen);
        Assert.Contains("files: 12 items", screen);
        Assert.Contains("  - file00.txt  ", screen);
        Assert.Contains("… 7 more; --json for all", screen);
        Assert.DoesNotContain("file11.txt", screen);
        Assert.DoesNotContain("\"sha256\"", screen); // not the JSON

        // The same command with --json on the terminal: the whole result.
        var (jsonExit, json) = await RunOnTerminalAsync("background", "run", "hash-files", "--root", _dir.Path, "-i", $$"""{"path":"{{Path.Combine(_dir.Path, "tree")}}"}""", "--json");
        Assert.True(jsonExit == 0, json);
        Assert.Contains("file11.txt", json);
        Assert.Contains("\"sha256\"", json);
    }
}

/// <summary>A fact that needs util-linux `script` to give the CLI a pseudo-terminal; skipped, saying so, without it.</summary>
public sealed class TerminalFactAttribute : FactAttribute
{
    public TerminalFactAttribute()
    {
        if (!File.Exists("/usr/bin/script"))
            Skip = "Needs util-linux /usr/bin/script to run the CLI on a pseudo-terminal.";
    }
}
