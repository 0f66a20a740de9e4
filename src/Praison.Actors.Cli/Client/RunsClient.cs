using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Praison.Actors.Cli.Client;

/// <summary>
/// A client of PraisonAI's async-jobs contract (<c>/api/v1/runs</c>), as <c>praisonai run</c> speaks it: it reads only
/// the contract's fields (<c>job_id</c>, <c>status</c>, <c>progress.percentage</c>, ...), so it works against
/// <c>praison-actors serve</c> and against PraisonAI's own server. Answers are kept as JSON, printed as they came.
/// </summary>
public sealed class RunsClient : IDisposable
{
    /// <summary>The path of the runs collection.</summary>
    public const string RunsPath = "/api/v1/runs";

    private readonly HttpClient _http;

    /// <summary>A client of the server at <paramref name="baseAddress"/>; <paramref name="apiKey"/> is sent as a Bearer token.</summary>
    public RunsClient(Uri baseAddress, string? apiKey)
    {
        _http = new HttpClient { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };
        if (apiKey is { Length: > 0 }) _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        BaseAddress = baseAddress;
    }

    /// <summary>The server's base address.</summary>
    public Uri BaseAddress { get; }

    /// <summary>The statuses after which a job does not change (the contract's vocabulary).</summary>
    public static bool IsTerminal(string? status) => status is "succeeded" or "failed" or "cancelled";

    /// <summary><c>POST /api/v1/runs</c>; the idempotency key goes in the <c>Idempotency-Key</c> header as well as the body.</summary>
    public async Task<JsonElement> SubmitAsync(JsonObject body, string? idempotencyKey, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, RunsPath)
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        return await SendAsync(request, ct);
    }

    /// <summary><c>GET /api/v1/runs/{id}</c>: the status object.</summary>
    public Task<JsonElement> StatusAsync(string id, CancellationToken ct) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Get, JobPath(id)), ct);

    /// <summary><c>GET /api/v1/runs/{id}/result</c>; the server answers 409 until the job is terminal.</summary>
    public Task<JsonElement> ResultAsync(string id, CancellationToken ct) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Get, JobPath(id) + "/result"), ct);

    /// <summary><c>POST /api/v1/runs/{id}/cancel</c>; 409 when the job already finished.</summary>
    public Task<JsonElement> CancelAsync(string id, CancellationToken ct) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Post, JobPath(id) + "/cancel"), ct);

    /// <summary><c>GET /api/v1/runs?status=&amp;session_id=&amp;schedule=&amp;page=&amp;page_size=</c>: one page, as the server sent it.</summary>
    public Task<JsonElement> ListAsync(string? status, string? sessionId, int page, int pageSize, CancellationToken ct, string? schedule = null)
    {
        var query = $"?page={page}&page_size={pageSize}" +
                    (status is null ? "" : $"&status={Uri.EscapeDataString(status)}") +
                    (sessionId is null ? "" : $"&session_id={Uri.EscapeDataString(sessionId)}") +
                    (schedule is null ? "" : $"&schedule={Uri.EscapeDataString(schedule)}");
        return SendAsync(new HttpRequestMessage(HttpMethod.Get, RunsPath + query), ct);
    }

    /// <summary>
    /// <c>GET /api/v1/runs/{id}/stream</c>: the server-sent events, in order, until the stream ends. A connection that
    /// drops is opened again with <c>Last-Event-ID</c> (at most <paramref name="reconnects"/> times in a row without an
    /// event), so the server resumes after the last event seen. <paramref name="isLast"/> tells which event is the job's
    /// last (<c>result</c>, <c>error</c>, <c>cancelled</c>); <paramref name="isTerminal"/> which one says it ended (a
    /// terminal <c>status</c>), after which the server closing the stream is its normal end.
    /// </summary>
    public async IAsyncEnumerable<ServerSentEvent> StreamAsync(string id, Func<ServerSentEvent, bool> isLast,
        Func<ServerSentEvent, bool> isTerminal, int reconnects, [EnumeratorCancellation] CancellationToken ct)
    {
        string? lastId = null;
        var failures = 0;
        var terminal = false;
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, JobPath(id) + "/stream");
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
            if (lastId is not null) request.Headers.Add("Last-Event-ID", lastId);
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            }
            catch (HttpRequestException) when (lastId is not null && ++failures <= reconnects)
            {
                continue; // the server may be restarting; the next attempt says Last-Event-ID
            }
            using (response)
            {
                if (!response.IsSuccessStatusCode) throw await ErrorAsync(response, ct);
                var ended = false;
                var reader = new SseReader(await response.Content.ReadAsStreamAsync(ct));
                while (true)
                {
                    ServerSentEvent? next;
                    try
                    {
                        next = await reader.ReadAsync(ct);
                    }
                    catch (Exception ex) when (ex is IOException or HttpRequestException && !ct.IsCancellationRequested)
                    {
                        next = null; // dropped mid-stream: resume below
                    }
                    if (next is null) break;
                    failures = 0;
                    if (next.Id is not null) lastId = next.Id;
                    terminal |= isTerminal(next);
                    yield return next;
                    if (isLast(next))
                    {
                        ended = true;
                        break;
                    }
                }
                if (ended || terminal) yield break;
            }
            // The stream closed before the job's last event: resume where it stopped.
            if (++failures > reconnects)
                throw new JobsApiException(HttpStatusCode.ServiceUnavailable,
                    $"the event stream of {id} closed {reconnects + 1} times before the job ended");
        }
    }

    private static string JobPath(string id) => $"{RunsPath}/{Uri.EscapeDataString(id)}";

    private async Task<JsonElement> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        using (request)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, timeout.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new HttpRequestException($"{request.Method} {request.RequestUri} got no answer within 30 s");
            }
            using (response)
            {
                if (!response.IsSuccessStatusCode) throw await ErrorAsync(response, ct);
                var text = await response.Content.ReadAsStringAsync(ct);
                if (text.Length == 0) return default;
                try
                {
                    using var doc = JsonDocument.Parse(text);
                    return doc.RootElement.Clone();
                }
                catch (JsonException)
                {
                    throw new JobsApiException(HttpStatusCode.BadGateway,
                        $"{request.Method} {request.RequestUri} answered {(int)response.StatusCode} with a body that is not JSON: {Shorten(text)}");
                }
            }
        }
    }

    /// <summary>The server's message: <c>detail</c> (a string, or FastAPI's list of problems) or <c>error</c>, with the status.</summary>
    private static async Task<JobsApiException> ErrorAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        var message = $"{(int)response.StatusCode} {response.ReasonPhrase}";
        try
        {
            using var doc = JsonDocument.Parse(text);
            var root = doc.RootElement;
            string? said = null;
            if (root.ValueKind == JsonValueKind.Object)
            {
                if (root.TryGetProperty("detail", out var detail))
                    said = detail.ValueKind switch
                    {
                        JsonValueKind.String => detail.GetString(),
                        JsonValueKind.Array => string.Join("; ", detail.EnumerateArray().Select(d =>
                            d.ValueKind == JsonValueKind.Object && d.TryGetProperty("msg", out var msg)
                                ? (d.TryGetProperty("loc", out var loc) ? $"{string.Join('.', loc.EnumerateArray().Select(l => l.ToString()))}: " : "") + msg
                                : d.ToString())),
                        _ => detail.ToString(),
                    };
                if (said is null && root.TryGetProperty("error", out var error))
                    said = error.ValueKind == JsonValueKind.String ? error.GetString() : error.ToString();
            }
            if (said is { Length: > 0 }) message = $"{said} ({message})";
        }
        catch (JsonException)
        {
            if (text.Length > 0) message = $"{message}: {Shorten(text)}";
        }
        return new JobsApiException(response.StatusCode, message);
    }

    private static string Shorten(string text) => text.Length <= 200 ? text.ReplaceLineEndings(" ") : text[..200].ReplaceLineEndings(" ") + "…";

    /// <summary>Disposes the HTTP client.</summary>
    public void Dispose() => _http.Dispose();
}

