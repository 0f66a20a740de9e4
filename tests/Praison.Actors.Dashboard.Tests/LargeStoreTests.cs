using System.Net;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using static Microsoft.Playwright.Assertions;

namespace Praison.Actors.Dashboard.Tests;

/// <summary>
/// 100,000 finished tasks in a SQLite task table (rows written straight into <c>praison_tasks</c>, as the journal
/// writer would leave them): the dashboard pages and counts them from the table and never sends them all.
/// </summary>
public sealed class LargeStoreTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private const int Tasks = 100_000;

    private static void Seed(string dir)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(dir, "journal.db")}");
        connection.Open();
        using var tx = connection.BeginTransaction();
        using var insert = connection.CreateCommand();
        insert.Transaction = tx;
        insert.CommandText =
            "INSERT INTO praison_tasks (task_id, kind, name, recipe, session_id, status, attempt, submitted_at, started_at, finished_at, " +
            "cleanup_delay_ms, cleanup_at, sequence_nr) VALUES ($id, 'recipe', 'bulk', 'bulk', $session, 'completed', 1, $at, $at, $at, " +
            "$delay, $cleanup, 3)";
        var id = insert.Parameters.Add("$id", SqliteType.Text);
        var session = insert.Parameters.Add("$session", SqliteType.Text);
        var at = insert.Parameters.Add("$at", SqliteType.Integer);
        insert.Parameters.AddWithValue("$delay", (long)TimeSpan.FromDays(365).TotalMilliseconds);
        insert.Parameters.AddWithValue("$cleanup", DateTime.UtcNow.AddYears(1).Ticks);
        var start = DateTime.UtcNow.AddDays(-1).Ticks;
        for (var i = 0; i < Tasks; i++)
        {
            id.Value = $"bulk{i:D7}";
            session.Value = "s" + (i % 10);
            at.Value = start + i * TimeSpan.TicksPerMillisecond;
            insert.ExecuteNonQuery();
        }
        tx.Commit();
    }

    [Fact]
    public async Task A_hundred_thousand_tasks_are_counted_and_paged_from_the_table()
    {
        var dir = Path.Combine(Path.GetTempPath(), "praison-dashboard-large-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            await using var host = await DashboardHost.StartAsync(store: TaskStore.Sqlite(dir));
            Seed(dir);

            var last = JsonDocument.Parse(await host.Http.GetStringAsync("/dashboard/api/tasks?page=2000&size=50")).RootElement;
            Assert.Equal(Tasks, last.GetProperty("total").GetInt64());
            Assert.Equal(2000, last.GetProperty("pages").GetInt32());
            var rows = last.GetProperty("tasks");
            Assert.Equal(50, rows.GetArrayLength());
            Assert.Equal("bulk0099950", rows[0].GetProperty("taskId").GetString()); // oldest first
            Assert.Equal("bulk0099999", rows[49].GetProperty("taskId").GetString());

            var session = JsonDocument.Parse(await host.Http.GetStringAsync("/dashboard/api/tasks?session=s3&size=10")).RootElement;
            Assert.Equal(Tasks / 10, session.GetProperty("total").GetInt64());
            Assert.Equal(10, session.GetProperty("tasks").GetArrayLength());

            var overview = JsonDocument.Parse(await host.Http.GetStringAsync("/dashboard/api/overview")).RootElement;
            Assert.Equal(Tasks, overview.GetProperty("counts").GetProperty("Completed").GetInt64());
            Assert.Equal(HttpStatusCode.OK, (await host.Http.GetAsync("/dashboard/api/tasks/bulk0012345")).StatusCode);

            await using var page = await WatchedPage.OpenAsync(browser);
            // Every task list the browser receives is one page: 25 rows and a few KB, never the table.
            var lists = new List<(string Url, int Rows, int Bytes)>();
            var twoPages = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            page.Page.Response += async (_, response) =>
            {
                if (!response.Url.Contains("/api/tasks?", StringComparison.Ordinal)) return;
                var body = await response.BodyAsync();
                var rows = JsonDocument.Parse(body).RootElement.GetProperty("tasks").GetArrayLength();
                lock (lists)
                {
                    lists.Add((response.Url, rows, body.Length));
                    if (lists.Count == 2) twoPages.TrySetResult();
                }
            };
            await page.Page.GotoAsync(host.DashboardUrl + "#/tasks");
            await Expect(page.Page.GetByTestId("page-info")).ToHaveTextAsync("Page 1 of 4000 · 100000 tasks");
            await Expect(page.Page.Locator("tr[data-task]")).ToHaveCountAsync(25);
            await page.Page.GetByTestId("next").ClickAsync();
            await Expect(page.Page.GetByTestId("page-info")).ToHaveTextAsync("Page 2 of 4000 · 100000 tasks");
            await Expect(page.Page.Locator("tr[data-task='bulk0000025']")).ToHaveCountAsync(1);
            await twoPages.Task.WaitAsync(TimeSpan.FromSeconds(30)); // the handler reads each body after the page has it
            lock (lists)
            {
                Assert.Equal(2, lists.Count); // page 1, then page 2
                Assert.All(lists, l => Assert.Equal(25, l.Rows));
                Assert.All(lists, l => Assert.True(l.Bytes < 32 * 1024, $"{l.Url} sent {l.Bytes} bytes"));
                Assert.Contains("page=2", lists[1].Url);
            }
            page.AssertNoErrors();
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }
}
