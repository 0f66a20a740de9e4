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
public static class ExecutionLog
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
}
