using System.Text.Json;

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

    /// <summary>Takes the lock, or returns null when another process holds it.</summary>
    public static HostLock? TryAcquire(string dataDir, string command)
    {
        Directory.CreateDirectory(dataDir);
        FileStream stream;
        try
        {
            stream = new FileStream(Path.Combine(dataDir, LockFile), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
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
    public void Publish(string command, string? url) =>
        File.WriteAllText(_infoPath, JsonSerializer.Serialize(
            new HostInfo(Environment.ProcessId, command, url, DateTimeOffset.UtcNow), PraisonJson.Options));

    /// <summary>The live host of <paramref name="dataDir"/>, or null when none holds the lock.</summary>
    public static HostInfo? FindHost(string dataDir)
    {
        var lockPath = Path.Combine(dataDir, LockFile);
        if (!File.Exists(lockPath)) return null;
        try
        {
            // Taking the lock for an instant proves nobody holds it.
            using (new FileStream(lockPath, FileMode.Open, FileAccess.ReadWrite, FileShare.None)) return null;
        }
        catch (IOException)
        {
            // Held: a host is alive.
        }
        try
        {
            return JsonSerializer.Deserialize<HostInfo>(File.ReadAllText(Path.Combine(dataDir, InfoFile)), PraisonJson.Options);
        }
        catch (Exception ex) when (ex is IOException or JsonException)
        {
            return new HostInfo(0, "unknown", null, DateTimeOffset.MinValue); // it is still starting
        }
    }

    public void Dispose()
    {
        try { File.Delete(_infoPath); } catch (IOException) { }
        _lock.Dispose();
    }
}
