using Npgsql;
using Praison.Actors.Persistence;
using Xunit;

namespace Praison.Actors.ClusterTests.Support;

/// <summary>A fresh PostgreSQL database for one test, from the server in PRAISON_TEST_POSTGRES; dropped afterwards.</summary>
public sealed class PostgresTestDatabase : IAsyncDisposable
{
    public const string Variable = "PRAISON_TEST_POSTGRES";
    private readonly string _admin;
    private readonly string _database = "praison_ct_" + Guid.NewGuid().ToString("N")[..12];

    private PostgresTestDatabase(string admin)
    {
        _admin = admin;
        ConnectionString = new NpgsqlConnectionStringBuilder(admin) { Database = _database }.ToString();
    }

    public string ConnectionString { get; }
    public TaskStore Store => TaskStore.PostgreSql(ConnectionString);

    public static async Task<PostgresTestDatabase> CreateAsync()
    {
        var admin = Environment.GetEnvironmentVariable(Variable) ?? throw new InvalidOperationException($"{Variable} is not set");
        var db = new PostgresTestDatabase(admin);
        await using var c = new NpgsqlConnection(admin);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand($"CREATE DATABASE {db._database}", c);
        await cmd.ExecuteNonQueryAsync();
        return db;
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var c = new NpgsqlConnection(_admin);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)", c);
        await cmd.ExecuteNonQueryAsync();
    }
}

/// <summary>A fact that needs the PostgreSQL server named by PRAISON_TEST_POSTGRES; skipped, saying so, without it.</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(PostgresTestDatabase.Variable)))
            Skip = $"Multi-process cluster tests skipped: set {PostgresTestDatabase.Variable} to a PostgreSQL connection string (user with CREATEDB) to run them; .ci/run does.";
    }
}

/// <summary>A fresh SQLite directory one process's several ActorSystems share; removed afterwards.</summary>
public sealed class SqliteTestDirectory : IDisposable
{
    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "praison-ct-" + Guid.NewGuid().ToString("N"));
    public TaskStore Store => TaskStore.Sqlite(Directory);

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { System.IO.Directory.Delete(Directory, true); } catch (IOException) { }
    }
}

public static class FreePort
{
    /// <summary>A loopback port nobody listens on right now.</summary>
    public static int Next()
    {
        var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        var port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }
}

public static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> until it holds (the AwaitAssert pattern for state outside an actor system).</summary>
    public static async Task<T> UntilAsync<T>(Func<Task<T>> read, Func<T, bool> condition, TimeSpan timeout, string what)
    {
        using var cts = new CancellationTokenSource(timeout);
        T last = default!;
        while (!cts.IsCancellationRequested)
        {
            last = await read();
            if (condition(last)) return last;
            try { await Task.Delay(100, cts.Token); } catch (OperationCanceledException) { }
        }
        throw new TimeoutException($"{what}: not reached within {timeout}. Last: {last}");
    }
}
