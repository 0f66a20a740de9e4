using System.Net.Http.Json;
using System.Text.Json;

namespace Praison.Actors.Server.Tests;

/// <summary>GET /api/v1/runs paging: bad values are a JSON 400 naming the parameter; huge pages are empty, never page 1.</summary>
public sealed class ListPagingTests : IAsyncLifetime
{
    private JobsHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await JobsHost.StartAsync();
        for (var i = 0; i < 3; i++)
            Assert.Equal(202, (int)(await _host.Http.PostAsJsonAsync(PraisonJobsEndpoints.RunsPath, new { recipe_name = "echo", prompt = "p", session_id = "paging" })).StatusCode);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Theory]
    [InlineData("2147483647", "1")]
    [InlineData("2147483647", "100")]
    [InlineData("1073741825", "2")]
    public async Task A_page_past_the_end_is_empty_even_where_the_offset_overflows_an_int(string page, string size)
    {
        var body = await _host.Http.GetFromJsonAsync<JsonElement>($"{PraisonJobsEndpoints.RunsPath}?page={page}&page_size={size}");
        Assert.Equal(0, body.GetProperty("jobs").GetArrayLength());
        Assert.Equal(3, body.GetProperty("total").GetInt32());
        Assert.Equal(int.Parse(page), body.GetProperty("page").GetInt32());
    }

    [Fact]
    public async Task Pages_within_range_still_page()
    {
        var second = await _host.Http.GetFromJsonAsync<JsonElement>($"{PraisonJobsEndpoints.RunsPath}?page=2&page_size=2&session_id=paging");
        Assert.Equal(1, second.GetProperty("jobs").GetArrayLength());
        Assert.Equal(3, second.GetProperty("total").GetInt32());
    }

    [Theory]
    [InlineData("page=0", "page must be a whole number from 1 to 2147483647, got '0'")]
    [InlineData("page=-1", "page must be")]
    [InlineData("page=2147483648", "page must be")]
    [InlineData("page=99999999999999999999", "page must be")]
    [InlineData("page=abc", "got 'abc'")]
    [InlineData("page=1.5", "page must be")]
    [InlineData("page=1&page=2", "page must be")]
    [InlineData("page_size=0", "page_size must be a whole number from 1 to 100")]
    [InlineData("page_size=101", "page_size must be")]
    [InlineData("page_size=%20", "page_size must be")]
    [InlineData("status=bogus", "Invalid status: bogus")]
    public async Task Bad_paging_is_a_400_naming_the_parameter(string query, string named)
    {
        var response = await _host.Http.GetAsync($"{PraisonJobsEndpoints.RunsPath}?{query}");
        await ErrorAnswer.AssertAsync(response, 400, named);
    }

    [Fact]
    public async Task A_session_id_filter_past_the_limit_is_a_400()
    {
        var response = await _host.Http.GetAsync($"{PraisonJobsEndpoints.RunsPath}?session_id={new string('s', TaskLimits.MaxSessionIdLength + 1)}");
        await ErrorAnswer.AssertAsync(response, 400, "session_id", $"limit of {TaskLimits.MaxSessionIdLength}");
    }
}
