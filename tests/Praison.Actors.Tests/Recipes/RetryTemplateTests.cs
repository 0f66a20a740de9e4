using Xunit;

namespace Praison.Actors.Tests.Recipes;

/// <summary><c>runtime.retry</c> and PraisonAI's <c>runtime.schedule.max_retries</c> in TEMPLATE.yaml.</summary>
public class RetryTemplateTests
{
    [Fact]
    public void Runtime_retry_is_read_key_by_key()
    {
        var t = RecipeTemplate.Parse("""
            name: r
            runtime:
              retry:
                max_attempts: 4
                backoff: fixed
                initial_delay_sec: 5
                max_delay_sec: 60
                jitter: true
                retry_on: [timeout]
            """);
        Assert.Equal(new RetryPolicy
        {
            MaxAttempts = 4, Backoff = RetryBackoff.Fixed, InitialDelay = TimeSpan.FromSeconds(5), MaxDelay = TimeSpan.FromSeconds(60),
            Jitter = true, RetryOn = RetryOn.Timeout,
        }, t.Retry);
    }

    [Fact]
    public void Defaults_fill_what_is_not_given_and_no_section_means_no_retry()
    {
        Assert.Equal(new RetryPolicy { MaxAttempts = 2 }, RecipeTemplate.Parse("name: r\nruntime:\n  retry:\n    max_attempts: 2\n").Retry);
        Assert.Null(RecipeTemplate.Parse("name: r\n").Retry);
        // A first delay longer than the default cap raises the cap with it.
        Assert.Equal(TimeSpan.FromHours(1), RecipeTemplate.Parse("name: r\nruntime:\n  retry:\n    initial_delay_sec: 3600\n").Retry!.MaxDelay);
    }

    [Theory]
    [InlineData(3, 4)]
    [InlineData(1, 2)]
    public void PraisonAIs_schedule_max_retries_maps_onto_max_attempts(int maxRetries, int attempts) =>
        Assert.Equal(attempts, RecipeTemplate.Parse($"name: r\nruntime:\n  schedule:\n    max_retries: {maxRetries}\n").Retry!.MaxAttempts);

    [Fact]
    public void Zero_max_retries_is_no_retry_and_runtime_retry_wins_over_it()
    {
        Assert.Null(RecipeTemplate.Parse("name: r\nruntime:\n  schedule:\n    max_retries: 0\n").Retry);
        Assert.Equal(5, RecipeTemplate.Parse("name: r\nruntime:\n  retry:\n    max_attempts: 5\n  schedule:\n    max_retries: 1\n").Retry!.MaxAttempts);
    }

    [Fact]
    public void An_unknown_retry_key_is_a_warning_naming_it() =>
        Assert.Contains(RecipeTemplate.Parse("name: r\nruntime:\n  retry:\n    attempts: 3\n").Warnings, w => w.Key == "runtime.retry.attempts");

    [Theory]
    [InlineData("    backoff: linear\n", "runtime.retry.backoff", "'exponential' or 'fixed'")]
    [InlineData("    retry_on: [failed, crashed]\n", "runtime.retry.retry_on", "'failed' or 'timeout'")]
    [InlineData("    max_attempts: 0\n", "runtime.retry.max_attempts", "positive")]
    [InlineData("    max_attempts: 101\n", "runtime.retry.max_attempts", "at most 100")]
    [InlineData("    initial_delay_sec: 10\n    max_delay_sec: 5\n", "runtime.retry.max_delay_sec", "not be less")]
    public void A_bad_retry_setting_names_its_key(string yaml, string key, string problem)
    {
        var e = Assert.Throws<RecipeTemplateException>(() => RecipeTemplate.Parse("name: r\nruntime:\n  retry:\n" + yaml));
        Assert.Equal(key, e.Key);
        Assert.Contains(problem, e.Problem);
    }
}
