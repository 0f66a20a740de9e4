using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Praison.Actors;

/// <summary>What a recipe's <c>runtime.background</c> section says; every key is honored.</summary>
public sealed record RecipeBackgroundSettings
{
    /// <summary><c>enabled: false</c> makes <see cref="IRecipeRunner.RunBackgroundAsync"/> refuse the recipe.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>Runs of this recipe at once, inside the runner's global limit.</summary>
    public int? MaxConcurrent { get; init; }

    /// <summary>Seconds a finished run keeps its result; overrides the runner's default.</summary>
    public int? CleanupDelaySec { get; init; }

    /// <summary><c>on_restart: rerun</c> runs an interrupted run again after a restart (at-least-once).</summary>
    public bool RerunOnRestart { get; init; }
}

/// <summary>A recipe's TEMPLATE.yaml: name, description, version, runtime settings.</summary>
public sealed record RecipeTemplate
{
    /// <summary><c>name</c>: how the recipe is run and listed.</summary>
    public required string Name { get; init; }
    /// <summary><c>description</c>, shown by listings.</summary>
    public string? Description { get; init; }
    /// <summary><c>version</c>, informational.</summary>
    public string? Version { get; init; }

    /// <summary><c>runtime.timeout_sec</c>: the default timeout of a run.</summary>
    public int? TimeoutSec { get; init; }

    /// <summary><c>runtime.background</c>: concurrency and other background settings.</summary>
    public RecipeBackgroundSettings Background { get; init; } = new();

    /// <summary>
    /// <c>runtime.retry</c> (or PraisonAI's <c>runtime.schedule.max_retries</c>, as max_attempts = max_retries + 1):
    /// the default retry policy of a run; null retries nothing.
    /// </summary>
    public RetryPolicy? Retry { get; init; }

    /// <summary>The file it was read from, when it came from one.</summary>
    public string? SourcePath { get; init; }

    /// <summary>The parsed document, for extensions that read more keys (e.g. <c>steps</c>).</summary>
    public YamlMappingNode? Document { get; init; }

