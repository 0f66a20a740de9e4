using System.Text.RegularExpressions;

namespace Praison.Actors.Agents.Tests;

/// <summary>The README's agents sample is this project's compiled ReadmeAgentsSample.cs, word for word.</summary>
public sealed class ReadmeTests
{
    private const string Marker = "<!-- c#: tests/Praison.Actors.Agents.Tests/ReadmeAgentsSample.cs -->";

    [Fact]
    public void The_readme_agents_sample_is_the_compiled_file()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Praison.Actors.sln"))) root = Path.GetDirectoryName(root)!;
        var readme = File.ReadAllLines(Path.Combine(root, "README.md"));
        var at = Array.FindIndex(readme, l => l.Trim() == Marker);
        Assert.True(at >= 0, "README.md has no agents sample marker");
        Assert.Equal("```c#", readme[at + 1].Trim());
        var end = Array.FindIndex(readme, at + 2, l => l.Trim() == "```");
        var block = string.Join('\n', readme[(at + 2)..end]);

        var file = File.ReadAllText(Path.Combine(root, "tests/Praison.Actors.Agents.Tests/ReadmeAgentsSample.cs"));
        Assert.Equal(Normalize(file), Normalize(block));
    }

    private static string Normalize(string code) => Regex.Replace(code, @"\s+", " ").Trim();
}
