using Npgsql;

namespace Praison.Actors.TestSupport;

/// <summary>Throwaway PostgreSQL databases for tests and benchmarks.</summary>
public static class PostgresDatabases
{
    /// <summary>
    /// Drops a database, ending its sessions. An autovacuum worker that has just started on it belongs to no role, so
    /// a user without pg_signal_backend cannot end it (42501) and the drop fails until the worker is done: such a
    /// drop is tried again for up to 10 s.
    /// </summary>
    public static async Task DropAsync(string adminConnectionString, string database)
    {
        NpgsqlConnection.ClearAllPools();
        await using var c = new NpgsqlConnection(adminConnectionString);
        await c.OpenAsync();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {database} WITH (FORCE)", c);
                await cmd.ExecuteNonQueryAsync();
                return;
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.InsufficientPrivilege or PostgresErrorCodes.ObjectInUse
                                              && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
    }
}
