namespace Praison.Actors;

/// <summary>What a task was submitted with, as stored: its input and config as raw JSON text (null when none was given).</summary>
public sealed record TaskInput(string? InputJson, string? ConfigJson);
