namespace Praison.Actors.Cli.Tests;

/// <summary>A folder recipe whose TEMPLATE.yaml carries PraisonAI's runtime block and keys this runtime does not know.</summary>
public sealed class TemplateRuntimeTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Runtime_job_and_schedule_are_shown_and_unknown_keys_warn_with_their_line_without_refusing_the_recipe()
    {
        _dir.Write("recipes/monitor/TEMPLATE.yaml", """
            name: monitor
            author: praisonai
            colour: blue
            runtime:
              job:
                timeout_sec: 600
                idempotency_scope: session
                events: [completed, failed]
              schedule:
                interval: "*/30m"
                max_cost_usd: 1.00
            steps:
              - command: echo
                args: ["ok"]
            """);

        var show = await CliProcess.RunAsync(_dir, "recipes", "show", "monitor", "--json");

        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.Contains("TEMPLATE.yaml:3:1: colour: unknown key, ignored", show.Stderr);
        Assert.DoesNotContain("author", show.Stderr); // a PraisonAI key: known, not used, no warning
        var json = show.Json();
        Assert.Equal("session", json.GetProperty("job").GetProperty("idempotencyScope").GetString());
        Assert.Equal("*/30m", json.GetProperty("schedule").GetProperty("interval").GetString());
        Assert.Single(json.GetProperty("warnings").EnumerateArray());

        var run = await CliProcess.RunAsync(_dir, "background", "run", "monitor", "--json");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("colour: unknown key, ignored", run.Stderr);
    }

    [Fact]
    public async Task A_bad_runtime_value_names_file_line_and_key_and_runs_nothing()
    {
        _dir.Write("recipes/monitor/TEMPLATE.yaml", """
            name: monitor
            runtime:
              schedule:
                interval: fortnightly
            steps:
              - command: echo
            """);

        var r = await CliProcess.RunAsync(_dir, "background", "run", "monitor");

        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("TEMPLATE.yaml:4:", r.Stderr);
        Assert.Contains("runtime.schedule.interval: 'fortnightly' is not a schedule", r.Stderr);
    }
}
