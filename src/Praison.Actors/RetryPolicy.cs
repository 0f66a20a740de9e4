namespace Praison.Actors;

/// <summary>How the wait between two attempts grows.</summary>
public enum RetryBackoff
{
    /// <summary><see cref="RetryPolicy.InitialDelay"/>, doubled after each failed attempt, at most <see cref="RetryPolicy.MaxDelay"/>.</summary>
    Exponential,

    /// <summary>Always <see cref="RetryPolicy.InitialDelay"/>.</summary>
    Fixed,
}

/// <summary>Which endings of an attempt are tried again.</summary>
[Flags]
public enum RetryOn
{
    /// <summary>No ending is retried.</summary>
    None = 0,

    /// <summary>The work threw (or returned a result that could not be stored).</summary>
    Failed = 1,

    /// <summary>The attempt ran past the task's timeout.</summary>
    Timeout = 2,

    /// <summary>Both.</summary>
    All = Failed | Timeout,
}

/// <summary>
/// Retries with backoff for one task (<see cref="TaskOptions.Retry"/>, <see cref="RecipeRunOptions.Retry"/>, or a
/// recipe's <c>runtime.retry</c>). Each attempt gets its own timeout and its own start; the wait before the next
/// attempt is stored, so a restart resumes it. After <see cref="MaxAttempts"/> failed attempts the task fails with
/// <see cref="TaskErrorKind.RetriesExhausted"/>.
/// </summary>
public sealed record RetryPolicy
{
    /// <summary>The most attempts allowed, counting the first (1 = no retry). At most <see cref="MaxAttemptsLimit"/>.</summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>How the wait grows from one attempt to the next.</summary>
    public RetryBackoff Backoff { get; init; } = RetryBackoff.Exponential;

    /// <summary>The wait after the first failed attempt.</summary>
    public TimeSpan InitialDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between two attempts.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>When true each wait is shortened by a random part of up to half, so tasks that failed together do not retry together.</summary>
    public bool Jitter { get; init; }

    /// <summary>Which endings are retried: failures, timeouts, or both (the default).</summary>
    public RetryOn RetryOn { get; init; } = RetryOn.All;

    /// <summary>The highest <see cref="MaxAttempts"/> accepted.</summary>
    public const int MaxAttemptsLimit = 100;

    /// <summary>The wait after failed attempt number <paramref name="attempt"/> (1-based), before jitter.</summary>
    public TimeSpan DelayAfter(int attempt)
    {
        if (Backoff == RetryBackoff.Fixed || attempt <= 1) return Min(InitialDelay, MaxDelay);
        var ticks = (double)InitialDelay.Ticks * Math.Pow(2, Math.Min(attempt - 1, 62));
        return ticks >= MaxDelay.Ticks ? MaxDelay : TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>What is wrong with this policy (named after <paramref name="what"/>), or null when it is valid.</summary>
    internal string? Problem(string what)
    {
        if (MaxAttempts is < 1 or > MaxAttemptsLimit)
            return $"{what}.MaxAttempts must be between 1 and {MaxAttemptsLimit}, got {MaxAttempts}.";
        if (InitialDelay < TimeSpan.Zero) return $"{what}.InitialDelay must not be negative, got {InitialDelay}.";
        if (MaxDelay < InitialDelay) return $"{what}.MaxDelay ({MaxDelay}) must not be shorter than InitialDelay ({InitialDelay}).";
        if (!Enum.IsDefined(Backoff)) return $"{what}.Backoff must be Exponential or Fixed, got {(int)Backoff}.";
        if ((RetryOn & ~RetryOn.All) != 0) return $"{what}.RetryOn has unknown flags: {(int)RetryOn}.";
        return null;
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
