using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Praison.Actors.Server;

/// <summary>
/// <c>GET /api/v1/runs/{id}/stream</c>: server-sent events in praisonai's shapes — <c>status</c>
/// <c>{"status","job_id"}</c>, <c>progress</c> <c>{"percentage","step"}</c>, then one of <c>result</c>
/// <c>{"result": str(result)[:1000]}</c>, <c>error</c> <c>{"error"}</c> or <c>cancelled</c> <c>{"message"}</c> — and a
/// <c>heartbeat</c> <c>{"timestamp"}</c> after <see cref="PraisonJobsOptions.StreamHeartbeat"/> without another event.
/// <para>
/// Every event but the heartbeat has an <c>id:</c> that grows with the task's history: the time of what it reports
/// (submitted, started, the progress report, finished) in Unix milliseconds × 4 plus its rank (queued 0, running 1,
/// progress 2, finished 3), so a report in the same millisecond as the start still comes after it. A client that
/// reconnects with <c>Last-Event-ID</c> gets the current status, the current progress when it is newer than that id,
/// and the ending when there is one; status and progress are latest-value, so nothing is missed.
/// </para>
/// </summary>
internal static class JobEventStream
{
    private const int ResultChars = 1000;

    public static async Task RunAsync(string id, HttpContext http, BackgroundRunner runner, PraisonJobsOptions options)
    {
        var ct = http.RequestAborted;
        var handle = runner.GetHandle(id);
        try
        {
            await handle.StatusAsync(ct);
        }
        catch (TaskNotFoundException)
        {
            await ApiErrors.Result(404, $"Job not found: {id}").ExecuteAsync(http);
            return;
        }
        long? resumeAfter = long.TryParse(http.Request.Headers["Last-Event-ID"].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var last)
            ? last
            : null;

        http.Response.StatusCode = 200;
        http.Response.Headers.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        await http.Response.Body.FlushAsync(ct);

        var writer = new Writer(http);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var heartbeat = HeartbeatAsync(writer, options.StreamHeartbeat, stop.Token);
        try
        {
            BackgroundTaskStatus? lastStatus = null;
            TaskProgress? lastProgress = null;
            var first = true;
            await foreach (var update in handle.WatchAsync(ct))
            {
                var t = update.Task;
                if (first || t.Status != lastStatus)
                    await writer.WriteAsync(StatusId(t), "status", new { status = JobStatusNames.Of(t.Status), job_id = t.TaskId }, ct);
                // The first event carries the current progress (0 before any report), as praisonai's stream does; on
                // a resume only when it is newer than what the client saw.
                var progressChanged = first ? resumeAfter is null || ProgressId(t) > resumeAfter : t.Progress != lastProgress;
                if (progressChanged && (first || t.Progress is not null))
                {
                    var p = JobProgressView.From(t);
                    await writer.WriteAsync(ProgressId(t), "progress", new { percentage = p.Percentage, step = p.CurrentStep ?? "" }, ct);
                }
                lastStatus = t.Status;
                lastProgress = t.Progress;
                first = false;
                if (update.IsFinal)
                {
                    await WriteEndingAsync(writer, runner, t, ct);
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The client went away.
        }
        catch (IOException)
        {
            // The client went away mid-write.
        }
        catch (TaskNotFoundException)
        {
            await writer.WriteAsync(null, "error", new { error = "Job not found" }, CancellationToken.None);
        }
        finally
        {
            await stop.CancelAsync();
            await heartbeat;
        }
    }

    private static async Task WriteEndingAsync(Writer writer, BackgroundRunner runner, TaskStatusInfo t, CancellationToken ct)
    {
        var endId = Id(t.FinishedAt ?? t.SubmittedAt, 3);
        switch (t.Status)
        {
            case BackgroundTaskStatus.Completed:
                var value = await runner.GetHandle(t.TaskId).WaitAsync(TimeSpan.FromSeconds(30), ct);
                // str(result) in praisonai: a string as itself, anything else as its JSON text.
                var text = value as string ?? JsonSerializer.Serialize(value, PraisonJson.Options);
                await writer.WriteAsync(endId, "result", new { result = text.Length <= ResultChars ? text : text[..ResultChars] }, ct);
                break;
            case BackgroundTaskStatus.Cancelled:
                await writer.WriteAsync(endId, "cancelled", new { message = "Job was cancelled" }, ct);
                break;
            default:
                await writer.WriteAsync(endId, "error", new { error = t.Error?.Message ?? "Unknown error" }, ct);
                break;
        }
    }

    private static long Id(DateTimeOffset at, int rank) => at.ToUnixTimeMilliseconds() * 4 + rank;

    private static long StatusId(TaskStatusInfo t) => t.Status switch
    {
        BackgroundTaskStatus.Pending => Id(t.SubmittedAt, 0),
        BackgroundTaskStatus.Running => Id(t.StartedAt ?? t.SubmittedAt, 1),
        _ => Id(t.FinishedAt ?? t.SubmittedAt, 3),
    };

    private static long ProgressId(TaskStatusInfo t) => t.Progress is { } p ? Id(p.At, 2) : StatusId(t);

    /// <summary>Sends a heartbeat whenever the stream has been quiet for <paramref name="quiet"/>.</summary>
    private static async Task HeartbeatAsync(Writer writer, TimeSpan quiet, CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var due = writer.LastWrite + quiet - DateTimeOffset.UtcNow;
                if (due > TimeSpan.Zero)
                {
                    await Task.Delay(due, ct);
                    continue;
                }
                await writer.WriteAsync(null, "heartbeat", new { timestamp = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture) }, ct);
            }
        }
        catch (OperationCanceledException)
        {
            // The stream ended, or the client went away.
        }
        catch (IOException)
        {
            // The client went away mid-write; the event loop sees it too.
        }
    }

    /// <summary>Events and heartbeats share the response: one writer at a time.</summary>
    private sealed class Writer(HttpContext http)
    {
        private readonly SemaphoreSlim _lock = new(1, 1);
        private long _lastWriteTicks = DateTimeOffset.UtcNow.UtcTicks;

        public DateTimeOffset LastWrite => new(Interlocked.Read(ref _lastWriteTicks), TimeSpan.Zero);

        public async Task WriteAsync<T>(long? id, string name, T data, CancellationToken ct)
        {
            var json = JsonSerializer.Serialize(data, JobsJson.Options);
            var text = (id is { } i ? $"id: {i}\n" : "") + $"event: {name}\ndata: {json}\n\n";
            await _lock.WaitAsync(ct);
            try
            {
                await http.Response.WriteAsync(text, Encoding.UTF8, ct);
                await http.Response.Body.FlushAsync(ct);
                Interlocked.Exchange(ref _lastWriteTicks, DateTimeOffset.UtcNow.UtcTicks);
            }
            finally
            {
                _lock.Release();
            }
        }
    }
}
