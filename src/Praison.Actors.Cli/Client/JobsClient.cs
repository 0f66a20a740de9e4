using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Praison.Actors.Server;

namespace Praison.Actors.Cli.Client;

/// <summary>The CLI's side of the jobs API (<c>serve</c>): submit, read, cancel, delete.</summary>
public sealed class JobsClient(Uri baseAddress) : IDisposable
{
    private readonly HttpClient _http = Create(baseAddress);

    // The server's key, when this environment has one (the same variables serve reads).
    private static HttpClient Create(Uri baseAddress)
    {
        var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        if (new PraisonJobsOptions().EffectiveApiKey() is { } key) http.DefaultRequestHeaders.Add("X-API-Key", key);
        return http;
    }

    /// <summary>The server's base address.</summary>
    public Uri BaseAddress { get; } = baseAddress;

    /// <summary>How long <see cref="IsHealthyAsync"/> waits for a server that accepted the connection.</summary>
    internal static readonly TimeSpan HealthPatience = TimeSpan.FromSeconds(15);

    /// <summary>True when <c>/health</c> answers OK within <see cref="HealthPatience"/>.</summary>
    public async Task<bool> IsHealthyAsync(CancellationToken ct)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            // A server that is not there refuses the connection at once; one that is there but busy (a fresh process still
            // compiling its first request, a loaded machine) gets this long, so it is not taken for absent.
            timeout.CancelAfter(HealthPatience);
            using var response = await _http.GetAsync("/health", timeout.Token);
            return response.IsSuccessStatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Submits a run of <paramref name="recipe"/> (<c>POST runs</c>); the timeout is in seconds, as on the wire.</summary>
    public async Task<RunView> SubmitAsync(string recipe, JsonElement? input, JsonElement? config, string? sessionId, int? timeoutSec,
        CancellationToken ct)
    {
        // "input" (ours) carries the JSON as it is; praisonai's "prompt" would wrap it.
        var body = new Dictionary<string, object?> { ["recipe_name"] = recipe, ["input"] = input ?? JsonSerializer.SerializeToElement(new { }) };
        if (config is not null) body["config"] = config;
        if (sessionId is not null) body["session_id"] = sessionId;
        if (timeoutSec is not null) body["timeout"] = timeoutSec;
        using var response = await _http.PostAsJsonAsync(PraisonJobsEndpoints.RunsPath, body, PraisonJson.Options, ct);
        var submitted = await ReadAsync<JobSubmittedView>(response, ct);
        return await GetAsync(submitted.JobId, ct);
    }

    /// <summary>Lists runs, optionally filtered by status and session.</summary>
    public async Task<IReadOnlyList<RunView>> ListAsync(string? status, string? sessionId, CancellationToken ct, string? schedule = null)
    {
        var all = new List<RunView>();
        for (var page = 1; ; page++)
        {
            var query = $"?page={page}&page_size={PraisonJobsEndpoints.MaxPageSize}" +
                        (status is null ? "" : $"&status={Uri.EscapeDataString(status)}") +
                        (sessionId is null ? "" : $"&session_id={Uri.EscapeDataString(sessionId)}") +
                    (schedule is null ? "" : $"&schedule={Uri.EscapeDataString(schedule)}");
            using var response = await _http.GetAsync(PraisonJobsEndpoints.RunsPath + query, ct);
            var list = await ReadAsync<JobListView>(response, ct);
            all.AddRange(list.Jobs.Select(j => j.ToRunView()));
            if (list.Jobs.Count == 0 || all.Count >= list.Total) return all;
        }
    }

    /// <summary>One page of runs (<c>GET runs?page=&amp;page_size=</c>), with how many match in all.</summary>
    public async Task<(IReadOnlyList<RunView> Jobs, long Total)> ListPageAsync(string? status, string? sessionId, int page, int pageSize, CancellationToken ct,
        string? schedule = null)
    {
        var query = $"?page={page}&page_size={pageSize}" +
                    (status is null ? "" : $"&status={Uri.EscapeDataString(status)}") +
                    (sessionId is null ? "" : $"&session_id={Uri.EscapeDataString(sessionId)}") +
                    (schedule is null ? "" : $"&schedule={Uri.EscapeDataString(schedule)}");
        using var response = await _http.GetAsync(PraisonJobsEndpoints.RunsPath + query, ct);
        var list = await ReadAsync<JobListView>(response, ct);
        return (list.Jobs.Select(j => j.ToRunView()).ToList(), list.Total);
    }

