using System.Text.Json;

namespace Praison.Actors;

/// <summary>The JSON settings used for task inputs, config and results.</summary>
public static class PraisonJson
{
    /// <summary>The JSON options of results and inputs: web defaults (camelCase, case-insensitive reads).</summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    /// <summary>Serializes a value by its runtime type; null stays null.</summary>
    public static string? Serialize(object? value) =>
        value is null ? null : JsonSerializer.Serialize(value, value.GetType(), Options);

    /// <summary>Turns a stored JSON result into a plain value: strings, booleans and numbers as themselves, objects and arrays as <see cref="JsonElement"/>.</summary>
    public static object? ToPlainValue(string? json)
    {
        if (json is null) return null;
        using var doc = JsonDocument.Parse(json);
        var e = doc.RootElement;
        return e.ValueKind switch
        {
            JsonValueKind.Null => null,
            JsonValueKind.String => e.GetString(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Number when e.TryGetInt64(out var l) => l,
            JsonValueKind.Number => e.GetDouble(),
            _ => e.Clone(),
        };
    }
}