/// <summary>One server-sent event: its <c>event</c> name (default <c>message</c>), <c>data</c> and <c>id</c>.</summary>
/// <param name="Event">The event's name.</param>
/// <param name="Data">Its data lines, joined by newlines.</param>
/// <param name="Id">Its id, when the server gave one.</param>
public sealed record ServerSentEvent(string Event, string Data, string? Id)
{
    /// <summary>The data parsed as JSON, or the text as a JSON string when it is not JSON.</summary>
    public JsonElement Json()
    {
        try
        {
            using var doc = JsonDocument.Parse(Data);
            return doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            return JsonSerializer.SerializeToElement(Data);
        }
    }
}

/// <summary>Reads the text/event-stream format: fields per line, an empty line ends an event, lines from ':' are comments.</summary>
internal sealed class SseReader(Stream stream)
{
    private readonly StreamReader _reader = new(stream, Encoding.UTF8);

    /// <summary>The next event, or null at the end of the stream.</summary>
    public async Task<ServerSentEvent?> ReadAsync(CancellationToken ct)
    {
        string? name = null, id = null;
        var data = new StringBuilder();
        var any = false;
        while (await _reader.ReadLineAsync(ct) is { } line)
        {
            if (line.Length == 0)
            {
                if (any) return new ServerSentEvent(name ?? "message", data.ToString(), id);
                continue;
            }
            if (line[0] == ':') continue;
            var colon = line.IndexOf(':');
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..];
            if (value.StartsWith(' ')) value = value[1..];
            switch (field)
            {
                case "event": name = value; any = true; break;
                case "data": if (data.Length > 0) data.Append('\n'); data.Append(value); any = true; break;
                case "id": id = value; any = true; break;
            }
        }
        return null; // an event without its closing blank line is incomplete: dropped, resumed by Last-Event-ID
    }
}