    /// <summary>One run's status (<c>GET runs/{id}</c>).</summary>
    public async Task<RunView> GetAsync(string id, CancellationToken ct)
    {
        using var response = await _http.GetAsync($"{PraisonJobsEndpoints.RunsPath}/{Uri.EscapeDataString(id)}", ct);
        return (await ReadAsync<JobView>(response, ct)).ToRunView();
    }

    /// <summary>One run with its result (<c>GET runs/{id}/result</c>).</summary>
    public async Task<RunView> ResultAsync(string id, CancellationToken ct)
    {
        using var response = await _http.GetAsync($"{PraisonJobsEndpoints.RunsPath}/{Uri.EscapeDataString(id)}/result", ct);
        var result = await ReadAsync<JobResultView>(response, ct);
        return (await GetAsync(id, ct)) with { Result = result.Result };
    }

    /// <summary>Cancels a run (<c>POST runs/{id}/cancel</c>).</summary>
    public async Task<RunView> CancelAsync(string id, CancellationToken ct)
    {
        using var response = await _http.PostAsync($"{PraisonJobsEndpoints.RunsPath}/{Uri.EscapeDataString(id)}/cancel", null, ct);
        return (await ReadAsync<JobView>(response, ct)).ToRunView();
    }

    /// <summary>Runs a failed or cancelled run again as a new run (<c>POST runs/{id}/retry</c>); the new run.</summary>
    public async Task<RunView> RetryAsync(string id, CancellationToken ct)
    {
        using var response = await _http.PostAsync($"{PraisonJobsEndpoints.RunsPath}/{Uri.EscapeDataString(id)}/retry", null, ct);
        return (await ReadAsync<JobView>(response, ct)).ToRunView();
    }

    /// <summary>Deletes a run (<c>DELETE runs/{id}</c>).</summary>
    public async Task DeleteAsync(string id, CancellationToken ct)
    {
        using var response = await _http.DeleteAsync($"{PraisonJobsEndpoints.RunsPath}/{Uri.EscapeDataString(id)}", ct);
        if (!response.IsSuccessStatusCode) await ReadAsync<object>(response, ct);
    }

    /// <summary>Polls until the run is terminal (then returns it with its result) or <paramref name="timeout"/> passes (null).</summary>
    public async Task<RunView?> WaitAsync(string id, TimeSpan? timeout, Action<RunView>? onChange, CancellationToken ct)
    {
        var deadline = timeout is { } t ? DateTime.UtcNow + t : DateTime.MaxValue;
        RunView? last = null;
        while (true)
        {
            var run = await GetAsync(id, ct);
            if (last is null || run.Status != last.Status || run.Progress != last.Progress) onChange?.Invoke(run);
            last = run;
            if (run.IsTerminal) return await ResultAsync(id, ct);
            if (DateTime.UtcNow >= deadline) return null;
            await Task.Delay(TimeSpan.FromMilliseconds(250), ct);
        }
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode)
            return (await response.Content.ReadFromJsonAsync<T>(JobsJson.Options, ct))!;
        string message;
        try
        {
            message = (await response.Content.ReadFromJsonAsync<ApiError>(PraisonJson.Options, ct))?.Error ?? response.ReasonPhrase ?? "";
        }
        catch (JsonException)
        {
            message = $"{(int)response.StatusCode} {response.ReasonPhrase}";
        }
        throw new JobsApiException(response.StatusCode, message);
    }

    /// <summary>Disposes the HTTP client.</summary>
    public void Dispose() => _http.Dispose();
}

/// <summary>The jobs API answered with an error status; the message is the server's.</summary>
public sealed class JobsApiException(HttpStatusCode status, string message) : Exception(message)
{
    /// <summary>The HTTP status the server answered with.</summary>
    public HttpStatusCode Status { get; } = status;
}
