namespace Praison.Actors;

/// <summary>
/// The folder agents files may be read from when a client names one (the jobs API's <c>agent_file</c>): a path is
/// resolved against it with <c>..</c> and every symlink followed (as realpath(3)), and refused unless the file it
/// lands on is a regular file inside the folder. What was checked is what is read.
/// </summary>
public static class AgentsRoot
{
    /// <summary>The environment variable <c>serve</c> reads the folder from when <c>--agents-root</c> is not given.</summary>
    public const string Variable = "PRAISON_AGENTS_ROOT";

    /// <summary>The largest agents file read (1 MiB; it travels in the task's stored input).</summary>
    public const long MaxFileBytes = 1024 * 1024;

    /// <summary>
    /// Reads the agents file <paramref name="path"/> (relative to <paramref name="root"/>, or absolute inside it).
    /// Returns the path relative to the root (what error messages and the stored run show) and the text.
    /// </summary>
    /// <exception cref="ArgumentException">The path is blank, leaves the root (also through a symlink), is not a
    /// regular file, is larger than <see cref="MaxFileBytes"/>, or cannot be read. Messages never show where outside
    /// the root a path led.</exception>
    public static (string RelativePath, string Text) Read(string root, string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        if (string.IsNullOrWhiteSpace(path)) throw new ArgumentException("agent_file is empty: give a path inside the agents root.");
        if (path.Contains('\0')) throw new ArgumentException("agent_file contains a NUL character.");
        string realRoot, real;
        try
        {
            realRoot = PathGuard.RealPath(root);
            real = PathGuard.RealPath(Path.GetFullPath(path, realRoot));
        }
        catch (IOException ex)
        {
            throw new ArgumentException($"agent_file '{path}' cannot be resolved: {ex.Message}");
        }
        if (!PathGuard.IsUnder(real, realRoot))
            throw new ArgumentException(
                $"agent_file '{path}' is outside the agents root: only files under the folder given to --agents-root (${Variable}) can be run.");
        var relative = Path.GetRelativePath(realRoot, real);
        var info = new FileInfo(real);
        if (!info.Exists)
            throw new ArgumentException(Directory.Exists(real)
                ? $"agent_file '{path}' is a folder, not an agents file."
                : $"agent_file '{path}' does not exist in the agents root.");
        // Opening a FIFO placed in the root would block the request; a device would never end.
        if (!PathGuard.IsRegularFile(real)) throw new ArgumentException($"agent_file '{path}' is not a regular file.");
        try
        {
            // Bounded whatever the size says (a device reports 0 and never ends).
            using var stream = new FileStream(real, FileMode.Open, FileAccess.Read, FileShare.Read, 4096);
            var buffer = new byte[MaxFileBytes + 1];
            var read = 0;
            for (int n; read < buffer.Length && (n = stream.Read(buffer, read, buffer.Length - read)) > 0;) read += n;
            if (read > MaxFileBytes)
                throw new ArgumentException($"agent_file '{path}' is larger than {MaxFileBytes} bytes, the most an agents file may be.");
            return (relative, new System.Text.UTF8Encoding(false).GetString(buffer, 0, read).TrimStart('\uFEFF'));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"agent_file '{path}' cannot be read: {ex.Message}");
        }
    }
}
