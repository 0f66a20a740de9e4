namespace Praison.Actors.Cli.Tests;

/// <summary>The store holds task inputs and results: its directory is 0700 and its files 0600, also when they were wider before.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // file modes are a Unix notion
public sealed class PrivateFilesTests : IDisposable
{
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode PrivateDir = Private | UnixFileMode.UserExecute;

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string[] Modes() =>
        [.. Directory.GetFiles(_dir.DataDir).Order().Select(f => $"{Path.GetFileName(f)} {File.GetUnixFileMode(f)}")];

    [Fact]
    public async Task While_serve_runs_a_task_every_store_file_is_0600_and_the_directory_0700()
    {
        using var serve = await Serve.StartAsync(_dir);
        var run = await CliProcess.RunAsync(_dir, "background", "run", "hello", "--json"); // through serve: it writes the store
        Assert.True(run.ExitCode == 0, run.ToString());

        Assert.Equal(PrivateDir, File.GetUnixFileMode(_dir.DataDir));
        var names = Directory.GetFiles(_dir.DataDir).Select(Path.GetFileName).ToHashSet();
        Assert.Superset(new HashSet<string?> { "journal.db", "snapshots.db", "host.json", "host.lock" }, names);
        Assert.All(Modes(), m => Assert.EndsWith($" {Private}", m));
    }

    [Fact]
    public async Task Wider_files_from_before_are_narrowed_at_start_with_one_line()
    {
        var seed = await CliProcess.RunAsync(_dir, "background", "run", "hello");
        Assert.True(seed.ExitCode == 0, seed.ToString());
        var journal = Path.Combine(_dir.DataDir, "journal.db");
        File.SetUnixFileMode(_dir.DataDir, (UnixFileMode)0b111_101_101); // 0755
        File.SetUnixFileMode(journal, (UnixFileMode)0b110_100_100);      // 0644

        var run = await CliProcess.RunAsync(_dir, "background", "run", "hello");

        Assert.True(run.ExitCode == 0, run.ToString());
        var line = Assert.Single(run.Stderr.Split('\n'), l => l.StartsWith("Narrowed permissions", StringComparison.Ordinal));
        Assert.Contains(journal, line);
        Assert.Contains(_dir.DataDir + ",", line);
        Assert.Equal(PrivateDir, File.GetUnixFileMode(_dir.DataDir));
        Assert.Equal(Private, File.GetUnixFileMode(journal));

        // Nothing left to narrow: the next start says nothing.
        var again = await CliProcess.RunAsync(_dir, "background", "run", "hello");
        Assert.DoesNotContain("Narrowed permissions", again.Stderr);
    }
}
