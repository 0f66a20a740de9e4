namespace Praison.Actors;

/// <summary>
/// The one check of a task id, used wherever an id comes in (the runner's methods, the jobs API's routes): 1 to
/// <see cref="TaskLimits.MaxIdLength"/> characters of <c>[A-Za-z0-9_-]</c>. The runtime's own ids (32 hex digits)
/// always pass; anything else cannot name a task, so it is refused as bad input rather than looked up.
/// </summary>
public static class TaskIds
{
    /// <summary>True when <paramref name="id"/> is a well-formed task id.</summary>
    public static bool IsValid(string? id) => Problem(id) is null;

    /// <summary>What is wrong with <paramref name="id"/>, or null when it is a well-formed task id.</summary>
    public static string? Problem(string? id)
    {
        if (string.IsNullOrEmpty(id)) return "A task id is required (it was empty).";
        if (id.Length > TaskLimits.MaxIdLength)
            return $"A task id is at most {TaskLimits.MaxIdLength} characters, got {id.Length}.";
        foreach (var c in id)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
                return $"A task id holds only letters, digits, '_' and '-'; '{Printable(id)}' has {Describe(c)}.";
        return null;
    }

    // The id is at most 64 characters here, but may hold control characters: show them escaped.
    private static string Printable(string id) =>
        string.Concat(id.Select(c => char.IsControl(c) || char.IsSurrogate(c) ? $"\\u{(int)c:x4}" : c.ToString()));

    private static string Describe(char c) => c switch
    {
        ' ' => "a space",
        _ when char.IsControl(c) || char.IsSurrogate(c) => $"the character U+{(int)c:X4}",
        _ => $"'{c}'",
    };
}
