using System.Runtime.InteropServices;

namespace Praison.Actors;

/// <summary>
/// Keeps the paths a recipe touches inside a folder: resolves <c>..</c> and every symlink (like realpath(3)) and
/// refuses what lands outside. Callers then use the resolved path, so what was checked is what is opened. Shared by
/// the CLI's recipes (steps, built-ins) and the jobs API's agents files (<c>AgentsRoot</c>).
/// </summary>
internal static class PathGuard
{
    private const int MaxLinks = 40; // as the kernel's ELOOP limit

    /// <summary>
    /// <paramref name="path"/> (relative to <paramref name="baseDir"/>) with every symlink resolved, when the result
    /// lies under <paramref name="root"/>; otherwise an <see cref="ArgumentException"/> naming both.
    /// </summary>
    public static string ResolveInside(string path, string baseDir, string root, string what, string? hint = null)
    {
        var realRoot = RealPath(root);
        var full = Path.GetFullPath(path, baseDir);
        var real = RealPath(full);
        if (IsUnder(real, realRoot)) return real;
        var shown = real == full ? $"'{path}'" : $"'{path}' (resolves to '{real}')";
        throw new ArgumentException($"{what} {shown} is outside {realRoot}; only paths under it are allowed{hint}.");
    }

    /// <summary>True when <paramref name="real"/> is <paramref name="realRoot"/> or inside it (both already resolved).</summary>
    public static bool IsUnder(string real, string realRoot)
    {
        var root = Path.TrimEndingDirectorySeparator(realRoot);
        if (root.Length == 0 || root == Path.GetPathRoot(root)?.TrimEnd(Path.DirectorySeparatorChar)) return true; // "/"
        return real == root || real.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal);
    }

    /// <summary>
    /// The absolute path with <c>.</c>, <c>..</c> and every symlink in it resolved, component by component.
    /// A missing component ends the resolution: the rest is appended as written (it cannot be a link).
    /// </summary>
    public static string RealPath(string path)
    {
        var full = Path.GetFullPath(path);
        var rootPart = Path.GetPathRoot(full) ?? "/";
        var pending = new LinkedList<string>(Split(full[rootPart.Length..]));
        var current = rootPart;
        var links = 0;
        var missing = false;
        while (pending.First is { } node)
        {
            pending.RemoveFirst();
            var segment = node.Value;
            if (segment == ".") continue;
            if (segment == "..")
            {
                current = Path.GetDirectoryName(current) ?? rootPart;
                continue;
            }
            var next = Path.Combine(current, segment);
            var target = missing ? null : LinkTarget(next, out missing);
            if (target is null)
            {
                current = next;
                continue;
            }
            if (++links > MaxLinks) throw new IOException($"Too many levels of symbolic links in '{path}'.");
            if (Path.IsPathRooted(target)) current = Path.GetPathRoot(target) ?? rootPart;
            var parts = Split(target[(Path.IsPathRooted(target) ? (Path.GetPathRoot(target)?.Length ?? 0) : 0)..]);
            for (var i = parts.Length - 1; i >= 0; i--) pending.AddFirst(parts[i]);
        }
        return current;
    }

    private static string[] Split(string relative) =>
        relative.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);

    private static string? LinkTarget(string path, out bool missing)
    {
        var info = new FileInfo(path);
        missing = !info.Exists && !Directory.Exists(path) && info.LinkTarget is null;
        return missing ? null : info.LinkTarget;
    }

    /// <summary>
    /// True for a regular file (not a device, FIFO, socket or directory). Reading /dev/zero never ends and opening a
    /// FIFO blocks, so recipes read regular files only. Linux asks the kernel (statx: one struct layout on every
    /// architecture); elsewhere a plain existing file counts.
    /// </summary>
    public static bool IsRegularFile(string path)
    {
        if (!OperatingSystem.IsLinux()) return File.Exists(path);
        var buffer = new byte[256];
        if (Statx(AtFdCwd, path, 0, StatxType, buffer) != 0) return false;
        var mode = BitConverter.ToUInt16(buffer, 28); // struct statx: stx_mode at offset 28
        return (mode & 0xF000) == 0x8000;             // S_IFMT == S_IFREG
    }

    private const int AtFdCwd = -100;
    private const uint StatxType = 0x1;

    [DllImport("libc", EntryPoint = "statx")]
    private static extern int Statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, [Out] byte[] buffer);
}
