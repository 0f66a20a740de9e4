using Xunit;

namespace Praison.Actors.Tests.Recipes;

public class RecipeTemplateTests
{
    [Fact]
    public void A_full_template_is_read()
    {
        var t = RecipeTemplate.Parse("""
            name: my-recipe
            description: Answers questions
            version: "1.2.0"
            runtime:
              timeout_sec: 120
              background:
                enabled: true
                max_concurrent: 3
                cleanup_delay_sec: 60
                on_restart: rerun
            tools: [search]
            """, "recipes/my-recipe/TEMPLATE.yaml");
        Assert.Equal("my-recipe", t.Name);
        Assert.Equal("Answers questions", t.Description);
        Assert.Equal("1.2.0", t.Version);
        Assert.Equal(120, t.TimeoutSec);
        Assert.True(t.Background.Enabled);
        Assert.Equal(3, t.Background.MaxConcurrent);
        Assert.Equal(60, t.Background.CleanupDelaySec);
        Assert.True(t.Background.RerunOnRestart);
        Assert.Equal("recipes/my-recipe/TEMPLATE.yaml", t.SourcePath);
    }

    [Fact]
    public void A_minimal_template_takes_the_defaults()
    {
        var t = RecipeTemplate.Parse("name: hello\n");
        Assert.Null(t.TimeoutSec);
        Assert.True(t.Background.Enabled);
        Assert.Null(t.Background.MaxConcurrent);
        Assert.Null(t.Background.CleanupDelaySec);
        Assert.False(t.Background.RerunOnRestart);
    }

    [Theory]
    [InlineData("description: x\n", 1, "name", "required key 'name' is missing")]
    [InlineData("name: ok\nruntime:\n  timeout_sec: 0\n", 3, "runtime.timeout_sec", "positive")]
    [InlineData("name: ok\nruntime:\n  timeout_sec: soon\n", 3, "runtime.timeout_sec", "whole number")]
    [InlineData("name: ok\nruntime:\n  background:\n    max_concurrent: -2\n", 4, "runtime.background.max_concurrent", "positive")]
    [InlineData("name: ok\nruntime:\n  background:\n    enabled: maybe\n", 4, "runtime.background.enabled", "true or false")]
    [InlineData("name: ok\nruntime:\n  background:\n    cleanup_delay_sec: -1\n", 4, "runtime.background.cleanup_delay_sec", "at least 0")]
    [InlineData("name: ok\nruntime:\n  background:\n    on_restart: retry\n", 4, "runtime.background.on_restart", "'rerun' or 'fail'")]
    [InlineData("name: ok\nruntime: [1, 2]\n", 2, "runtime", "mapping")]
    [InlineData("name: ok\nruntime:\n  job:\n    timeout_sec: 0\n", 4, "runtime.job.timeout_sec", "positive")]
    [InlineData("name: ok\nruntime:\n  job:\n    enabled: sometimes\n", 4, "runtime.job.enabled", "true or false")]
    [InlineData("name: ok\nruntime:\n  job:\n    idempotency_scope: user\n", 4, "runtime.job.idempotency_scope", "none, session, global")]
    [InlineData("name: ok\nruntime:\n  job:\n    webhook_url: ftp://example.com/x\n", 4, "runtime.job.webhook_url", "http(s) URL")]
    [InlineData("name: ok\nruntime:\n  job:\n    events:\n      - completed\n      - exploded\n", 6, "runtime.job.events", "unknown event 'exploded'")]
    [InlineData("name: ok\nruntime:\n  job:\n    events: {completed: true}\n", 4, "runtime.job.events", "list of events")]
    [InlineData("name: ok\nruntime:\n  schedule:\n    interval: fortnightly\n", 4, "runtime.schedule.interval", "not a schedule")]
    [InlineData("name: ok\nruntime:\n  schedule:\n    interval: \"cron:0 7 * *\"\n", 4, "runtime.schedule.interval", "5 fields")]
    [InlineData("name: ok\nruntime:\n  schedule:\n    interval: \"at:tomorrow\"\n", 4, "runtime.schedule.interval", "ISO-8601")]
    [InlineData("name: ok\nruntime:\n  schedule:\n    max_retries: -1\n", 4, "runtime.schedule.max_retries", "at least 0")]
    [InlineData("name: ok\nruntime:\n  schedule:\n    run_immediately: 2\n", 4, "runtime.schedule.run_immediately", "true or false")]
    [InlineData("name: ok\nruntime:\n  schedule:\n    timeout_sec: 1.5\n", 4, "runtime.schedule.timeout_sec", "whole number")]
    [InlineData("name: ok\nruntime:\n  schedule:\n    max_cost_usd: -0.5\n", 4, "runtime.schedule.max_cost_usd", "0 or more")]
    [InlineData("name: ok\nruntime:\n  schedule:\n    max_cost_usd: cheap\n", 4, "runtime.schedule.max_cost_usd", "a number")]
    [InlineData("name: ok\nruntime:\n  schedule: hourly\n", 3, "runtime.schedule", "mapping")]
    [InlineData("name: [a, b]\n", 1, "name", "single value")]
    [InlineData("name: has space\n", 1, "name", "not a valid recipe name")]
    public void An_invalid_template_names_line_and_key(string yaml, int line, string key, string problem)
    {
        var ex = Assert.Throws<RecipeTemplateException>(() => RecipeTemplate.Parse(yaml, "bad/TEMPLATE.yaml"));
        Assert.Equal(line, ex.Line);
        Assert.Equal(key, ex.Key);
        Assert.Contains(problem, ex.Problem);
        Assert.StartsWith($"bad/TEMPLATE.yaml:{line}:", ex.Message);
        Assert.Contains(key, ex.Message);
    }

