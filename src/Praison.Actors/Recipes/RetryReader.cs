using YamlDotNet.RepresentationModel;

namespace Praison.Actors;

/// <summary>
/// Reads a recipe's retry policy from TEMPLATE.yaml: <c>runtime.retry</c> (max_attempts, backoff, initial_delay_sec,
/// max_delay_sec, jitter, retry_on), else PraisonAI's <c>runtime.schedule.max_retries</c> (max_attempts = max_retries + 1,
/// the other settings their defaults). Kept apart from <see cref="RecipeTemplate"/>'s own parsing.
/// </summary>
internal static class RetryReader
{
    private static readonly string[] Keys = ["max_attempts", "backoff", "initial_delay_sec", "max_delay_sec", "jitter", "retry_on"];

    public static RetryPolicy? Read(RecipeTemplate.Reader reader, YamlMappingNode runtime)
    {
        if (reader.Mapping(runtime, "retry", "runtime.retry") is { } retry) return FromRetry(reader, retry);
        if (reader.Mapping(runtime, "schedule", "runtime.schedule") is { } schedule
            && reader.Int(schedule, "max_retries", "runtime.schedule.max_retries", min: 0) is { } maxRetries)
        {
            if (maxRetries + 1 > RetryPolicy.MaxAttemptsLimit)
                throw reader.Error(schedule, "runtime.schedule.max_retries", $"must be at most {RetryPolicy.MaxAttemptsLimit - 1}, got {maxRetries}");
            return maxRetries == 0 ? null : new RetryPolicy { MaxAttempts = maxRetries + 1 };
        }
        return null;
    }

    private static RetryPolicy FromRetry(RecipeTemplate.Reader reader, YamlMappingNode retry)
    {
        reader.WarnUnknownKeys(retry, "runtime.retry", Keys);
        var policy = new RetryPolicy();
        if (reader.Int(retry, "max_attempts", "runtime.retry.max_attempts", min: 1) is { } attempts)
        {
            if (attempts > RetryPolicy.MaxAttemptsLimit)
                throw reader.Error(retry, "runtime.retry.max_attempts", $"must be at most {RetryPolicy.MaxAttemptsLimit}, got {attempts}");
            policy = policy with { MaxAttempts = attempts };
        }
        if (reader.Scalar(retry, "backoff", "runtime.retry.backoff") is { } backoff)
            policy = policy with
            {
                Backoff = backoff.Value?.ToLowerInvariant() switch
                {
                    "exponential" => RetryBackoff.Exponential,
                    "fixed" => RetryBackoff.Fixed,
                    _ => throw reader.Error(backoff, "runtime.retry.backoff", $"expected 'exponential' or 'fixed', got '{backoff.Value}'"),
                },
            };
        if (reader.Int(retry, "initial_delay_sec", "runtime.retry.initial_delay_sec", min: 0) is { } initial)
            policy = policy with { InitialDelay = TimeSpan.FromSeconds(initial) };
        if (reader.Int(retry, "max_delay_sec", "runtime.retry.max_delay_sec", min: 0) is { } max)
            policy = policy with { MaxDelay = TimeSpan.FromSeconds(max) };
        else if (policy.InitialDelay > policy.MaxDelay)
            policy = policy with { MaxDelay = policy.InitialDelay };
        if (policy.MaxDelay < policy.InitialDelay)
            throw reader.Error(retry, "runtime.retry.max_delay_sec",
                $"must not be less than initial_delay_sec ({policy.InitialDelay.TotalSeconds:0}), got {policy.MaxDelay.TotalSeconds:0}");
        if (reader.Bool(retry, "jitter", "runtime.retry.jitter") is { } jitter) policy = policy with { Jitter = jitter };
        if (RetryOnOf(reader, retry) is { } on) policy = policy with { RetryOn = on };
        return policy;
    }

    private static RetryOn? RetryOnOf(RecipeTemplate.Reader reader, YamlMappingNode retry)
    {
        if (!retry.Children.TryGetValue(new YamlScalarNode("retry_on"), out var node)) return null;
        var items = node switch
        {
            YamlSequenceNode seq => seq.Children,
            YamlScalarNode scalar => [scalar],
            _ => throw reader.Error(node, "runtime.retry.retry_on", "expected a list such as [failed, timeout]"),
        };
        var on = RetryOn.None;
        foreach (var item in items)
            on |= item is YamlScalarNode { Value: { } v } ? v.ToLowerInvariant() switch
            {
                "failed" => RetryOn.Failed,
                "timeout" => RetryOn.Timeout,
                _ => throw reader.Error(item, "runtime.retry.retry_on", $"expected 'failed' or 'timeout', got '{v}'"),
            } : throw reader.Error(item, "runtime.retry.retry_on", "expected 'failed' or 'timeout'");
        return on;
    }
}
