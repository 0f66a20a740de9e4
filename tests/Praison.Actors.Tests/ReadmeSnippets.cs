using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Praison.Actors.Tests;

/// <summary>
/// The ```csharp blocks of README.md, and a compiler for them. A block compiles as a newcomer's file would: only its
/// own <c>using</c> lines plus the implicit usings of a console project, against the assemblies of this test project.
/// A block may be a fragment of a larger program: the few names it takes from its surroundings are declared in
/// <see cref="Surroundings"/> (and nothing else is).
/// </summary>
internal static class ReadmeSnippets
{
    /// <summary>One block: its first code line in README.md, its code, and the compiled file (and region) it must equal, if marked.</summary>
    public sealed record Block(int Line, string Code, string? Source)
    {
        public override string ToString() => $"README.md:{Line}";
    }

    /// <summary>
    /// The names README fragments use without declaring them, as a program around them would have them. Only their
    /// types matter: nothing here runs.
    /// </summary>
    private const string Surroundings = """
        using Akka.Actor;
        using Microsoft.Extensions.DependencyInjection;
        using Praison.Actors;
        using Praison.Actors.Hosting;

        public static class ReadmeSurroundings
        {
            public static ActorSystem actorSystem => throw null!;
            public static RecipeRegistry recipes => throw null!;
            public static string connectionString => throw null!;
            public static IServiceCollection services => throw null!;
            public static PraisonActorsOptions options => throw null!;
        }
        """;

    /// <summary>The implicit usings of a console project (ImplicitUsings enable), and the surroundings.</summary>
    private const string GlobalUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        global using static ReadmeSurroundings;
        """;

    private static readonly CSharpParseOptions Parse = new(LanguageVersion.Latest);

    private static readonly Lazy<IReadOnlyList<MetadataReference>> References = new(() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
        .Where(p => p.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) && File.Exists(p))
        .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
        .ToList());

    public static string ReadmePath => Path.Combine(ReadmeTests.RepoRoot(), "README.md");

    /// <summary>Every ```csharp block, with the file it is marked with by a <c>&lt;!-- csharp: path[#region] --&gt;</c> line just before it.</summary>
    public static IReadOnlyList<Block> Read(string readme)
    {
        var lines = readme.Replace("\r", "").Split('\n');
        var blocks = new List<Block>();
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim() != "```csharp") continue;
            var end = Array.FindIndex(lines, i + 1, l => l.Trim() == "```");
            if (end < 0) throw new InvalidOperationException($"README.md:{i + 1}: a ```csharp block is never closed.");
            var marker = i > 0 ? Regex.Match(lines[i - 1], @"^<!--\s*csharp:\s*(\S+)\s*-->$") : Match.Empty;
            blocks.Add(new Block(i + 2, string.Join("\n", lines[(i + 1)..end]), marker.Success ? marker.Groups[1].Value : null));
            i = end;
        }
        return blocks;
    }

    public static IReadOnlyList<Block> ReadAll() => Read(File.ReadAllText(ReadmePath));

    /// <summary>The compiler's errors for a block (none when it compiles).</summary>
    public static IReadOnlyList<Diagnostic> Errors(Block block)
    {
        var code = CSharpSyntaxTree.ParseText(block.Code, Parse, path: block.ToString());
        var hasStatements = code.GetCompilationUnitRoot().Members.OfType<GlobalStatementSyntax>().Any();
        var compilation = CSharpCompilation.Create("ReadmeBlock",
            [CSharpSyntaxTree.ParseText(GlobalUsings, Parse), CSharpSyntaxTree.ParseText(Surroundings, Parse), code],
            References.Value,
            new CSharpCompilationOptions(hasStatements ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary,
                nullableContextOptions: NullableContextOptions.Enable));
        return compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
    }

    /// <summary>The text a marked block must equal: the whole file, or the lines between <c>#region name</c> and its <c>#endregion</c>.</summary>
    public static string SourceOf(string marker)
    {
        var (path, region) = marker.Split('#', 2) is [var p, var r] ? (p, r) : (marker, null);
        var text = File.ReadAllText(Path.Combine(ReadmeTests.RepoRoot(), path)).Replace("\r", "");
        if (region is null) return text;
        var lines = text.Split('\n');
        var start = Array.FindIndex(lines, l => l.Trim() == $"#region {region}");
        var end = start < 0 ? -1 : Array.FindIndex(lines, start + 1, l => l.Trim().StartsWith("#endregion", StringComparison.Ordinal));
        if (start < 0 || end < 0) throw new InvalidOperationException($"{path} has no '#region {region}' closed by '#endregion'.");
        var body = lines[(start + 1)..end];
        var indent = body.Where(l => l.Trim().Length > 0).Select(l => l.Length - l.TrimStart().Length).DefaultIfEmpty(0).Min();
        return string.Join("\n", body.Select(l => l.Length >= indent ? l[indent..] : l.TrimStart()));
    }

    public static string Normalize(string code) =>
        string.Join("\n", code.Replace("\r", "").Split('\n').Select(l => l.TrimEnd())).Trim();
}
