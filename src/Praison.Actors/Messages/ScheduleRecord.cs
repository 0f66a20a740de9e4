namespace Praison.Actors.Messages;

/// <summary>
/// A schedule as stored (one row of <c>praison_schedules</c>; this record is its JSON body). Changed only by replacing
/// the row under its <see cref="Version"/> (optimistic), so two writers never lose each other's change.
/// </summary>
internal sealed record ScheduleRecord
{
    public required string Name { get; init; }
    public required string Recipe { get; init; }
    public required string Expression { get; init; }
    public string TimeZone { get; init; } = "UTC";
    public string? InputJson { get; init; }
    public string? ConfigJson { get; init; }
    public string? SessionId { get; init; }
    public long? TimeoutMs { get; init; }
    public ScheduleCatchUp CatchUp { get; init; } = ScheduleCatchUp.Once;
    public long CatchUpWindowMs { get; init; } = (long)TimeSpan.FromDays(1).TotalMilliseconds;
    public ScheduleOverlap Overlap { get; init; } = ScheduleOverlap.Skip;
    public long JitterMs { get; init; }
    public bool Paused { get; init; }
    /// <summary>Each run's retry policy; null takes the recipe's.</summary>
    public RetryPolicy? Retry { get; init; }
    /// <summary>When the expression was last changed (<c>schedule update</c>): intervals count from it; null: from <see cref="CreatedAt"/>.</summary>
    public DateTimeOffset? AnchoredAt { get; init; }
    /// <summary>Creation time: intervals count from it, "in 10 minutes" is relative to it.</summary>
    public required DateTimeOffset CreatedAt { get; init; }
    /// <summary>The first slot not yet handled; null when a one-shot is done.</summary>
    public DateTimeOffset? NextFireAt { get; init; }
    /// <summary>A slot waiting for the previous run to finish (overlap buffer-one).</summary>
    public DateTimeOffset? BufferedSlot { get; init; }
    /// <summary>The latest runs started, newest first (at most <see cref="MaxRuns"/>).</summary>
    public IReadOnlyList<ScheduleRunEntry> Runs { get; init; } = [];
    /// <summary>Run-now and backfill requests written by a process that does not fire (the CLI); the firing host carries them out.</summary>
    public IReadOnlyList<ScheduleRequest> Requests { get; init; } = [];
    /// <summary>Bumped by every stored change.</summary>
    public long Version { get; init; }
    /// <summary>Runs submitted (slots, catch-up, buffered, run-now, backfill), counted in the write that records them; 0 in rows of older versions.</summary>
    public long FiredCount { get; init; }
    /// <summary>Slots dropped by the overlap or catch-up policy or outside the catch-up window, counted in the write of the look that dropped them.</summary>
    public long SkippedCount { get; init; }

    public const int MaxRuns = 50;

    public TimeSpan CatchUpWindow => TimeSpan.FromMilliseconds(CatchUpWindowMs);
    public TimeSpan Jitter => TimeSpan.FromMilliseconds(JitterMs);
    public string? LastTaskId => Runs.Count > 0 ? Runs[0].TaskId : null;

    /// <summary>This record with <paramref name="runs"/> added in front (newest first), trimmed to <see cref="MaxRuns"/>.</summary>
    public ScheduleRecord WithRuns(IEnumerable<ScheduleRunEntry> runs) =>
        this with { Runs = runs.Reverse().Concat(Runs).Take(MaxRuns).ToList() };
}

/// <summary>One run a schedule started: its task, the slot, when it was submitted and why.</summary>
internal sealed record ScheduleRunEntry(string TaskId, DateTimeOffset SlotAt, DateTimeOffset FiredAt, string Reason);

/// <summary>A request to carry out on the firing host: <c>run-now</c> (at <paramref name="RequestedAt"/>) or <c>backfill</c> of (From, To].</summary>
internal sealed record ScheduleRequest(string Kind, DateTimeOffset RequestedAt, DateTimeOffset? From = null, DateTimeOffset? To = null);
