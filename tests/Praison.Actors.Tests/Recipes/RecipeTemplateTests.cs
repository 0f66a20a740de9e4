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
    [InlineData("name: ok\nruntime:\n  background:\n    enabled: true\n    max_concurent: 2\n", 5, "runtime.background.max_concurent", "unknown key")]
    [InlineData("name: ok\nruntime:\n  background:\n    on_restart: retry\n", 4, "runtime.background.on_restart", "'rerun' or 'fail'")]
    [InlineData("name: ok\nruntime: [1, 2]\n", 2, "runtime", "mapping")]
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

    [Fact]
    public void Runtime_job_is_read_and_its_webhook_url_expands_the_environment()
    {
        Environment.SetEnvironmentVariable("PRAISON_TEST_HOOK_HOST", "hooks.example.com");
        var t = RecipeTemplate.Parse("""
            name: jobbed
            runtime:
              job:
                webhook_url: "https://${PRAISON_TEST_HOOK_HOST}/done"
                events: [completed, failed]
                timeout_sec: 90
                idempotency_scope: Session
            """);
        Assert.Equal("https://${PRAISON_TEST_HOOK_HOST}/done", t.Job.WebhookUrl);
        Assert.Equal("https://hooks.example.com/done", t.Job.ExpandWebhookUrl());
        Assert.Equal(["completed", "failed"], t.Job.Events!);
        Assert.Equal(90, t.Job.TimeoutSec);
        Assert.Equal("session", t.Job.IdempotencyScope);
    }

    [Fact]
    public void An_unset_variable_in_the_webhook_url_is_named_when_a_run_is_submitted()
    {
        var t = RecipeTemplate.Parse("name: x\nruntime:\n  job:\n    webhook_url: https://${PRAISON_TEST_UNSET_VAR_42}/h\n");
        var ex = Assert.Throws<ArgumentException>(() => t.Job.ExpandWebhookUrl());
        Assert.Contains("PRAISON_TEST_UNSET_VAR_42", ex.Message);
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
