using System.Text.RegularExpressions;
using Xunit;
using Xunit.Abstractions;

namespace Praison.Actors.Tests;

/// <summary>The README's quick start is ReadmeSample.cs, word for word: compiled here, and run.</summary>
public class ReadmeTests(ITestOutputHelper output) : RuntimeTestKit(output)
{
    [Fact]
    public void The_readme_quick_start_is_the_compiled_sample()
    {
        var root = RepoRoot();
        var readme = File.ReadAllText(Path.Combine(root, "README.md"));
        var match = Regex.Match(readme, @"<!-- quick-start: tests/Praison.Actors.Tests/ReadmeSample.cs -->\s*```csharp\n(.*?)```", RegexOptions.Singleline);
        Assert.True(match.Success, "README.md has no quick-start block marked with its source file");
        var sample = File.ReadAllText(Path.Combine(root, "tests", "Praison.Actors.Tests", "ReadmeSample.cs"));
        Assert.Equal(Normalize(sample), Normalize(match.Groups[1].Value));
    }

    [Fact]
    public async Task The_quick_start_runs()
    {
        var summary = await QuickStart.RunAsync(Sys).WaitAsync(Long);
        Assert.Equal("Completed {\"answer\":\"You asked: What is AI?\"} False analysis done", summary);
    }

    private static string Normalize(string code) =>
        string.Join("\n", code.Replace("\r", "").Split('\n').Select(l => l.TrimEnd())).Trim();

    internal static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Praison.Actors.sln"))) return dir.FullName;
        throw new InvalidOperationException("Praison.Actors.sln not found above " + AppContext.BaseDirectory);
    }
}
