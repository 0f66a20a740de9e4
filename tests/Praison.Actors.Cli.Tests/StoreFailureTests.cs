using System.Diagnostics;
using Npgsql;

namespace Praison.Actors.Cli.Tests;

/// <summary>
/// The CLI never ends in a stack trace: bad option values are exit 2, a data directory that cannot hold a store is
/// exit 8, each with one line naming the option or the path and the cause, and a JSON error with <c>--json</c>.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // the read-only cases use file modes and setpriv
public sealed class StoreFailureTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>One error line on stderr (no stack trace), and with --json the {"error","exitCode"} object on stdout.</summary>
    private static void AssertOneLineError(CliResult r, int exitCode, string message, bool json)
    {
        Assert.True(r.ExitCode == exitCode, $"expected exit {exitCode}\n{r}");
        Assert.DoesNotContain("Unhandled exception", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
        var errors = r.Stderr.Split('\n').Where(l => l.StartsWith("error: ", StringComparison.Ordinal)).ToList();
        Assert.True(errors.Count == 1, r.ToString());
        Assert.Contains(message, errors[0]);
        if (json)
        {
            Assert.Contains(message, r.Json().GetProperty("error").GetString());
            Assert.Equal(exitCode, r.Json().GetProperty("exitCode").GetInt32());
        }
    }

    // ------------------------------------------------------------ bad option values: exit 2

    [Theory]
    [InlineData("--timeout must be a positive number of seconds, got abc", "background", "run", "hello", "--timeout", "abc")]
    [InlineData("--timeout must be a positive number of seconds, got abc", "background", "submit", "-r", "hello", "--timeout", "abc")]
    [InlineData("--timeout must be a positive number of seconds, got abc", "background", "wait", "some-id", "--timeout", "abc")]
    [InlineData("--timeout must be a positive number of seconds, got NaN", "background", "wait", "some-id", "--timeout", "NaN")]
    [InlineData("--sse-heartbeat must be a number of seconds above 0 and at most 86400, got abc", "serve", "--sse-heartbeat", "abc")]
    public async Task A_bad_number_of_seconds_is_exit_2_naming_the_option_also_with_json(string message, params string[] args)
    {
        AssertOneLineError(await CliProcess.RunAsync(_dir, args), 2, message, json: false);
        AssertOneLineError(await CliProcess.RunAsync(_dir, [.. args, "--json"]), 2, message, json: true);
        Assert.False(Directory.Exists(_dir.DataDir), "a rejected command must not create the store");
    }

    [Fact]
    public async Task A_fractional_timeout_is_accepted_a_task_timeout_rounds_up_and_says_so()
    {
        var run = await CliProcess.RunAsync(_dir, "background", "run", "hello", "--timeout", "1.5", "--json");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("--timeout 1.5 runs as 2 s", run.Stderr);

        var wait = await CliProcess.RunAsync(_dir, "background", "wait", run.Json().GetProperty("taskId").GetString()!, "--timeout", "0.5", "--json");
        Assert.True(wait.ExitCode == 0, wait.ToString());
        Assert.Equal("completed", wait.Json().GetProperty("status").GetString());
    }

    // ------------------------------------------------------------ a data directory that cannot be a store: exit 8

    [Theory]
    [InlineData("background", "run", "hello")]
    [InlineData("background", "submit", "-r", "hello")]
    [InlineData("background", "clear")]
    [InlineData("background", "list")]
    [InlineData("background", "status", "some-id")]
    [InlineData("background", "wait", "some-id", "--timeout", "1")]
    [InlineData("background", "cancel", "some-id")]
    [InlineData("serve", "--urls", "http://127.0.0.1:0")]
    public async Task A_data_directory_that_is_a_file_is_exit_8_naming_it(params string[] args)
    {
        var file = _dir.Write("not-a-dir", "x");
        var r = await CliProcess.RunAsync(_dir, [.. args, "--data-dir", file, "--json"]);
        AssertOneLineError(r, 8, $"The data directory {file} is a file, not a directory", json: true);
        Assert.Equal("x", File.ReadAllText(file));
    }

    [Fact]
    public async Task A_data_directory_below_a_file_is_exit_8_naming_the_file()
    {
        var file = _dir.Write("not-a-dir", "x");
        var r = await CliProcess.RunAsync(_dir, "background", "run", "hello", "--data-dir", Path.Combine(file, "data"));
        AssertOneLineError(r, 8, $"cannot exist: {file} is a file", json: false);
    }

    [Fact]
    public async Task A_missing_store_is_said_not_listed_as_empty_and_nothing_is_created()
    {
        var missing = Path.Combine(_dir.Path, "typo");

        var list = await CliProcess.RunAsync(_dir, "background", "list", "--data-dir", missing);
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains($"there is no store at {missing}", list.Stderr);
        Assert.DoesNotContain("No tasks.", list.Stderr);

        var json = await CliProcess.RunAsync(_dir, "background", "list", "--data-dir", missing, "--json");
        Assert.True(json.ExitCode == 0, json.ToString());
        Assert.Equal(0, json.Json().GetArrayLength());
        Assert.Contains($"there is no store at {missing}", json.Stderr);

        var status = await CliProcess.RunAsync(_dir, "background", "status", "some-id", "--data-dir", missing, "--json");
        AssertOneLineError(status, 6, $"No task with id 'some-id': there is no store at {missing}", json: true);

        Assert.False(Directory.Exists(missing));
    }

    // ------------------------------------------------------------ read-only stores, run as another user

    /// <summary>
    /// A store root made (dir 0755, files 0644) that `nobody` can read but not write. Root ignores file modes, so
    /// these tests run the CLI as `nobody` through setpriv; the temp folder is opened to others for that.
    /// </summary>
    private async Task<string> ReadOnlyStoreAsync()
    {
        var seed = await CliProcess.RunAsync(_dir, "background", "run", "hello", "--json");
        Assert.True(seed.ExitCode == 0, seed.ToString());
        File.SetUnixFileMode(_dir.Path, (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(_dir.DataDir, (UnixFileMode)0b111_101_101);
        foreach (var f in Directory.GetFiles(_dir.DataDir)) File.SetUnixFileMode(f, (UnixFileMode)0b110_100_100);
        return seed.Json().GetProperty("taskId").GetString()!;
    }

    [RootFact]
    public async Task Writing_a_store_this_user_cannot_write_is_exit_8_naming_it()
    {
        await ReadOnlyStoreAsync();
        var nobody = CliProcess.AsUser("nobody", "nogroup");
        foreach (var args in new[] { new[] { "background", "run", "hello" }, ["background", "clear"], ["background", "submit", "-r", "hello"] })
        {
            var r = await CliProcess.RunAsync(_dir, nobody, [.. args, "--json"]);
            AssertOneLineError(r, 8, $"The data directory {_dir.DataDir} is not writable by this user", json: true);
        }
    }

    [RootFact]
    public async Task Reading_a_store_this_user_cannot_write_is_exit_8_naming_it_never_an_empty_answer()
    {
        var id = await ReadOnlyStoreAsync();
        var nobody = CliProcess.AsUser("nobody", "nogroup");
        foreach (var args in new[] { new[] { "background", "list" }, ["background", "status", id], ["background", "cancel", id] })
        {
            var r = await CliProcess.RunAsync(_dir, nobody, [.. args, "--json"]);
            // The store's reads name the store and the cause (a TaskStoreException from the task table's query).
            AssertOneLineError(r, 8, $"SQLite store in {_dir.DataDir}", json: true);
            Assert.Contains("readonly database", r.Stdout);
        }
    }

    [RootFact]
    public async Task A_private_store_of_another_user_is_exit_8_naming_it()
    {
        var seed = await CliProcess.RunAsync(_dir, "background", "run", "hello");
        Assert.True(seed.ExitCode == 0, seed.ToString());
        File.SetUnixFileMode(_dir.Path, (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(_dir.DataDir, (UnixFileMode)0b111_101_101); // visible, but its files stay 0600

        var r = await CliProcess.RunAsync(_dir, CliProcess.AsUser("nobody", "nogroup"), "background", "list", "--json");
        AssertOneLineError(r, 8, $"The store in {_dir.DataDir} cannot be read by this user", json: true);
    }

    [RootFact]
    public async Task A_data_directory_that_cannot_be_created_is_exit_8_naming_it()
    {
        File.SetUnixFileMode(_dir.Path, (UnixFileMode)0b111_101_101); // root's, so nobody cannot create the data dir in it
        var r = await CliProcess.RunAsync(_dir, CliProcess.AsUser("nobody", "nogroup"), "background", "run", "hello", "--json");
        AssertOneLineError(r, 8, $"The data directory {_dir.DataDir} cannot be created (permission denied)", json: true);
    }

    // ------------------------------------------------------------ no HOME

    [Fact]
    public async Task Without_HOME_the_default_store_is_named()
    {
        var r = await CliProcess.RunAsync(_dir, psi =>
        {
            psi.Environment.Remove("HOME");
            psi.Environment.Remove("PRAISON_DATA_DIR");
        }, "background", "list", "--json");
        Assert.True(r.ExitCode == 0, r.ToString());
        var note = r.Stderr.Split('\n').Single(l => l.Contains("HOME is not set; using the store in /", StringComparison.Ordinal));
        Assert.Contains($"{Path.DirectorySeparatorChar}.praison{Path.DirectorySeparatorChar}actors", note);
        Assert.False(Directory.Exists(Path.Combine(_dir.Path, ".praison")), "the store must not land in the current directory");
    }

    [RootFact]
    public async Task Without_HOME_and_a_home_directory_that_does_not_exist_the_CLI_refuses_with_exit_2()
    {
        File.SetUnixFileMode(_dir.Path, (UnixFileMode)0b111_111_111); // the current directory: writable, so landing there would show
        var r = await CliProcess.RunAsync(_dir, psi =>
        {
            CliProcess.AsUser("nobody", "nogroup")(psi); // nobody's home in the user database is /nonexistent
            psi.Environment.Remove("HOME");
            psi.Environment.Remove("PRAISON_DATA_DIR");
        }, "background", "list", "--json");
        AssertOneLineError(r, 2, "pass --data-dir DIR or set PRAISON_DATA_DIR", json: true);
        Assert.Empty(Directory.GetFileSystemEntries(_dir.Path));
    }

    [RootFact]
    public async Task Without_HOME_and_without_a_home_directory_the_CLI_refuses_with_exit_2()
    {
        File.SetUnixFileMode(_dir.Path, (UnixFileMode)0b111_111_111); // the current directory: writable, so landing there would show
        var r = await CliProcess.RunAsync(_dir, psi =>
        {
            CliProcess.AsUser("54321", "54321")(psi); // a uid with no passwd entry, so no home directory either
            psi.Environment.Remove("HOME");
            psi.Environment.Remove("PRAISON_DATA_DIR");
        }, "background", "run", "hello", "--json");
        AssertOneLineError(r, 2, "pass --data-dir DIR or set PRAISON_DATA_DIR", json: true);
        Assert.Empty(Directory.GetFileSystemEntries(_dir.Path));
    }

    // ------------------------------------------------------------ PostgreSQL without free connections

    [PostgresFact]
    public async Task A_PostgreSQL_server_without_free_connections_is_exit_8_naming_it()
    {
        var admin = Environment.GetEnvironmentVariable("PRAISON_TEST_POSTGRES")!;
        var database = "praison_cli_" + Guid.NewGuid().ToString("N")[..12];
        await using (var c = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(admin) { MaxPoolSize = 1, Pooling = false }.ToString()))
        {
            await c.OpenAsync();
            // CONNECTION LIMIT 0: every connection is refused with 53300, as on a server whose slots are all taken.
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {database} CONNECTION LIMIT 0", c);
            await cmd.ExecuteNonQueryAsync();
        }
        try
        {
            var cs = new NpgsqlConnectionStringBuilder(admin) { Database = database, MaxPoolSize = 2 }.ToString();
            var r = await CliProcess.RunAsync(_dir, "serve", "--cluster", "--port", "0", "--urls", "http://127.0.0.1:0", "--postgres", cs, "--json");
            AssertOneLineError(r, 8, $"127.0.0.1:", json: true);
            Assert.Contains("53300", r.Stderr);
            Assert.Contains(database, r.Stderr);
        }
        finally
        {
            await using var c = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(admin) { Pooling = false }.ToString());
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {database}", c);
            await cmd.ExecuteNonQueryAsync();
        }
    }
}

/// <summary>A fact that needs root and setpriv (to run the CLI as another user); skipped, saying so, otherwise.</summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root" || !File.Exists("/usr/bin/setpriv"))
            Skip = "Needs Linux, root and /usr/bin/setpriv: root ignores file modes, so the test runs the CLI as another user.";
    }
}

/// <summary>A fact that needs the PostgreSQL server named by PRAISON_TEST_POSTGRES; skipped, saying so, without it.</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("PRAISON_TEST_POSTGRES")))
            Skip = "Needs PostgreSQL: set PRAISON_TEST_POSTGRES to a connection string (user with CREATEDB).";
    }
}
