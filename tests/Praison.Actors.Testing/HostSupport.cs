namespace Praison.Actors.TestSupport;

/// <summary>"--key value" pairs of a test host's command line.</summary>
public static class Args
{
    public static Dictionary<string, string> Parse(string[] args)
    {
        var d = new Dictionary<string, string>();
        for (var i = 0; i + 1 < args.Length; i += 2) d[args[i].TrimStart('-')] = args[i + 1];
        return d;
    }
}

/// <summary>
/// The work's own execution record, kept apart from the journal on purpose: one append stream per process, one
/// whole line per write, flushed before the work goes on, so concurrent tasks never overwrite each other's lines
/// and a SIGKILL after a write cannot lose it.
/// </summary>
public sealed record ExecutionLog(IReadOnlyList<ExecutionLog.Entry> Entries)
{
    private static readonly object Gate = new();
    private static FileStream? _stream;

    public static void Append(string path, string line)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(line + "\n");
        lock (Gate)
        {
            _stream ??= new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            _stream.Write(bytes);
            _stream.Flush();
        }
    }

    /// <summary>One line of a cluster node's log (tests/Praison.Actors.ClusterNode): "start|end id attempt node unix-ms", or "look schedule fired node unix-ms".</summary>
    public sealed record Entry(string Kind, string Id, int Attempt, string Node, DateTimeOffset At);

    /// <summary>The logs the cluster node processes append to <paramref name="path"/>.&lt;node&gt;, one file per node.</summary>
    public static ExecutionLog Read(string path) =>
        new(Directory.GetFiles(Path.GetDirectoryName(path)!, Path.GetFileName(path) + ".*").SelectMany(File.ReadAllLines)
            .Where(l => l.Length > 0).Select(l => l.Split(' '))
            .Select(p => new Entry(p[0], p[1], int.Parse(p[2]), p[3], DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(p[4])))).ToList());

    public int Ends(string node) => Entries.Count(e => e.Kind == "end" && e.Node == node);

    /// <summary>Tasks started on <paramref name="node"/> whose execution there has not ended.</summary>
    public List<string> Running(string node) =>
        Entries.Where(e => e.Kind == "start" && e.Node == node)
            .Where(s => !Entries.Any(e => e.Kind == "end" && e.Id == s.Id && e.Node == node && e.Attempt == s.Attempt))
            .Select(e => e.Id).Distinct().ToList();
}
