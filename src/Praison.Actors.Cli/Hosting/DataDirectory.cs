using Praison.Actors.Persistence;

namespace Praison.Actors.Cli.Hosting;

/// <summary>
/// The checks the CLI makes on a data directory before it reads or writes the store there, so that a file in its
/// place, a directory that cannot be created, or one this user cannot read or write ends the command with exit code
/// 8 and one line naming the path, instead of an empty answer or a stack trace.
/// </summary>
public static class DataDirectory
{
    /// <summary>True when <paramref name="dir"/> holds a store; false when there is none yet; exit 8 when it cannot be a store.</summary>
    public static bool HasStore(string dir)
    {
        if (File.Exists(dir)) throw NotADirectory(dir);
        if (!Directory.Exists(dir))
        {
            if (FileAncestor(dir) is { } file) throw NotADirectory(dir, file);
            return false;
        }
        var journal = Path.Combine(dir, "journal.db");
        if (!File.Exists(journal)) return false;
        try
        {
            using var _ = new FileStream(journal, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (UnauthorizedAccessException)
        {
            throw new CliException(ExitCodes.Unavailable, $"The store in {dir} cannot be read by this user: permission denied on {journal}.");
        }
        return true;
    }

    /// <summary>
    /// Makes <paramref name="dir"/> ready for a command that writes the store: created 0700 when missing, writable,
    /// and private (wider modes narrowed, with one line on stderr saying which files).
    /// </summary>
    public static void PrepareForWrite(string dir)
    {
        if (File.Exists(dir)) throw NotADirectory(dir);
        if (!Directory.Exists(dir) && FileAncestor(dir) is { } file) throw NotADirectory(dir, file);
        IReadOnlyList<string> narrowed;
        try
        {
            narrowed = PrivateFiles.Secure(dir, createStoreFiles: false);
            // Creating a file is the one reliable test of write access (root ignores modes; a read-only mount does not).
            var probe = Path.Combine(dir, $".write-check-{Environment.ProcessId}");
            using (new FileStream(probe, PrivateFiles.Options(FileMode.Create, FileAccess.Write))) { }
            File.Delete(probe);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            var why = ex is UnauthorizedAccessException ? "permission denied" : ex.Message.ReplaceLineEndings(" ");
            throw new CliException(ExitCodes.Unavailable,
                Directory.Exists(dir)
                    ? $"The data directory {dir} is not writable by this user ({why}). Use another --data-dir, or run as its owner."
                    : $"The data directory {dir} cannot be created ({why}). Use another --data-dir or PRAISON_DATA_DIR.");
        }
        if (PrivateFiles.Describe(narrowed) is { } line) Cli.Note(line);
    }

    private static CliException NotADirectory(string dir, string? file = null) => new(ExitCodes.Unavailable,
        file is null
            ? $"The data directory {dir} is a file, not a directory. Use another --data-dir or PRAISON_DATA_DIR."
            : $"The data directory {dir} cannot exist: {file} is a file. Use another --data-dir or PRAISON_DATA_DIR.");

    /// <summary>The nearest existing ancestor of <paramref name="dir"/> when it is a file (then nothing can be created below it).</summary>
    private static string? FileAncestor(string dir)
    {
        for (var parent = Path.GetDirectoryName(dir); parent is { Length: > 0 }; parent = Path.GetDirectoryName(parent))
        {
            if (File.Exists(parent)) return parent;
            if (Directory.Exists(parent)) return null;
        }
        return null;
    }
}
