namespace Praison.Actors.Persistence;

/// <summary>
/// Keeps a data directory private to its owner: the directory 0700, the store's files 0600. Task inputs and
/// results are stored there, so nobody else on the machine should read them. New files are created private; files
/// left wider by an older version or a loose umask are narrowed. No-op on Windows (ACLs, not modes).
/// </summary>
internal static class PrivateFiles
{
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    public const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>The SQLite databases of the store; SQLite gives their -wal and -shm files the database's mode.</summary>
    public static readonly string[] StoreFiles = ["journal.db", "snapshots.db"];

    /// <summary>Every file of a data directory that holds task data or host details.</summary>
    public static readonly string[] DataFiles =
    [
        "journal.db", "journal.db-wal", "journal.db-shm", "snapshots.db", "snapshots.db-wal", "snapshots.db-shm",
        "host.json", "host.lock",
    ];

    /// <summary>
    /// Creates <paramref name="directory"/> 0700 if missing, creates the store's databases empty and 0600 if missing
    /// (so SQLite never creates them with the umask's mode), and narrows any wider mode among
    /// <see cref="DataFiles"/> and the directory. Returns the paths it narrowed, for one log line.
    /// </summary>
    public static IReadOnlyList<string> Secure(string directory, bool createStoreFiles = true)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
            return [];
        }
        var narrowed = new List<string>();
        if (!Directory.Exists(directory)) Directory.CreateDirectory(directory, DirectoryMode);
        else if (Narrow(directory)) narrowed.Add(directory);
        if (createStoreFiles)
            foreach (var name in StoreFiles) CreatePrivate(Path.Combine(directory, name));
        foreach (var name in DataFiles)
        {
            var path = Path.Combine(directory, name);
            if (File.Exists(path) && Narrow(path)) narrowed.Add(path);
        }
        return narrowed;
    }

    /// <summary>Options to open (or create 0600) a private file.</summary>
    public static FileStreamOptions Options(System.IO.FileMode mode, FileAccess access, FileShare share = FileShare.Read)
    {
        var options = new FileStreamOptions { Mode = mode, Access = access, Share = share };
        if (!OperatingSystem.IsWindows() && access.HasFlag(FileAccess.Write) && mode != System.IO.FileMode.Open)
            options.UnixCreateMode = FileMode;
        return options;
    }

    /// <summary>One line naming what <see cref="Secure"/> narrowed, or null when nothing was.</summary>
    public static string? Describe(IReadOnlyList<string> narrowed) => narrowed.Count == 0
        ? null
        : $"Narrowed permissions to owner-only (files 0600, directory 0700), as they were readable by others: {string.Join(", ", narrowed)}";

    private static void CreatePrivate(string path)
    {
        if (File.Exists(path)) return;
        try
        {
            // An empty file is a valid empty SQLite database; SQLite keeps the mode it finds.
            using var _ = new FileStream(path, Options(System.IO.FileMode.CreateNew, FileAccess.Write));
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process created it first.
        }
    }

    private const UnixFileMode Others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
                                        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Drops the group and other bits; true when there were any. A file of another owner is left alone.</summary>
    private static bool Narrow(string path)
    {
        if (OperatingSystem.IsWindows()) return false;
        var mode = File.GetUnixFileMode(path);
        if ((mode & Others) == 0) return false;
        try
        {
            File.SetUnixFileMode(path, mode & ~Others);
            return true;
        }
        catch (UnauthorizedAccessException)
        {
            return false; // not ours to change; the owner's next start narrows it
        }
    }
}
