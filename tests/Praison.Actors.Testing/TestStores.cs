using Npgsql;
using Praison.Actors.Persistence;
using Xunit;

namespace Praison.Actors.IntegrationTests.Support;

/// <summary>A store for one test: a fresh SQLite directory or a fresh PostgreSQL database, removed afterwards.</summary>
public abstract class TestStore : IAsyncDisposable
{
    public abstract TaskStore Store { get; }
    public abstract string Kind { get; }
    /// <summary>Arguments that point the TestHost process at this store.</summary>
    public abstract string[] HostArgs { get; }
    public abstract ValueTask DisposeAsync();
}

public sealed class SqliteTestStore : TestStore
{
    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "praison-it-" + Guid.NewGuid().ToString("N"));
    public override TaskStore Store => TaskStore.Sqlite(Directory);
    public override string Kind => "sqlite";
    public override string[] HostArgs => new[] { "--store", "sqlite", "--data-dir", Directory };

    public override ValueTask DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { System.IO.Directory.Delete(Directory, true); } catch (IOException) { }
        return ValueTask.CompletedTask;
    }
}

public sealed class PostgresTestStore : TestStore
{
    public const string Variable = "PRAISON_TEST_POSTGRES";
    private readonly string _admin;
    private readonly string _database = "praison_it_" + Guid.NewGuid().ToString("N")[..12];

    private PostgresTestStore(string admin)
    {
        _admin = admin;
        ConnectionString = TestSupport.PostgresDatabases.ForDatabase(admin, _database);
    }

    public string ConnectionString { get; }
    public override TaskStore Store => TaskStore.PostgreSql(ConnectionString);
    public override string Kind => "postgres";
    public override string[] HostArgs => new[] { "--store", "postgres", "--connection", ConnectionString };

    /// <summary>Creates an empty database for one test from the server in <c>PRAISON_TEST_POSTGRES</c>.</summary>
    public static async Task<PostgresTestStore> CreateAsync()
    {
        var admin = Environment.GetEnvironmentVariable(Variable)
            ?? throw new InvalidOperationException($"{Variable} is not set");
        var store = new PostgresTestStore(admin);
        await using var c = TestSupport.PostgresDatabases.Admin(admin);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand($"CREATE DATABASE {store._database}", c);
        await cmd.ExecuteNonQueryAsync();
        return store;
    }

    public override async ValueTask DisposeAsync() => await TestSupport.PostgresDatabases.DropAsync(_admin, _database);
}

/// <summary>A fact that needs the PostgreSQL server named by PRAISON_TEST_POSTGRES; skipped, saying so, without it.</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(PostgresTestStore.Variable)))
            Skip = $"PostgreSQL suite skipped: set {PostgresTestStore.Variable} to a connection string (user with CREATEDB) to run it; .ci/run does.";
    }
}
