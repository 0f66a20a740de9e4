using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Praison.Actors;

/// <summary>One task of an agent in an agents file: what to do and what to hand back.</summary>
/// <param name="Key">The task's key in the file.</param>
/// <param name="Description">What to do; <c>{topic}</c> and <c>{{input.X}}</c> are filled in at run time.</param>
/// <param name="ExpectedOutput">What the answer should be, appended to the prompt.</param>
public sealed record AgentTaskDefinition(string Key, string Description, string? ExpectedOutput);

/// <summary>One agent (a PraisonAI "role") of an agents file.</summary>
/// <param name="Key">The agent's key under <c>roles:</c> (or <c>agents:</c>).</param>
/// <param name="Role">Its role, e.g. "Research Analyst".</param>
/// <param name="Goal">Its goal.</param>
/// <param name="Backstory">Its backstory.</param>
/// <param name="Instructions">Extra instructions (PraisonAI's newer alternative to a backstory).</param>
/// <param name="Llm">The model it uses; null takes the endpoint's default.</param>
/// <param name="Tasks">Its tasks, in file order.</param>
public sealed record AgentDefinition(string Key, string Role, string? Goal, string? Backstory, string? Instructions, string? Llm,
    IReadOnlyList<AgentTaskDefinition> Tasks);

/// <summary>
/// A PraisonAI agents file (<c>agents.yaml</c>, or a TEMPLATE.yaml that declares <c>roles:</c>): <c>framework</c>,
/// <c>topic</c>, and <c>roles:</c> (or <c>agents:</c>) each with <c>role</c>, <c>goal</c>, <c>backstory</c> /
/// <c>instructions</c>, <c>llm</c> (a model name, or a mapping with <c>model</c>) and <c>tasks:</c> with
/// <c>description</c> and <c>expected_output</c>. Tools and other keys are read past (not run).
/// </summary>
/// <param name="Framework">As written (<c>praisonai</c>, <c>crewai</c>, …); every framework runs the same sequential way here.</param>
/// <param name="Topic">Fills <c>{topic}</c>; an input property <c>topic</c> overrides it.</param>
/// <param name="Agents">The agents in file order.</param>
/// <param name="MaxCostUsd">A budget for the whole run (<c>max_cost_usd:</c>), or null.</param>
public sealed record AgentsFile(string? Framework, string? Topic, IReadOnlyList<AgentDefinition> Agents, decimal? MaxCostUsd)
{
    /// <summary>Every task with its agent, in the order they run.</summary>
    public IEnumerable<(AgentDefinition Agent, AgentTaskDefinition Task)> Steps =>
        Agents.SelectMany(a => a.Tasks.Select(t => (a, t)));

    /// <summary>True when <paramref name="document"/> declares agents (<c>roles:</c> or <c>agents:</c>).</summary>
    public static bool Declares(YamlMappingNode? document) =>
        document is not null && (Get(document, "roles") is not null || Get(document, "agents") is YamlMappingNode);

    /// <summary>Parses agents file text; errors name the source, line and key.</summary>
    /// <exception cref="RecipeTemplateException">Invalid YAML, or a missing or malformed key.</exception>
    public static AgentsFile Parse(string yaml, string source = "agents.yaml")
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException ex)
        {
            throw new RecipeTemplateException(source, (int)ex.Start.Line, (int)ex.Start.Column, "", $"invalid YAML: {(ex.InnerException ?? ex).Message}");
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new RecipeTemplateException(source, 1, 1, "", "the document must be a mapping with 'roles:'");
        return Parse(root, source);
    }

    /// <summary>Parses an already-loaded document (e.g. <see cref="RecipeTemplate.Document"/>).</summary>
    /// <exception cref="RecipeTemplateException">A missing or malformed key.</exception>
    public static AgentsFile Parse(YamlMappingNode root, string source)
    {
        var rolesKey = Get(root, "roles") is not null ? "roles" : "agents";
        var roles = Get(root, rolesKey) as YamlMappingNode
            ?? throw Error(source, Get(root, rolesKey) ?? root, rolesKey, "expected a mapping of agents (role, goal, backstory, tasks)");
        var agents = new List<AgentDefinition>();
        foreach (var (keyNode, value) in roles.Children)
        {
            var key = ((YamlScalarNode)keyNode).Value ?? "";
            var path = $"{rolesKey}.{key}";
            if (value is not YamlMappingNode agent) throw Error(source, value, path, "expected a mapping with role, goal, backstory and tasks");
            var tasksNode = Get(agent, "tasks") as YamlMappingNode
                ?? throw Error(source, Get(agent, "tasks") ?? keyNode, path + ".tasks", "expected a mapping of tasks, each with description and expected_output");
            var tasks = new List<AgentTaskDefinition>();
            foreach (var (taskKey, taskValue) in tasksNode.Children)
            {
                var tk = ((YamlScalarNode)taskKey).Value ?? "";
                var tpath = $"{path}.tasks.{tk}";
                if (taskValue is not YamlMappingNode task) throw Error(source, taskValue, tpath, "expected a mapping with description and expected_output");
                var description = Text(source, task, "description", tpath)
                    ?? throw Error(source, taskKey, tpath + ".description", "the required key 'description' is missing");
                tasks.Add(new AgentTaskDefinition(tk, description, Text(source, task, "expected_output", tpath)));
            }
            if (tasks.Count == 0) throw Error(source, tasksNode, path + ".tasks", "an agent needs at least one task");
            var llm = Get(agent, "llm") switch
            {
                YamlMappingNode m => Text(source, m, "model", path + ".llm"),
                _ => Text(source, agent, "llm", path),
            };
            agents.Add(new AgentDefinition(key, Text(source, agent, "role", path) ?? key, Text(source, agent, "goal", path),
                Text(source, agent, "backstory", path), Text(source, agent, "instructions", path), llm, tasks));
        }
        if (agents.Count == 0) throw Error(source, roles, rolesKey, "declares no agents");

        decimal? maxCost = null;
        if (Text(source, root, "max_cost_usd", "") is { } cost)
        {
            if (!decimal.TryParse(cost, System.Globalization.NumberStyles.Number, System.Globalization.CultureInfo.InvariantCulture, out var c) || c <= 0)
                throw Error(source, Get(root, "max_cost_usd")!, "max_cost_usd", $"expected a positive number of USD, got '{cost}'");
            maxCost = c;
        }
        return new AgentsFile(Text(source, root, "framework", ""), Text(source, root, "topic", ""), agents, maxCost);
    }

    private static YamlNode? Get(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;

    private static string? Text(string source, YamlMappingNode map, string key, string path) => Get(map, key) switch
    {
        null => null,
        YamlScalarNode { Value: null or "" or "~" or "null", Style: ScalarStyle.Plain } => null,
        YamlScalarNode s => s.Value,
        var other => throw Error(source, other, path.Length == 0 ? key : $"{path}.{key}", "expected text, not a list or mapping"),
    };

    private static RecipeTemplateException Error(string source, YamlNode node, string key, string problem) =>
        new(source, (int)node.Start.Line, (int)node.Start.Column, key, problem);
}