    [Fact]
    public void PraisonAIs_full_runtime_example_loads_with_every_runtime_key_read()
    {
        // examples/recipe_runtime_example.yaml of MervinPraison/PraisonAI, unmodified. Its webhook_url is
        // "${WEBHOOK_URL}"; the test runs without that variable, so the webhook is left unset with a warning.
        Assert.Null(Environment.GetEnvironmentVariable("WEBHOOK_URL"));
        var path = Path.Combine(AppContext.BaseDirectory, "Recipes", "Fixtures", "recipe_runtime_example.yaml");

        var t = RecipeTemplate.Load(path);

        Assert.Equal("news-monitor", t.Name);
        Assert.Equal("1.0.0", t.Version);
        Assert.True(t.Background.Enabled);
        Assert.Equal(3, t.Background.MaxConcurrent);
        Assert.Equal(3600, t.Background.CleanupDelaySec);
        Assert.True(t.Job.Enabled);
        Assert.Equal(TimeSpan.FromSeconds(600), t.Job.Timeout);
        Assert.Null(t.Job.WebhookUrl);
        Assert.Equal("session", t.Job.IdempotencyScope);
        Assert.Equal(["completed", "failed"], t.Job.Events);
        Assert.True(t.Schedule.Enabled);
        Assert.Equal("hourly", t.Schedule.Interval);
        Assert.Equal(TimeSpan.FromHours(1), t.Schedule.Every);
        Assert.Equal(3, t.Schedule.MaxRetries);
        Assert.False(t.Schedule.RunImmediately);
        Assert.Equal(TimeSpan.FromSeconds(300), t.Schedule.Timeout);
        Assert.Equal(1.00m, t.Schedule.MaxCostUsd);
        // Its agent-side keys (author, requires, workflow, agents, config, cli, examples ...) are PraisonAI's, known and
        // unused: the only warning is the unset variable, on the webhook_url line.
        var warning = Assert.Single(t.Warnings);
        Assert.Equal("runtime.job.webhook_url", warning.Key);
        Assert.Equal(57, warning.Line);
        Assert.Contains("WEBHOOK_URL is not set", warning.Problem);
        Assert.StartsWith($"{path}:57:", warning.ToString());
    }

