using Npgsql;
using Praison.Actors.IntegrationTests.Support;
using Praison.Actors.Persistence;
using Xunit;

namespace Praison.Actors.IntegrationTests.Persistence;

/// <summary>A store that cannot be used ends start-up with an error naming the store and the reason, never a hang.</summary>
public class BadConfigurationTests : IDisposable
{
    private static readonly TimeSpan NoHang = TimeSpan.FromSeconds(60);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "praison-bad-" + Guid.NewGuid().ToString("N"));

    public BadConfigurationTests() => Directory.CreateDirectory(_dir);

    private static async Task<TaskStoreException> StartFails(TaskStore store)
    {
        var start = PraisonRuntime.StartAsync(new PraisonRuntimeOptions { Store = store }).WaitAsync(NoHang);
        return await Assert.ThrowsAsync<TaskStoreException>(() => start);
    }

    [Fact]
    public async Task A_data_directory_that_cannot_be_created_is_named()
    {
        var file = Path.Combine(_dir, "not-a-dir");
        await File.WriteAllTextAsync(file, "x");
        var ex = await StartFails(TaskStore.Sqlite(Path.Combine(file, "data")));
        Assert.Contains("SQLite store in", ex.Message);
        Assert.Contains("cannot be created or written", ex.Message);
    }

    [Fact]
    public async Task A_read_only_directory_is_named()
    {
        // /proc/self exists and accepts no new files, even for root (chmod would not stop root).
        var ex = await StartFails(TaskStore.Sqlite("/proc/self"));
        Assert.Contains("/proc/self", ex.Message);
        Assert.Contains("cannot be created or written", ex.Message);
    }

    [Fact]
    public async Task A_corrupt_sqlite_file_is_named()
    {
        var random = new byte[8192];
        new Random(7).NextBytes(random);
        await File.WriteAllBytesAsync(Path.Combine(_dir, "journal.db"), random);
        var ex = await StartFails(TaskStore.Sqlite(_dir));
        Assert.Contains("journal.db", ex.Message);
        Assert.Contains("cannot be used as a SQLite database", ex.Message);
    }

    [Fact]
    public async Task An_unreachable_postgresql_server_is_named()
    {
        var ex = await StartFails(TaskStore.PostgreSql("Host=127.0.0.1;Port=1;Database=x;Username=u;Password=p;Timeout=5"));
        Assert.Contains("PostgreSQL store u@127.0.0.1:1/x", ex.Message);
        Assert.Contains("cannot connect", ex.Message);
        Assert.DoesNotContain("Password=p", ex.Message);
    }

    [PostgresFact]
    public async Task A_wrong_postgresql_password_is_named()
    {
        var cs = new NpgsqlConnectionStringBuilder(Environment.GetEnvironmentVariable(PostgresTestStore.Variable)) { Password = "wrong-password" };
        var ex = await StartFails(TaskStore.PostgreSql(cs.ToString()));
        Assert.Contains("cannot connect", ex.Message);
        Assert.Contains("password authentication failed", ex.Message);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
