using System.CommandLine;

namespace Praison.Actors.Cli.Recipes;

/// <summary>
/// What a host gives the CLI's recipes: <see cref="Root"/>, the only folder the built-in recipes read under, and
/// <see cref="DataDir"/>, where running step processes are recorded (<c>steps/&lt;taskId&gt;.json</c>) so the next
/// host start can kill any that outlived a crash. Without a data directory nothing is recorded.
/// </summary>
public sealed record RecipeHost(string Root, string? DataDir = null)
{
    /// <summary>Reading recipes without running them (<c>recipes list</c>): the current directory, no records.</summary>
    public static RecipeHost ForCurrentDirectory() => new(Environment.CurrentDirectory);

    /// <summary>The directory built-in recipes may read under (absolute); paths outside it are refused.</summary>
    public string Root { get; } = Path.GetFullPath(Root);

    /// <summary><c>--root</c> of <c>serve</c> and <c>background run</c>.</summary>
    public static Option<string?> RootOption() => new("--root")
    {
        Description = "The folder built-in recipes (word-count, hash-files) may read under; '..' and symlinks out of it are refused. Default: the current directory.",
        HelpName = "DIR",
    };

    /// <summary>The host for <c>--root</c> (null: the current directory); a root that is not a folder is bad input.</summary>
    public static RecipeHost For(string? root, string dataDir)
    {
        var full = Path.GetFullPath(string.IsNullOrEmpty(root) ? Environment.CurrentDirectory : root);
        if (!Directory.Exists(full))
            throw new CliException(ExitCodes.BadInput, $"--root '{root}' is not a folder (resolved to {full}).");
        return new RecipeHost(full, dataDir);
    }
}
