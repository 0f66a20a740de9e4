using Npgsql;
using Praison.Actors.Persistence;
using Xunit;

namespace Praison.Actors.Tests.Persistence;

/// <summary>The PostgreSQL batch writes' connection settings, derived from the store's connection string.</summary>
public class BatchWriterConnectionTests
{
    [Fact]
    public void The_batch_writer_skips_the_session_reset_and_uses_generic_plans()
    {
        var b = new NpgsqlConnectionStringBuilder(TaskStore.PostgreSqlStore.BatchWriterConnectionString(
            "Host=db;Port=5433;Database=tasks;Username=u;Password=p;Maximum Pool Size=7"));
        Assert.True(b.NoResetOnClose);
        Assert.Equal("-c plan_cache_mode=force_generic_plan", b.Options);
        Assert.Equal(("db", 5433, "tasks", "u", "p", 7), (b.Host, b.Port, b.Database, b.Username, b.Password, b.MaxPoolSize));
    }

    [Fact]
    public void Options_the_store_sets_are_kept()
    {
        var b = new NpgsqlConnectionStringBuilder(TaskStore.PostgreSqlStore.BatchWriterConnectionString(
            "Host=db;Database=tasks;Options=-c search_path=jobs"));
        Assert.Equal("-c search_path=jobs -c plan_cache_mode=force_generic_plan", b.Options);
    }

    [Fact]
    public void An_unparseable_string_is_left_for_opening_to_report()
    {
        const string bad = "Host=db;No Such Keyword=1";
        Assert.Equal(bad, TaskStore.PostgreSqlStore.BatchWriterConnectionString(bad));
    }
}
