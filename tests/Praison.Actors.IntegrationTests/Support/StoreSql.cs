using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;
using Praison.Actors.Persistence;

namespace Praison.Actors.IntegrationTests.Support;

/// <summary>
/// Raw SQL against a test store's database (the journal's, where the task and schedule tables live), for tests that
/// look at or break what the runtime stored; and the bounded poll those tests wait with.
/// </summary>
public static class StoreSql
{
    /// <summary>An open connection to the store's journal database.</summary>
    public static async Task<DbConnection> OpenAsync(TestStore store)
    {
        DbConnection connection = store.Store switch
        {
            TaskStore.PostgreSqlStore pg => new NpgsqlConnection(pg.ConnectionString),
            TaskStore.SqliteStore sqlite => new SqliteConnection(sqlite.JournalConnectionString),
            _ => throw new InvalidOperationException("not a SQL store"),
        };
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>Runs one statement with named parameters; the rows it changed.</summary>
    public static async Task<int> ExecuteAsync(TestStore store, string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = await OpenAsync(store);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var p = command.CreateParameter();
            p.ParameterName = name;
            p.Value = value;
            command.Parameters.Add(p);
        }
        return await command.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// Re-checks <paramref name="condition"/> until it holds; a <see cref="TimeoutException"/> naming <paramref name="what"/>
    /// after <paramref name="limit"/> (default 30 s), so a broken behaviour fails the test instead of hanging it.
    /// </summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? limit = null)
    {
        using var cts = new CancellationTokenSource(limit ?? TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            if (cts.IsCancellationRequested) throw new TimeoutException("Timed out waiting until " + what);
            await Task.Delay(20);
        }
    }
}
