using System.Text.Json;
using Npgsql;
using Praison.Actors.IntegrationTests.Support;

namespace Praison.Actors.Cli.Tests;

/// <summary>`serve --cluster` registers the cluster's view for the dashboard's nodes page; a local `serve` has none.</summary>
public sealed class ServeClusterDashboardTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [PostgresFact]
    public async Task The_dashboard_of_a_clustered_serve_lists_its_member_up()
    {
        await using var db = await PostgresTestStore.CreateAsync();
        var connection = new NpgsqlConnectionStringBuilder(db.ConnectionString) { MaxPoolSize = 5 }.ToString();
        using var serve = await Serve.StartAsync(_dir, "--cluster", "--port", "0", "--postgres", connection);
        var view = JsonDocument.Parse(await serve.Http.GetStringAsync("/dashboard/api/cluster")).RootElement;
        Assert.True(view.GetProperty("clustered").GetBoolean());
        var member = Assert.Single(view.GetProperty("cluster").GetProperty("members").EnumerateArray());
        Assert.Equal("Up", member.GetProperty("status").GetString());
        Assert.True(member.GetProperty("isSelf").GetBoolean());
        Assert.StartsWith("akka.tcp://praison-actors@", member.GetProperty("address").GetString());
    }

    [Fact]
    public async Task The_dashboard_of_a_local_serve_is_not_clustered()
    {
        using var serve = await Serve.StartAsync(_dir);
        var view = JsonDocument.Parse(await serve.Http.GetStringAsync("/dashboard/api/cluster")).RootElement;
        Assert.False(view.GetProperty("clustered").GetBoolean());
    }
}
