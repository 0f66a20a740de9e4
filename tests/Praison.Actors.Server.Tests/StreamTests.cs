using System.Net.Http.Json;
using System.Text.Json;
using System.Threading.Channels;

namespace Praison.Actors.Server.Tests;

/// <summary>
/// GET /runs/{id}/stream: praisonai's event names and data shapes, <c>id:</c> lines, a heartbeat when quiet, and a
/// resume from <c>Last-Event-ID</c> after a dropped connection that misses nothing.
/// </summary>
public sealed class StreamTests : IAsyncLifetime
{
    private JobsHost _host = null!;

    public async Task InitializeAsync() => _host = await JobsHost.StartAsync(new PraisonJobsOptions { StreamHeartbeat = TimeSpan.FromMilliseconds(300) });

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<string> SubmitGatedAsync(string gate)
    {
        var response = await _host.Http.PostAsJsonAsync(PraisonJobsEndpoints.RunsPath, new { prompt = $$"""{"gate": "{{gate}}"}""", recipe_name = "gated" });
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("job_id").GetString()!;
    }

    [Fact]
    public async Task Events_have_praisonais_names_and_shapes_with_ids_and_a_heartbeat_while_quiet()
    {
        var id = await SubmitGatedAsync("shapes");
        await using var stream = await SseStream.OpenAsync(_host.Http, $"{PraisonJobsEndpoints.RunsPath}/{id}/stream");
        var status = await stream.NextAsync(e => e.Name == "status");
        Assert.Equal(id, status.Data.GetProperty("job_id").GetString());
        Assert.Contains(status.Data.GetProperty("status").GetString(), new[] { "queued", "running" });
        Assert.NotNull(status.Id);

        var progress = await stream.NextAsync(e => e.Name == "progress" && e.Data.GetProperty("percentage").GetDouble() == 50);
        Assert.Equal("step 1/2: first", progress.Data.GetProperty("step").GetString());
        Assert.NotNull(progress.Id);

        // The task now waits on its gate: the stream is quiet, so a heartbeat comes, without an id.
        var heartbeat = await stream.NextAsync(e => e.Name == "heartbeat");
        Assert.True(DateTimeOffset.TryParse(heartbeat.Data.GetProperty("timestamp").GetString(), out _));
        Assert.Null(heartbeat.Id);

        JobsHost.Open("shapes");
        var result = await stream.NextAsync(e => e.Name == "result");
        Assert.Equal("opened", result.Data.GetProperty("result").GetString());
        Assert.True(long.Parse(result.Id!) > long.Parse(progress.Id!));
        Assert.Contains(stream.Seen, e => e.Name == "status" && e.Data.GetProperty("status").GetString() == "succeeded");
        await stream.EndAsync();
        var ids = stream.Seen.Where(e => e.Id is not null).Select(e => long.Parse(e.Id!)).ToList();
        Assert.Equal(ids.Order(), ids); // ids never go back
    }

    [Fact]
    public async Task A_dropped_stream_resumed_with_last_event_id_gets_the_current_status_and_what_it_missed()
    {
        var id = await SubmitGatedAsync("resume");
        string lastId;
        await using (var first = await SseStream.OpenAsync(_host.Http, $"{PraisonJobsEndpoints.RunsPath}/{id}/stream"))
        {
            var progress = await first.NextAsync(e => e.Name == "progress" && e.Data.GetProperty("percentage").GetDouble() == 50);
            lastId = progress.Id!;
        } // the connection drops here

        // While nobody listens, the job reports step 2 and succeeds.
        JobsHost.Open("resume");
        await PollAsync(id, "succeeded");

        await using var resumed = await SseStream.OpenAsync(_host.Http, $"{PraisonJobsEndpoints.RunsPath}/{id}/stream", lastId);
        await resumed.EndAsync();
        var events = resumed.Seen.Where(e => e.Name != "heartbeat").ToList();
        Assert.Equal("status", events[0].Name);
        Assert.Equal("succeeded", events[0].Data.GetProperty("status").GetString());
        var missed = Assert.Single(events, e => e.Name == "progress");
        Assert.Equal(100, missed.Data.GetProperty("percentage").GetDouble());
        Assert.True(long.Parse(missed.Id!) > long.Parse(lastId));
        Assert.Equal("opened", Assert.Single(events, e => e.Name == "result").Data.GetProperty("result").GetString());
    }

    [Fact]
    public async Task A_resume_with_nothing_new_repeats_no_progress()
    {
        var id = await SubmitGatedAsync("nothing-new");
        string lastId;
        await using (var first = await SseStream.OpenAsync(_host.Http, $"{PraisonJobsEndpoints.RunsPath}/{id}/stream"))
            lastId = (await first.NextAsync(e => e.Name == "progress" && e.Data.GetProperty("percentage").GetDouble() == 50)).Id!;

        await using var resumed = await SseStream.OpenAsync(_host.Http, $"{PraisonJobsEndpoints.RunsPath}/{id}/stream", lastId);
        var status = await resumed.NextAsync(e => e.Name == "status");
        Assert.Equal("running", status.Data.GetProperty("status").GetString());
        await resumed.NextAsync(e => e.Name == "heartbeat"); // quiet: the job still waits on its gate
        Assert.DoesNotContain(resumed.Seen, e => e.Name == "progress");
        JobsHost.Open("nothing-new");
        await resumed.NextAsync(e => e.Name == "result");
    }

