namespace Praison.Actors.Cli.Tests;

/// <summary>Bad input: a clear message naming the problem, exit code 2 (6 for an unknown id), and no change in the store.</summary>
public sealed class BadInputTests(BadInputTests.Store store) : IClassFixture<BadInputTests.Store>
{
    /// <summary>A store with one finished task (so "no change" is checked against a store that exists) and a broken recipe folder.</summary>
    public sealed class Store : IAsyncLifetime
    {
        public TempDir Dir { get; } = new();
        public string Before { get; private set; } = "";

        public async Task InitializeAsync()
        {
            var seed = await CliProcess.RunAsync(Dir, "background", "run", "hello");
            Assert.True(seed.ExitCode == 0, seed.ToString());
            Before = await ListAsync(Dir);
            Dir.Write("recipes/broken/TEMPLATE.yaml", """
                name: broken
                description: a step with a bad timeout
                steps:
                  - name: first
                    command: echo
                    timeout_sec: -3
                """);
        }

        public Task DisposeAsync()
        {
            Dir.Dispose();
            return Task.CompletedTask;
        }
    }

    private readonly TempDir _dir = store.Dir;
    private string _storeBefore => store.Before;

    private Task<string> StoreAsync() => ListAsync(_dir);

    private static async Task<string> ListAsync(TempDir dir)
    {
        var list = await CliProcess.RunAsync(dir, "background", "list", "--json");
        Assert.True(list.ExitCode == 0, list.ToString());
        return list.Stdout;
    }

    private async Task AssertRejected(int exitCode, string message, params string[] args)
    {
        var r = await CliProcess.RunAsync(_dir, args);
        Assert.True(r.ExitCode == exitCode, $"expected exit {exitCode}\n{r}");
        Assert.Contains(message, r.Stderr);
        Assert.Equal(_storeBefore, await StoreAsync());
    }

    [Fact]
    public Task A_malformed_webhook_secret_on_serve() =>
        AssertRejected(2, "--webhook-secret (or $PRAISON_WEBHOOK_SECRET) must be 'whsec_' followed by base64", "serve", "--webhook-secret", "not-a-secret",
            "--urls", "http://127.0.0.1:0");

    [Fact]
    public Task Config_discovery_without_endpoints_on_serve_cluster() =>
        AssertRejected(2, "Config discovery needs every node's remoting endpoint (host:port).", "serve", "--cluster", "--discovery", "config",
            "--postgres", "Host=127.0.0.1;Database=never_opened", "--urls", "http://127.0.0.1:0");

    [Fact]
    public Task Discovery_and_seeds_together_on_serve_cluster() =>
        AssertRejected(2, "Use either static seed nodes or discovery, not both.", "serve", "--cluster", "--discovery", "config",
            "--discovery-endpoint", "127.0.0.1:4053", "--seed", "akka.tcp://praison-actors@127.0.0.1:4053",
            "--postgres", "Host=127.0.0.1;Database=never_opened", "--urls", "http://127.0.0.1:0");

    [Fact]
    public Task Unknown_recipe() =>
        AssertRejected(2, "Unknown recipe 'nope'. Known recipes: agents, ask, hash-files, hello, sleep, word-count.", "background", "run", "nope");

    [Fact]
    public Task Unknown_recipe_on_submit() =>
        AssertRejected(2, "Unknown recipe 'nope'", "background", "submit", "--recipe", "nope");

    [Fact]
    public Task Invalid_input_json() =>
        AssertRejected(2, "-i/--input is not valid JSON", "background", "run", "hello", "-i", "{name: Ada");

    [Fact]
    public Task Config_that_is_not_an_object() =>
        AssertRejected(2, "-c/--config must be a JSON object", "background", "submit", "-r", "hello", "-c", "[1,2]");

    [Fact]
    public Task Template_with_an_error_names_file_line_and_key() =>
        AssertRejected(2, "recipes/broken/TEMPLATE.yaml:6:18: steps[0].timeout_sec: must be a positive whole number, got -3",
            "background", "run", "broken");

    [Fact]
    public Task Negative_timeout() =>
        AssertRejected(2, "--timeout must be a positive number of seconds, got -5.", "background", "run", "sleep", "--timeout", "-5");

    [Fact]
    public Task Unknown_status_filter() =>
        AssertRejected(2, "Unknown --status 'done'", "background", "list", "--status", "done");

    [Fact]
    public async Task Unknown_id_for_status_wait_and_cancel()
    {
        await AssertRejected(6, "No task with id 'nope' exists", "background", "status", "nope");
        await AssertRejected(6, "No task with id 'nope' exists", "background", "wait", "nope", "--timeout", "5");
        await AssertRejected(6, "No task with id 'nope' exists", "background", "cancel", "nope");
    }

    [Fact]
    public async Task Json_errors_carry_the_message_and_exit_code()
    {
        var r = await CliProcess.RunAsync(_dir, "background", "status", "nope", "--json");
        Assert.Equal(6, r.ExitCode);
        Assert.Contains("nope", r.Json().GetProperty("error").GetString());
        Assert.Equal(6, r.Json().GetProperty("exitCode").GetInt32());
    }
}
