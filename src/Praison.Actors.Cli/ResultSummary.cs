using System.Text.Json;

namespace Praison.Actors.Cli;

/// <summary>
/// A task's result for a person at a terminal: one line per field, long lists cut to their first few items, long
/// values shortened, and a pointer to <c>--json</c> for everything. Scripts (redirected output or <c>--json</c>)
/// get the full JSON instead, so nothing is lost, only kept off a screen it would flood.
/// </summary>
public static class ResultSummary
{
    private const int ListedItems = 5;
    private const int MaxValue = 100;

    /// <summary>Whether to summarise: output goes to a terminal and JSON was not asked for.</summary>
    public static bool ForPeople(bool json) => !json && !Console.IsOutputRedirected;

    /// <summary>Prints the result: a summary for people, the indented JSON otherwise.</summary>
    public static void Write(JsonElement result, bool json)
    {
        if (ForPeople(json)) foreach (var line in Lines(result)) Console.Out.WriteLine(line);
        else Console.Out.WriteLine(JsonSerializer.Serialize(result, Cli.Indented));
    }

    /// <summary>A completed run's result as lines for people.</summary>
    public static IEnumerable<string> Lines(JsonElement result)
    {
        var cut = new Shortened();
        if (result.ValueKind != JsonValueKind.Object)
        {
            foreach (var line in Field(null, result, cut)) yield return line;
        }
        else
        {
            foreach (var property in result.EnumerateObject())
                foreach (var line in Field(property.Name, property.Value, cut))
                    yield return line;
        }
        if (cut.Any) yield return "(shortened for the screen; --json prints the whole result)";
    }

    private static List<string> Field(string? name, JsonElement value, Shortened cut)
    {
        var label = name is null ? "" : $"{name}: ";
        if (value.ValueKind != JsonValueKind.Array)
            return [label + Short(value, cut)];
        var items = value.EnumerateArray().ToList();
        if (items.All(IsScalar) && items.Count <= 8)
            return [label + string.Join(", ", items.Select(i => Short(i, cut)))];
        var lines = new List<string> { $"{label}{items.Count} item{(items.Count == 1 ? "" : "s")}" };
        foreach (var item in items.Take(ListedItems)) lines.Add("  - " + Short(item, cut));
        if (items.Count > ListedItems)
        {
            lines.Add($"  … {items.Count - ListedItems} more; --json for all");
            cut.Any = true;
        }
        return lines;
    }

    /// <summary>A value on one line: an object's values side by side (a file: path, hash, size), long text shortened.</summary>
    private static string Short(JsonElement value, Shortened cut)
    {
        var text = value.ValueKind switch
        {
            JsonValueKind.String => value.GetString()!,
            JsonValueKind.Object when value.EnumerateObject().All(p => IsScalar(p.Value)) =>
                string.Join("  ", value.EnumerateObject().Select(p => Scalar(p.Value, cut))),
            JsonValueKind.Object or JsonValueKind.Array => value.GetRawText().ReplaceLineEndings(" "),
            _ => value.GetRawText(),
        };
        if (text.Contains('\n'))
        {
            var lines = text.TrimEnd('\n').Split('\n');
            if (lines.Length > 1)
            {
                text = $"{lines[^1]} (last of {lines.Length} lines)";
                cut.Any = true;
            }
        }
        if (text.Length <= MaxValue) return text;
        cut.Any = true;
        return text[..(MaxValue - 1)] + "…";
    }

    /// <summary>A field inside a listed item: a long token such as a hash or an id keeps its first 12 characters; a path stays whole.</summary>
    private static string Scalar(JsonElement value, Shortened cut)
    {
        var text = value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
        if (text.Length <= 40 || !text.All(char.IsAsciiLetterOrDigit)) return text.ReplaceLineEndings(" ");
        cut.Any = true;
        return text[..12] + "…";
    }

    /// <summary>Whether anything was left out, to say so once at the end.</summary>
    private sealed class Shortened
    {
        public bool Any { get; set; }
    }

    private static bool IsScalar(JsonElement e) => e.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array);
}