    [Fact]
    public async Task Failed_and_cancelled_jobs_end_with_error_and_cancelled_events()
    {
        var failed = (await (await _host.Http.PostAsJsonAsync(PraisonJobsEndpoints.RunsPath, new { prompt = "x", recipe_name = "fail" }))
            .Content.ReadFromJsonAsync<JsonElement>()).GetProperty("job_id").GetString()!;
        await using (var stream = await SseStream.OpenAsync(_host.Http, $"{PraisonJobsEndpoints.RunsPath}/{failed}/stream"))
            Assert.Equal("the recipe failed on purpose", (await stream.NextAsync(e => e.Name == "error")).Data.GetProperty("error").GetString());

        var cancelled = await SubmitGatedAsync("never-stream");
        await using (var stream = await SseStream.OpenAsync(_host.Http, $"{PraisonJobsEndpoints.RunsPath}/{cancelled}/stream"))
        {
            await stream.NextAsync(e => e.Name == "status");
            await _host.Http.PostAsync($"{PraisonJobsEndpoints.RunsPath}/{cancelled}/cancel", null);
            Assert.Equal("Job was cancelled", (await stream.NextAsync(e => e.Name == "cancelled")).Data.GetProperty("message").GetString());
        }
    }

    [Fact]
    public async Task A_finished_job_on_a_durable_store_streams_its_status_and_result_then_ends()
    {
        var dir = Directory.CreateTempSubdirectory("praison-stream-").FullName;
        try
        {
            await using var host = await JobsHost.StartAsync(store: TaskStore.Sqlite(dir));
            var response = await host.Http.PostAsJsonAsync(PraisonJobsEndpoints.RunsPath, new { prompt = "x", recipe_name = "echo" });
            var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("job_id").GetString()!;
            await host.Runtime.Runner.GetHandle(id).WaitAsync(TimeSpan.FromSeconds(30));
            await using var stream = await SseStream.OpenAsync(host.Http, $"{PraisonJobsEndpoints.RunsPath}/{id}/stream");
            await stream.EndAsync();
            Assert.Equal(["status", "progress", "result"], stream.Seen.Select(e => e.Name).Where(n => n != "heartbeat"));
            Assert.Equal("succeeded", stream.Seen[0].Data.GetProperty("status").GetString());
            Assert.Equal("""{"echoed":true}""", stream.Seen.Single(e => e.Name == "result").Data.GetProperty("result").GetString());
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(dir, recursive: true); }
            catch (IOException) { /* a file may still be held for a moment; the temp dir is left behind */ }
        }
    }

    [Fact]
    public async Task An_unknown_job_is_a_404_with_detail()
    {
        var response = await _host.Http.GetAsync($"{PraisonJobsEndpoints.RunsPath}/run_000000000000/stream");
        await ErrorAnswer.AssertAsync(response, 404, "Job not found: run_000000000000");
    }

    private async Task PollAsync(string id, string status)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while ((await _host.Http.GetFromJsonAsync<JsonElement>($"{PraisonJobsEndpoints.RunsPath}/{id}")).GetProperty("status").GetString() != status)
        {
            Assert.True(DateTime.UtcNow < deadline, $"job {id} never became {status}");
            await Task.Delay(20); // a poll interval: the loop ends on the observed status
        }
    }
}

/// <summary>One SSE connection: its events as they arrive; disposing it drops the connection.</summary>
public sealed class SseStream : IAsyncDisposable
{
    public sealed record Event(string? Id, string Name, JsonElement Data);

    private readonly Channel<Event> _events = Channel.CreateUnbounded<Event>();
    private readonly CancellationTokenSource _drop = new();
    private Task _reading = Task.CompletedTask;

    public List<Event> Seen { get; } = [];

    public static async Task<SseStream> OpenAsync(HttpClient http, string path, string? lastEventId = null)
    {
        var stream = new SseStream();
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (lastEventId is not null) request.Headers.Add("Last-Event-ID", lastEventId);
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        stream._reading = stream.ReadAsync(response);
        return stream;
    }

    private async Task ReadAsync(HttpResponseMessage response)
    {
        try
        {
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(_drop.Token));
            string? id = null, name = null;
            while (await reader.ReadLineAsync(_drop.Token) is { } line)
            {
                if (line.StartsWith("id: ")) id = line[4..];
                else if (line.StartsWith("event: ")) name = line[7..];
                else if (line.StartsWith("data: ") && name is not null)
                {
                    using var doc = JsonDocument.Parse(line[6..]);
                    await _events.Writer.WriteAsync(new Event(id, name, doc.RootElement.Clone()));
                    id = name = null;
                }
            }
        }
        catch (OperationCanceledException) { }
        catch (IOException) { }
        finally
        {
            response.Dispose();
            _events.Writer.TryComplete();
        }
    }

    /// <summary>The next event that matches, skipping (but keeping in <see cref="Seen"/>) the others; fails at the stream's end.</summary>
    public async Task<Event> NextAsync(Func<Event, bool> match)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            if (!await _events.Reader.WaitToReadAsync(timeout.Token))
                throw new Xunit.Sdk.XunitException($"The stream ended without the event; it sent: {string.Join(", ", Seen.Select(e => e.Name))}");
            var e = await _events.Reader.ReadAsync(timeout.Token);
            Seen.Add(e);
            if (match(e)) return e;
        }
    }

    /// <summary>Reads every event until the server ends the stream.</summary>
    public async Task EndAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await foreach (var e in _events.Reader.ReadAllAsync(timeout.Token)) Seen.Add(e);
    }

    public async ValueTask DisposeAsync()
    {
        await _drop.CancelAsync();
        await _reading;
        _drop.Dispose();
    }
}
