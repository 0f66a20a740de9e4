using System.Text.Json;

namespace Praison.Actors;

/// <summary>The context of one recipe run: the task context plus the run's input, config and template.</summary>
public sealed class RecipeContext : TaskContext
{
    internal RecipeContext(TaskContext task, RecipeTemplate template, JsonElement input, IReadOnlyDictionary<string, JsonElement> config)
        : base(task)
    {
        Template = template;
        Input = input;
        Config = config;
    }

    /// <summary>The template of the recipe being run.</summary>
    public RecipeTemplate Template { get; }

    /// <summary>The run's input as JSON (<see cref="JsonValueKind.Undefined"/> when none was given).</summary>
    public JsonElement Input { get; }

    /// <summary>The run's config values by key, as JSON.</summary>
    public IReadOnlyDictionary<string, JsonElement> Config { get; }

    /// <summary>Reads the input as <typeparamref name="T"/> (web defaults: case-insensitive names).</summary>
    public T? GetInput<T>() =>
        Input.ValueKind == JsonValueKind.Undefined ? default : Input.Deserialize<T>(PraisonJson.Options);

    /// <summary>Reads one input property as a string, or null when absent.</summary>
    public string? GetInputString(string property) =>
        Input.ValueKind == JsonValueKind.Object && Input.TryGetProperty(property, out var v) && v.ValueKind != JsonValueKind.Null
            ? v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText()
            : null;

    /// <summary>Reads config <paramref name="key"/> as <typeparamref name="T"/>, or <paramref name="fallback"/> when absent.</summary>
    public T? GetConfig<T>(string key, T? fallback = default) =>
        Config.TryGetValue(key, out var v) ? v.Deserialize<T>(PraisonJson.Options) : fallback;
}
