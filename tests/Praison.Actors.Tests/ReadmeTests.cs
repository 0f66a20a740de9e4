using Xunit;
using Xunit.Abstractions;

namespace Praison.Actors.Tests;

/// <summary>
/// Every ```csharp block of README.md compiles as shown (ReadmeSnippets), a block marked with a source file equals
/// that compiled file word for word, and the marked samples run.
/// </summary>
public class ReadmeTests(ITestOutputHelper output) : RuntimeTestKit(output)
{
    private readonly ITestOutputHelper _log = output;

    /// <summary>Blocks that name TaskStore: they compile with only <c>using Praison.Actors;</c> (issue 16 item 8).</summary>
    private static bool UsesTaskStore(ReadmeSnippets.Block b) => b.Code.Contains("TaskStore.", StringComparison.Ordinal);

    public static TheoryData<int> Blocks()
    {
        var data = new TheoryData<int>();
        foreach (var b in ReadmeSnippets.ReadAll().Where(b => !UsesTaskStore(b))) data.Add(b.Line);
        return data;
    }

    [Theory]
    [MemberData(nameof(Blocks))]
    public void A_readme_csharp_block_compiles_as_shown(int line) => AssertCompiles(ReadmeSnippets.ReadAll().Single(b => b.Line == line));

    [Fact]
    public void The_readme_blocks_that_use_TaskStore_compile_as_shown()
    {
        var blocks = ReadmeSnippets.ReadAll().Where(UsesTaskStore).ToList();
        Assert.NotEmpty(blocks);
        foreach (var block in blocks) AssertCompiles(block);
    }

    [Fact]
    public void The_snippet_check_catches_a_block_that_does_not_compile()
    {
        var bad = new ReadmeSnippets.Block(1, """
            using Praison.Actors;
            var runner = new BackgroundRunner(actorSystem);
            await runner.SubmitAsync(ctx => 42);
            """, null);
        Assert.Contains(ReadmeSnippets.Errors(bad), e => e.Id == "CS1662"); // an int is no Task: neither overload fits
        var missingUsing = new ReadmeSnippets.Block(1, "var runner = new BackgroundRunner(actorSystem);", null);
        Assert.Contains(ReadmeSnippets.Errors(missingUsing), e => e.Id == "CS0246");
    }

    [Fact]
    public void Every_marked_block_is_its_compiled_file_word_for_word()
    {
        var marked = ReadmeSnippets.ReadAll().Where(b => b.Source is not null).ToList();
        Assert.Contains(marked, b => b.Source == "tests/Praison.Actors.Tests/ReadmeSample.cs");
        Assert.Contains(marked, b => b.Source == "tests/Praison.Actors.Tests/ReadmeApiSample.cs");
        foreach (var block in marked)
            Assert.Equal(ReadmeSnippets.Normalize(ReadmeSnippets.SourceOf(block.Source!)), ReadmeSnippets.Normalize(block.Code));
    }

    [Fact]
    public void A_region_marker_takes_only_that_region_without_its_indent()
    {
        var path = Path.Combine(Path.GetTempPath(), $"readme-region-{Guid.NewGuid():N}.cs");
        File.WriteAllText(path, "class A\n{\n    #region sample\n    var x = 1;\n        x++;\n    #endregion\n}\n");
        try
        {
            Assert.Equal("var x = 1;\n    x++;", ReadmeSnippets.SourceOf(Path.GetRelativePath(RepoRoot(), path) + "#sample"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task The_quick_start_runs()
    {
        var summary = await QuickStart.RunAsync(Sys).WaitAsync(Long);
        Assert.Equal("Completed {\"answer\":\"You asked: What is AI?\"} False analysis done", summary);
    }

    [Fact]
    public async Task More_of_the_api_runs()
    {
        var recipes = Recipes(("name: my-recipe\n", ctx => Task.FromResult<object?>($"You asked: {ctx.GetInputString("query")}")));
        var summary = await MoreOfTheApi.RunAsync(CreateRunner(recipes: recipes)).WaitAsync(Long);
        Assert.Equal("first: True; lengths: 5,6,7; answers: You asked: a|You asked: b", summary);
    }

    private void AssertCompiles(ReadmeSnippets.Block block)
    {
        var errors = ReadmeSnippets.Errors(block);
        foreach (var e in errors) _log.WriteLine(e.ToString());
        Assert.True(errors.Count == 0, $"{block} does not compile as shown:\n{string.Join("\n", errors)}");
    }

    internal static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Praison.Actors.sln"))) return dir.FullName;
        throw new InvalidOperationException("Praison.Actors.sln not found above " + AppContext.BaseDirectory);
    }
}
