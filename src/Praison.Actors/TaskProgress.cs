namespace Praison.Actors;

/// <summary>The last progress a task's work reported: a fraction in [0, 1] and an optional step message.</summary>
public sealed record TaskProgress(double Fraction, string? Message, DateTimeOffset At);
