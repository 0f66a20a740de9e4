using System.Text.Json;
using Praison.Actors.Persistence;

namespace Praison.Actors.Cli.Hosting;

/// <summary>What <c>host.json</c> in the data directory says about the process hosting its tasks.</summary>
public sealed record HostInfo(int Pid, string Command, string? Url, DateTimeOffset StartedAt);

/// <summary>
/// One host per data directory. A host (<c>run</c>, <c>serve</c>) executes tasks and recovers the store's
/// pending ones at start-up, so two hosts on one store would run, or fail as interrupted, each other's tasks.
/// The host holds <c>host.lock</c> open exclusively for its lifetime (the OS releases it if the process dies)
/// and writes <c>host.json</c>, through which other commands find its jobs API.
/// </summary>
public sealed class HostLock : IDisposable
{
    private const string LockFile = "host.lock";
    private const string InfoFile = "host.json";

    private readonly FileStream _lock;
    private readonly string _infoPath;

    private HostLock(FileStream @lock, string infoPath)
    {
        _lock = @lock;
        _infoPath = infoPath;
    }

    /// <summary>
    /// Takes the lock, or returns null when another process holds it. The data directory is created or checked
    /// first (exit code 8 naming it when it cannot hold a store) and kept private (0700, files 0600).
    /// </summary>
    public static HostLock? TryAcquire(string dataDir, string command)
    {
        DataDirectory.PrepareForWrite(dataDir);
        var lockPath = Path.Combine(dataDir, LockFile);
        FileStream stream;
        try
        {
            stream = new FileStream(lockPath, PrivateFiles.Options(FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (UnauthorizedAccessException)
        {
            throw new CliException(ExitCodes.Unavailable, $"Cannot open {lockPath}: permission denied (it belongs to another user?).");
        }
        catch (IOException)
        {
            return null;
        }
        var host = new HostLock(stream, Path.Combine(dataDir, InfoFile));
        host.Publish(command, null);
        return host;
    }

    /// <summary>Records the host's jobs API address for other commands.</summary>
    public void Publish(string command, string? url)
    {
        using var file = new FileStream(_infoPath, PrivateFiles.Options(FileMode.Create, FileAccess.Write));
        JsonSerializer.Serialize(file, new HostInfo(Environment.ProcessId, command, url, DateTimeOffset.UtcNow), PraisonJson.Options);
    }

    /// <summary>The live host of <paramref name="dataDir"/>, or null when none holds the lock.</summary>
    public static HostInfo? FindHost(string dataDir)
    {
        var lockPath = Path.Combine(dataDir, LockFile);
        if (!File.Exists(lockPath)) return null;
        try
        {
            // Taking the lock for an instant proves nobody holds it. Read access is enough for the lock, so a
            // reader of a store it cannot write (list, status) can still ask.
            using (new FileStream(lockPath, FileMode.Open, FileAccess.Read, FileShare.None)) return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null; // another user's host: its jobs API is not ours to find; reading the store says what we may see
        }
        catch (IOException)
        {
            // Held: a host is alive.
        }
        try
        {
            return JsonSerializer.Deserialize<HostInfo>(File.ReadAllText(Path.Combine(dataDir, InfoFile)), PraisonJson.Options);
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            return new HostInfo(0, "unknown", null, DateTimeOffset.MinValue); // it is still starting
        }
    }

    /// <summary>Releases the lock and removes the host file.</summary>
    public void Dispose()
    {
        try { File.Delete(_infoPath); } catch (IOException) { }
        _lock.Dispose();
    }
}