    /// <summary>Reads and parses the TEMPLATE.yaml at <paramref name="path"/>; a <see cref="RecipeTemplateException"/> names a bad key and line.</summary>
    public static RecipeTemplate Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new RecipeTemplateException(path, 0, 0, "", $"cannot read the file: {ex.Message}");
        }
        return Parse(text, path);
    }

    /// <summary>Parses TEMPLATE.yaml text. Errors name the source, line, column and key.</summary>
    public static RecipeTemplate Parse(string yaml, string source = "TEMPLATE.yaml")
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException ex)
        {
            throw new RecipeTemplateException(source, (int)ex.Start.Line, (int)ex.Start.Column, "", $"invalid YAML: {Inner(ex).Message}");
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            var node = stream.Documents.Count > 0 ? stream.Documents[0].RootNode : null;
            throw new RecipeTemplateException(source, Line(node), Col(node), "", "the document must be a mapping with at least a 'name' key");
        }

        var reader = new Reader(source);
        var nameNode = reader.Scalar(root, "name", "name");
        if (nameNode is null)
            throw new RecipeTemplateException(source, Line(root), Col(root), "name", "the required key 'name' is missing");
        var name = nameNode.Value?.Trim() ?? "";
        if (name.Length == 0 || name.Any(c => char.IsWhiteSpace(c) || c is '/' or '\\'))
            throw reader.Error(nameNode, "name", $"'{nameNode.Value}' is not a valid recipe name (non-empty, no spaces or slashes)");

        int? timeout = null;
        RetryPolicy? retry = null;
        var background = new RecipeBackgroundSettings();
        if (reader.Mapping(root, "runtime", "runtime") is { } runtime)
        {
            timeout = reader.Int(runtime, "timeout_sec", "runtime.timeout_sec", min: 1);
            retry = RetryReader.Read(reader, runtime);
            if (reader.Mapping(runtime, "background", "runtime.background") is { } bg)
            {
                reader.RejectUnknownKeys(bg, "runtime.background", "enabled", "max_concurrent", "cleanup_delay_sec", "on_restart");
                background = new RecipeBackgroundSettings
                {
                    Enabled = reader.Bool(bg, "enabled", "runtime.background.enabled") ?? true,
                    MaxConcurrent = reader.Int(bg, "max_concurrent", "runtime.background.max_concurrent", min: 1),
                    CleanupDelaySec = reader.Int(bg, "cleanup_delay_sec", "runtime.background.cleanup_delay_sec", min: 0),
                    RerunOnRestart = reader.OnRestart(bg),
                };
            }
        }

        return new RecipeTemplate
        {
            Name = name,
            Description = reader.Scalar(root, "description", "description")?.Value,
            Version = reader.Scalar(root, "version", "version")?.Value,
            TimeoutSec = timeout,
            Background = background,
            Retry = retry,
            SourcePath = source,
            Document = root,
        };
    }

    private static Exception Inner(Exception ex) => ex.InnerException is YamlException inner ? Inner(inner) : ex;
    internal static int Line(YamlNode? n) => n is null ? 1 : (int)n.Start.Line;
    internal static int Col(YamlNode? n) => n is null ? 1 : (int)n.Start.Column;

    /// <summary>Typed, line-aware lookups; every failure names the key and where it is.</summary>
    internal sealed class Reader(string source)
    {
        public RecipeTemplateException Error(YamlNode node, string key, string problem) =>
            new(source, Line(node), Col(node), key, problem);

        private static YamlNode? Get(YamlMappingNode map, string key) =>
            map.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;

        public YamlScalarNode? Scalar(YamlMappingNode map, string key, string path) => Get(map, key) switch
        {
            null => null,
            YamlScalarNode { Value: null or "" or "~" or "null", Style: ScalarStyle.Plain } => null,
            YamlScalarNode s => s,
            var other => throw Error(other, path, "expected a single value, not a list or mapping"),
        };

        public YamlMappingNode? Mapping(YamlMappingNode map, string key, string path) => Get(map, key) switch
        {
            null => null,
            YamlScalarNode { Value: null or "" or "~" or "null", Style: ScalarStyle.Plain } => null,
            YamlMappingNode m => m,
            var other => throw Error(other, path, "expected a mapping of keys"),
        };

        public int? Int(YamlMappingNode map, string key, string path, int min)
        {
            if (Scalar(map, key, path) is not { } s) return null;
            if (!int.TryParse(s.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v))
                throw Error(s, path, $"expected a whole number, got '{s.Value}'");
            if (v < min)
                throw Error(s, path, min == 1 ? $"must be a positive whole number, got {v}" : $"must be at least {min}, got {v}");
            return v;
        }

        public bool? Bool(YamlMappingNode map, string key, string path)
        {
            if (Scalar(map, key, path) is not { } s) return null;
            return s.Value?.ToLowerInvariant() switch
            {
                "true" or "yes" or "on" => true,
                "false" or "no" or "off" => false,
                _ => throw Error(s, path, $"expected true or false, got '{s.Value}'"),
            };
        }

        public bool OnRestart(YamlMappingNode bg)
        {
            if (Scalar(bg, "on_restart", "runtime.background.on_restart") is not { } s) return false;
            return s.Value?.ToLowerInvariant() switch
            {
                "rerun" => true,
                "fail" => false,
                _ => throw Error(s, "runtime.background.on_restart", $"expected 'rerun' or 'fail', got '{s.Value}'"),
            };
        }

        public void RejectUnknownKeys(YamlMappingNode map, string path, params string[] known)
        {
            foreach (var key in map.Children.Keys)
                if (key is not YamlScalarNode { Value: { } k } || !known.Contains(k))
                    throw Error(key, $"{path}.{(key as YamlScalarNode)?.Value}",
                        $"unknown key; expected one of: {string.Join(", ", known)}");
        }
    }
}

/// <summary>A TEMPLATE.yaml is malformed or invalid; the message names the file, line, column and key.</summary>
public sealed class RecipeTemplateException(string source, int line, int column, string key, string problem)
    : RecipeException(key.Length == 0 ? $"{source}:{line}:{column}: {problem}" : $"{source}:{line}:{column}: {key}: {problem}")
{
    /// <summary>The file (or source name) that holds the problem.</summary>
    public string File { get; } = source;
    /// <summary>1-based line of the problem.</summary>
    public int Line { get; } = line;
    /// <summary>1-based column of the problem.</summary>
    public int Column { get; } = column;
    /// <summary>The key at fault, or empty when the problem is not one key's.</summary>
    public string Key { get; } = key;
    /// <summary>What is wrong.</summary>
    public string Problem { get; } = problem;
}
