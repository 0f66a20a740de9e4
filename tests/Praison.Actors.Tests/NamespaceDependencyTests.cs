using System.Text.RegularExpressions;
using Xunit;
using Xunit.Abstractions;

namespace Praison.Actors.Tests;

/// <summary>
/// The sub-namespaces of src/Praison.Actors form a DAG: none imports one that imports it back (issue 11 item 5).
/// The root namespace, the public API that builds the actors, is exempt. A file's dependencies are read from its
/// source: its <c>using Praison.Actors.X;</c> lines, <c>Praison.Actors.X.Type</c>, and <c>X.Type</c> where Type is
/// declared in X (so a property named like a namespace is not mistaken for one).
/// </summary>
public partial class NamespaceDependencyTests(ITestOutputHelper output)
{
    private const string Root = "Praison.Actors";

    [Fact]
    public void The_internal_namespaces_of_Praison_Actors_have_no_cycle()
    {
        var dir = Path.Combine(ReadmeTests.RepoRoot(), "src", "Praison.Actors");
        var files = Directory.EnumerateFiles(dir, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") &&
                        !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            .Select(File.ReadAllText)
            .ToList();
        var edges = Dependencies(files);
        foreach (var (from, tos) in edges.OrderBy(e => e.Key, StringComparer.Ordinal))
            output.WriteLine($"{from} -> {string.Join(", ", tos.Order(StringComparer.Ordinal))}");

        Assert.Contains("Tasks", edges.Keys); // the scan found the actors' namespace and what it uses
        Assert.Contains("Persistence", edges["Tasks"]);
        // The scheduler comes after Tasks: it uses what is before it and nothing uses it but the root (the runner).
        Assert.Contains("Scheduling", edges.Keys);
        Assert.Contains("Persistence", edges["Scheduling"]);
        Assert.Empty(edges.Where(e => e.Value.Contains("Scheduling")).Select(e => e.Key));
        var cycle = FindCycle(edges);
        Assert.True(cycle is null, $"Namespace cycle: {string.Join(" -> ", cycle ?? [])}");
    }

    [Fact]
    public void The_check_names_a_cycle_through_a_qualified_name_or_a_using()
    {
        var tasks = """
            using Praison.Actors.Persistence;
            namespace Praison.Actors.Tasks;
            internal sealed class TaskEntity { public bool Tasks => true; }
            """;
        var persistence = """
            namespace Praison.Actors.Persistence;
            internal sealed class TaskJournal { string Id(string id) => Tasks.TaskEntity.Name + id; }
            """;
        var edges = Dependencies([tasks, persistence]);
        Assert.Equal(["Persistence", "Tasks", "Persistence"], FindCycle(edges));

        // A member named like a namespace ("Tasks.Executes") is no reference to it.
        var settings = """
            namespace Praison.Actors.Persistence;
            internal sealed record Settings(Praison.Actors.Root Tasks) { bool E => Tasks.Executes; }
            """;
        Assert.Null(FindCycle(Dependencies([tasks, settings])));
    }

    /// <summary>Sub-namespace (the part after Praison.Actors.) → the sub-namespaces its files use.</summary>
    internal static Dictionary<string, HashSet<string>> Dependencies(IReadOnlyList<string> sources)
    {
        var parsed = sources.Select(s => (Ns: Sub(NamespaceLine().Match(s).Groups[1].Value), Source: StripComments(s))).ToList();
        var declared = new Dictionary<string, HashSet<string>>();
        foreach (var (ns, source) in parsed)
        {
            if (ns is null) continue;
            var set = declared.TryGetValue(ns, out var d) ? d : declared[ns] = [];
            foreach (Match m in TypeDeclaration().Matches(source))
                set.Add(m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value);
        }

        var edges = new Dictionary<string, HashSet<string>>();
        foreach (var (ns, source) in parsed)
        {
            if (ns is null) continue;
            var uses = edges.TryGetValue(ns, out var u) ? u : edges[ns] = [];
            foreach (Match m in UsingLine().Matches(source)) uses.Add(m.Groups[1].Value);
            foreach (Match m in FullyQualified().Matches(source)) uses.Add(m.Groups[1].Value);
            foreach (Match m in Qualified().Matches(source))
                if (declared.TryGetValue(m.Groups[1].Value, out var types) && types.Contains(m.Groups[2].Value))
                    uses.Add(m.Groups[1].Value);
            uses.Remove(ns);
        }
        return edges;
    }

    /// <summary>A cycle as the namespaces along it, first repeated at the end; null when there is none.</summary>
    internal static List<string>? FindCycle(Dictionary<string, HashSet<string>> edges)
    {
        var state = new Dictionary<string, int>(); // 1 on the current path, 2 done
        var path = new List<string>();
        foreach (var start in edges.Keys.Order(StringComparer.Ordinal))
            if (Visit(start) is { } cycle) return cycle;
        return null;

        List<string>? Visit(string n)
        {
            if (state.GetValueOrDefault(n) == 2) return null;
            if (state.GetValueOrDefault(n) == 1) return [.. path.Skip(path.IndexOf(n)), n];
            state[n] = 1;
            path.Add(n);
            foreach (var next in edges.GetValueOrDefault(n, []).Order(StringComparer.Ordinal))
                if (Visit(next) is { } cycle) return cycle;
            path.RemoveAt(path.Count - 1);
            state[n] = 2;
            return null;
        }
    }

    private static string? Sub(string ns) => ns.StartsWith(Root + ".", StringComparison.Ordinal) ? ns[(Root.Length + 1)..].Split('.')[0] : null;

    // Comments name types for the reader (crefs); only code counts as a dependency.
    private static string StripComments(string s) => LineComment().Replace(BlockComment().Replace(s, ""), "");

    [GeneratedRegex(@"^\s*namespace\s+([\w.]+)", RegexOptions.Multiline)]
    private static partial Regex NamespaceLine();

    [GeneratedRegex(@"^\s*(?:global\s+)?using\s+(?:\w+\s*=\s*)?Praison\.Actors\.(\w+)", RegexOptions.Multiline)]
    private static partial Regex UsingLine();

    [GeneratedRegex(@"(?<![\w.])Praison\.Actors\.(\w+)\.\w")]
    private static partial Regex FullyQualified();

    [GeneratedRegex(@"(?<![\w.])(\w+)\.(\w+)")]
    private static partial Regex Qualified();

    [GeneratedRegex(@"\b(?:class|record|struct|interface|enum)\s+(\w+)|\bdelegate\s+[\w<>?,\s]+?\s(\w+)\s*[<(]")]
    private static partial Regex TypeDeclaration();

    [GeneratedRegex(@"//[^\n]*")]
    private static partial Regex LineComment();

    [GeneratedRegex(@"/\*.*?\*/", RegexOptions.Singleline)]
    private static partial Regex BlockComment();
}
