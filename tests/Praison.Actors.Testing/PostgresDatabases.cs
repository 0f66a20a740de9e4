using Npgsql;

namespace Praison.Actors.TestSupport;

/// <summary>Throwaway PostgreSQL databases for tests and benchmarks.</summary>
public static class PostgresDatabases
{
    /// <summary>
    /// Connections one process may open to one test database. The server allows 100 (max_connections) and a full
    /// `dotnet test` of the solution runs test projects side by side (two tests at a time each, a cluster test with
    /// several node processes), so every test connection string carries this bound: the suite stays well under the
    /// limit (about 50 at its peak), with room for other clients. A store that wants more waits for a free one.
    /// </summary>
    public const int MaxPoolSize = 8;

    /// <summary>The connection string for a test database on the server of <paramref name="adminConnectionString"/>, with a small pool.</summary>
    public static string ForDatabase(string adminConnectionString, string database) =>
        new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = database, MaxPoolSize = MaxPoolSize }.ToString();

    /// <summary>An unpooled admin connection (create and drop databases): it closes for real when disposed.</summary>
    public static NpgsqlConnection Admin(string adminConnectionString) =>
        new(new NpgsqlConnectionStringBuilder(adminConnectionString) { Pooling = false }.ToString());

    /// <summary>
    /// Drops a database, ending its sessions. An autovacuum worker that has just started on it belongs to no role, so
    /// a user without pg_signal_backend cannot end it (42501) and the drop fails until the worker is done: such a
    /// drop is tried again for up to 10 s.
    /// </summary>
    public static async Task DropAsync(string adminConnectionString, string database)
    {
        NpgsqlConnection.ClearAllPools();
        await using var c = Admin(adminConnectionString);
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
