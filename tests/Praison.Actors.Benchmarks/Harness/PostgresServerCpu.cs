using Npgsql;

namespace Praison.Actors.Benchmarks.Harness;

/// <summary>
/// CPU time the PostgreSQL server spent for one database: the on-CPU nanoseconds (<c>/proc/PID/schedstat</c>, first
/// field) of the backends connected to it, summed. On a machine loaded by other work, wall-clock rates swing with
/// the load while CPU time per operation moves far less, so it is the figure to compare the server's work by
/// (ours against COPY, before against after). Needs the server on this machine (the harness's setup); null elsewhere.
/// </summary>
public sealed class PostgresServerCpu
{
    private readonly string _connectionString;
    private readonly Dictionary<int, long> _start;

    private PostgresServerCpu(string connectionString, Dictionary<int, long> start) => (_connectionString, _start) = (connectionString, start);

    /// <summary>Samples the backends of <paramref name="connectionString"/>'s database now; null when their /proc entries are not readable.</summary>
    public static async Task<PostgresServerCpu?> StartAsync(string connectionString, CancellationToken ct)
    {
        var now = await SampleAsync(connectionString, ct);
        return now is null ? null : new PostgresServerCpu(connectionString, now);
    }

    /// <summary>Server CPU seconds since the start sample: backends that were there count their delta, new ones all of theirs.</summary>
    public async Task<double?> ElapsedSecondsAsync(CancellationToken ct)
    {
        var now = await SampleAsync(_connectionString, ct);
        if (now is null) return null;
        long ns = 0;
        foreach (var (pid, cpu) in now) ns += cpu - _start.GetValueOrDefault(pid);
        return ns / 1e9;
    }

    private static async Task<Dictionary<int, long>?> SampleAsync(string connectionString, CancellationToken ct)
    {
        // Its own connection outside any pool, so sampling neither takes a pooled connection nor leaves one behind.
        var cs = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ToString();
        var pids = new List<int>();
        await using (var connection = new NpgsqlConnection(cs))
        {
            await connection.OpenAsync(ct);
            await using var command = new NpgsqlCommand(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()",
                connection);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) pids.Add(reader.GetInt32(0));
        }
        var sample = new Dictionary<int, long>();
        foreach (var pid in pids)
        {
            try
            {
                var fields = (await File.ReadAllTextAsync($"/proc/{pid}/schedstat", ct)).Split(' ');
                sample[pid] = long.Parse(fields[0]);
            }
            catch (FileNotFoundException)
            {
                // the backend ended between the query and the read
            }
            catch (DirectoryNotFoundException)
            {
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
            {
                return null; // not this machine's server, or not readable: no figure rather than a wrong one
            }
        }
        // Backends listed but none under /proc: the server runs elsewhere (another host or container).
        return pids.Count > 0 && sample.Count == 0 ? null : sample;
    }
}
