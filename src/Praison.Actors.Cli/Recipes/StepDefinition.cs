using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Praison.Actors.Cli.Recipes;

/// <summary>
/// One <c>steps:</c> entry of a folder recipe's TEMPLATE.yaml: a command and its arguments, run without a shell.
/// <code>
/// steps:
///   - name: list
///     command: ls
///     args: ["-la", "{{input.path}}"]
///     working_dir: .          # relative to the recipe folder (the default)
///     env: { LC_ALL: C }
///     timeout_sec: 60
///     allow_outside: false    # true: working_dir and path args may leave the recipe folder
/// </code>
/// </summary>
public sealed record StepDefinition(
    string Name,
    string Command,
    IReadOnlyList<string> Args,
    string? WorkingDir,
    IReadOnlyDictionary<string, string> Env,
    int? TimeoutSec,
    bool AllowOutside = false)
{
    private static readonly string[] Keys = ["name", "command", "args", "working_dir", "env", "timeout_sec", "allow_outside"];

    /// <summary>
    /// Reads <c>steps</c> from a parsed template; null when the key is absent. Errors are
    /// <see cref="RecipeTemplateException"/>s naming the file, line, column and key, like the template's own.
    /// </summary>
    public static IReadOnlyList<StepDefinition>? Parse(RecipeTemplate template)
    {
        var source = template.SourcePath ?? "TEMPLATE.yaml";
        if (template.Document is not { } root ||
            !root.Children.TryGetValue(new YamlScalarNode("steps"), out var node)) return null;

        if (node is not YamlSequenceNode list)
            throw Error(source, node, "steps", "expected a list of steps, each with at least a 'command'");
        if (list.Children.Count == 0)
            throw Error(source, list, "steps", "the list is empty; declare at least one step");

        var steps = new List<StepDefinition>();
        for (var i = 0; i < list.Children.Count; i++)
        {
            var path = $"steps[{i}]";
            if (list.Children[i] is not YamlMappingNode step)
                throw Error(source, list.Children[i], path, "expected a mapping with at least a 'command'");

            foreach (var key in step.Children.Keys)
                if (key is not YamlScalarNode { Value: { } k } || !Keys.Contains(k))
                    throw Error(source, key, $"{path}.{(key as YamlScalarNode)?.Value}", $"unknown key; expected one of: {string.Join(", ", Keys)}");

            var command = Scalar(source, step, "command", path)
                ?? throw Error(source, step, $"{path}.command", "the required key 'command' is missing");
            if (string.IsNullOrWhiteSpace(command.Value))
                throw Error(source, command, $"{path}.command", "must not be empty");

            var args = new List<string>();
            if (Get(step, "args") is { } argsNode)
            {
                if (argsNode is not YamlSequenceNode argList)
                    throw Error(source, argsNode, $"{path}.args", "expected a list of strings, e.g. [\"-la\", \".\"] (steps run without a shell, so there is no word splitting)");
                for (var a = 0; a < argList.Children.Count; a++)
                    args.Add(argList.Children[a] is YamlScalarNode s
                        ? s.Value ?? ""
                        : throw Error(source, argList.Children[a], $"{path}.args[{a}]", "expected a single value, not a list or mapping"));
            }

            var env = new Dictionary<string, string>(StringComparer.Ordinal);
            if (Get(step, "env") is { } envNode && !IsNull(envNode))
            {
                if (envNode is not YamlMappingNode envMap)
                    throw Error(source, envNode, $"{path}.env", "expected a mapping of variable names to values");
                foreach (var (k, v) in envMap.Children)
                {
                    var name = (k as YamlScalarNode)?.Value;
                    if (string.IsNullOrEmpty(name) || name.Contains('='))
                        throw Error(source, k, $"{path}.env", $"'{name}' is not a valid environment variable name");
                    env[name] = v is YamlScalarNode sv ? sv.Value ?? ""
                        : throw Error(source, v, $"{path}.env.{name}", "expected a single value, not a list or mapping");
                }
            }

            int? timeout = null;
            if (Scalar(source, step, "timeout_sec", path) is { } t)
            {
                if (!int.TryParse(t.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v))
                    throw Error(source, t, $"{path}.timeout_sec", $"expected a whole number, got '{t.Value}'");
                if (v < 1)
                    throw Error(source, t, $"{path}.timeout_sec", $"must be a positive whole number, got {v}");
                timeout = v;
            }

            var allowOutside = false;
            if (Scalar(source, step, "allow_outside", path) is { } o && !bool.TryParse(o.Value, out allowOutside))
                throw Error(source, o, $"{path}.allow_outside", $"expected true or false, got '{o.Value}'");

            steps.Add(new StepDefinition(
                Scalar(source, step, "name", path)?.Value ?? $"step {i + 1}",
                command.Value!,
                args,
                Scalar(source, step, "working_dir", path)?.Value,
                env,
                timeout,
                allowOutside));
        }
        return steps;
    }

    private static YamlNode? Get(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;

    private static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Value: null or "" or "~" or "null", Style: ScalarStyle.Plain };

    private static YamlScalarNode? Scalar(string source, YamlMappingNode map, string key, string path) => Get(map, key) switch
    {
        null => null,
        var n when IsNull(n) => null,
        YamlScalarNode s => s,
        var other => throw Error(source, other, $"{path}.{key}", "expected a single value, not a list or mapping"),
    };

    private static RecipeTemplateException Error(string source, YamlNode node, string key, string problem) =>
        new(source, (int)node.Start.Line, (int)node.Start.Column, key, problem);
}