    [Fact]
    public void A_webhook_url_expands_environment_variables()
    {
        var variable = "PRAISON_TEST_HOOK_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(variable, "https://hooks.example.com");
        try
        {
            var t = RecipeTemplate.Parse($"name: ok\nruntime:\n  job:\n    webhook_url: \"${{{variable}}}/done?x=1\"\n");
            Assert.Equal("https://hooks.example.com/done?x=1", t.Job.WebhookUrl);
            Assert.Empty(t.Warnings);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [Theory]
    [InlineData("hourly", 3600)]
    [InlineData("daily", 86400)]
    [InlineData("weekly", 604800)]
    [InlineData("*/30m", 1800)]
    [InlineData("*/6h", 21600)]
    [InlineData("*/10s", 10)]
    [InlineData("*/45", 45)]
    [InlineData("90", 90)]
    [InlineData("cron:0 7 * * *", null)]
    [InlineData("at:2026-03-01T09:00:00", null)]
    public void Every_schedule_form_PraisonAI_accepts_is_read(string interval, int? seconds)
    {
        var t = RecipeTemplate.Parse($"name: ok\nruntime:\n  schedule:\n    interval: \"{interval}\"\n");
        Assert.Equal(interval, t.Schedule.Interval);
        Assert.Equal(seconds is { } s ? TimeSpan.FromSeconds(s) : null, t.Schedule.Every);
    }

    [Fact]
    public void Event_aliases_are_read_in_the_canonical_vocabulary()
    {
        var t = RecipeTemplate.Parse("name: ok\nruntime:\n  job:\n    events: [succeeded, failed, timed_out, cancelled, completed]\n");
        Assert.Equal(["completed", "failed", "timeout", "cancelled"], t.Job.Events);
    }

    [Fact]
    public void Unknown_keys_are_warnings_naming_their_line_not_refusals()
    {
        var t = RecipeTemplate.Parse("""
            name: ok
            flavour: vanilla
            runtime:
              timeout_sec: 10
              gpu: true
              background:
                max_concurent: 2
              job:
                retries: 2
              schedule:
                jitter: 5
            """, "w/TEMPLATE.yaml");

        Assert.Equal(10, t.TimeoutSec);
        Assert.Null(t.Background.MaxConcurrent); // the misspelt key is not read as the real one
        Assert.Equal(
            [("flavour", 2), ("runtime.gpu", 5), ("runtime.background.max_concurent", 7), ("runtime.job.retries", 9), ("runtime.schedule.jitter", 11)],
            t.Warnings.Select(w => (w.Key, w.Line)).ToArray());
        Assert.All(t.Warnings, w => Assert.Contains("unknown key, ignored", w.Problem));
        Assert.EndsWith("known here: name, description, version, runtime, steps", t.Warnings[0].Problem);
        Assert.Equal("w/TEMPLATE.yaml:7:5: runtime.background.max_concurent: unknown key, ignored; known here: enabled, max_concurrent, cleanup_delay_sec, on_restart",
            t.Warnings[2].ToString());
    }

    [Fact]
    public void A_template_without_job_or_schedule_leaves_them_unset()
    {
        var t = RecipeTemplate.Parse("name: ok\n");
        Assert.Equal(new RecipeJobSettings(), t.Job);
        Assert.Equal(new RecipeScheduleSettings(), t.Schedule);
        Assert.Empty(t.Warnings);
    }

    [Fact]
    public void Malformed_yaml_names_the_line()
    {
        var ex = Assert.Throws<RecipeTemplateException>(() =>
            RecipeTemplate.Parse("name: ok\nruntime:\n  timeout_sec: 10\n   background: [\n", "x/TEMPLATE.yaml"));
        Assert.Equal(4, ex.Line);
        Assert.Contains("invalid YAML", ex.Message);
        Assert.StartsWith("x/TEMPLATE.yaml:4:", ex.Message);
    }

    [Fact]
    public void A_document_that_is_not_a_mapping_is_refused()
    {
        var ex = Assert.Throws<RecipeTemplateException>(() => RecipeTemplate.Parse("- just\n- a list\n"));
        Assert.Equal(1, ex.Line);
    }

    [Fact]
    public void A_missing_file_is_named()
    {
        var path = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"), "TEMPLATE.yaml");
        var ex = Assert.Throws<RecipeTemplateException>(() => RecipeTemplate.Load(path));
        Assert.Contains(path, ex.Message);
    }

    [Theory]
    [InlineData("    events: [finished]\n", 5, "runtime.job.events")]
    [InlineData("    events: done\n", 5, "runtime.job.events")]
    [InlineData("    webhook_url: not-a-url\n", 5, "runtime.job.webhook_url")]
    [InlineData("    idempotency_scope: forever\n", 5, "runtime.job.idempotency_scope")]
    [InlineData("    timeout_sec: 0\n", 5, "runtime.job.timeout_sec")]
    public void A_bad_runtime_job_value_names_its_key_and_line(string line, int lineNumber, string key)
    {
        var ex = Assert.Throws<RecipeTemplateException>(() => RecipeTemplate.Parse("name: x\nruntime:\n  job:\n    other: 1\n" + line));
        Assert.Equal(key, ex.Key);
        Assert.Equal(lineNumber, ex.Line);
    }
}
