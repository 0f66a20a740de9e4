using Xunit;
using Xunit.Abstractions;

namespace Praison.Actors.Tests.Persistence;

/// <summary>Without a task table (the ephemeral store) the runner pages the supervisor's index the same way.</summary>
public class ListPageTests(ITestOutputHelper output) : RuntimeTestKit(output)
{
    [Fact]
    public async Task Pages_of_the_supervisors_index_are_oldest_first_with_the_total()
    {
        var runner = CreateRunner();
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var h = await runner.SubmitAsync(_ => Task.FromResult(0), new TaskOptions { SessionId = i % 2 == 0 ? "even" : "odd" });
            await h.WaitAsync(Long);
            ids.Add(h.TaskId);
        }

        var page = await runner.ListPageAsync(new TaskQuery(SessionId: "even"), 1, 1);
        Assert.Equal(new[] { ids[2] }, page.Tasks.Select(t => t.TaskId));
        Assert.Equal(3, page.Total);
        Assert.Equal(new[] { ids[3], ids[4] }, (await runner.ListAsync(TaskQuery.All with { Offset = 3, Limit = 5 })).Select(t => t.TaskId));
        Assert.Empty((await runner.ListPageAsync(TaskQuery.All, 10, 5)).Tasks);
    }
}
