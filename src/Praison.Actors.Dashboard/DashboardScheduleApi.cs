using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Praison.Actors.Dashboard;

/// <summary>
/// The schedules page's handlers over the runner's <see cref="BackgroundRunner.Scheduler"/>: list (with each schedule's
/// latest runs), create, pause, resume, trigger and delete, and one schedule's history. Schedule problems surface as exceptions that
/// <see cref="DashboardApi.GuardAsync"/> turns into 400/404 JSON.
/// </summary>
internal sealed class DashboardScheduleApi(BackgroundRunner runner)
{
    /// <summary>The latest runs listed beside each schedule.</summary>
    public const int RunsShown = 5;

    private static IResult Ok<T>(T value) => Results.Json(value, DashboardJson.Options);

    private static IResult Error(int status, string message) => Results.Json(new DashboardError(message), DashboardJson.Options, statusCode: status);

    public async Task<IResult> ListAsync(CancellationToken ct)
    {
        var list = await runner.Scheduler.ListAsync(ct);
        var rows = new List<ScheduleRow>(list.Count);
        foreach (var s in list)
        {
            IReadOnlyList<ScheduleRun> runs;
            try { runs = await runner.Scheduler.GetHandle(s.Name).RunsAsync(RunsShown, ct); }
            catch (ScheduleNotFoundException) { continue; } // deleted between the list and this read
            rows.Add(ScheduleRow.From(s, runs));
        }
        return Ok(rows);
    }

    public async Task<IResult> CreateAsync(HttpContext http, CancellationToken ct)
    {
        string name, recipe, expression;
        ScheduleOptions options;
        try
        {
            using var doc = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: ct);
            var body = doc.RootElement;
            if (body.ValueKind != JsonValueKind.Object)
                return Error(400, "The body must be a JSON object {\"name\", \"recipe\", \"expression\", \"timeZone\", \"input\", \"paused\"}.");
            string? Text(string field) =>
                body.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } t ? t.Trim() : null;
            name = Text("name") ?? "";
            recipe = Text("recipe") ?? "";
            expression = Text("expression") ?? "";
            if (name.Length == 0 || recipe.Length == 0 || expression.Length == 0)
                return Error(400, "\"name\", \"recipe\" and \"expression\" are required.");
            options = new ScheduleOptions
            {
                TimeZone = Text("timeZone"),
                SessionId = Text("sessionId"),
                Input = body.TryGetProperty("input", out var input) && input.ValueKind != JsonValueKind.Null ? input.Clone() : null,
                Paused = body.TryGetProperty("paused", out var p) && p.ValueKind == JsonValueKind.True,
            };
        }
        catch (JsonException ex)
        {
            return Error(400, $"The body is not valid JSON: {ex.Message}");
        }
        var handle = await runner.Scheduler.ScheduleAsync(name, recipe, expression, options, ct);
        return Results.Json(ScheduleRow.From(await handle.InfoAsync(ct), []), DashboardJson.Options, statusCode: 201);
    }

    public async Task<IResult> PauseAsync(string name, CancellationToken ct)
    {
        var handle = runner.Scheduler.GetHandle(name);
        await handle.PauseAsync(ct);
        return Ok(ScheduleRow.From(await handle.InfoAsync(ct), await handle.RunsAsync(RunsShown, ct)));
    }

    public async Task<IResult> ResumeAsync(string name, CancellationToken ct)
    {
        var handle = runner.Scheduler.GetHandle(name);
        await handle.ResumeAsync(ct);
        return Ok(ScheduleRow.From(await handle.InfoAsync(ct), await handle.RunsAsync(RunsShown, ct)));
    }

    /// <summary>The history page's lines (newest first); the same data as the jobs API's <c>GET /api/v1/schedules/{name}/history</c>.</summary>
    public const int HistoryShown = 50;

    public async Task<IResult> HistoryAsync(string name, int? limit, CancellationToken ct)
    {
        var history = await runner.Scheduler.GetHandle(name).HistoryAsync(limit ?? HistoryShown, ct);
        return Ok(new ScheduleHistoryView(name, history.Select(e => new ScheduleHistoryLine(e.Sequence, e.At, e.Kind, e.Summary, e.Version)).ToList()));
    }

    public async Task<IResult> TriggerAsync(string name, CancellationToken ct) =>
        Results.Json(new TriggeredView(name, await runner.Scheduler.GetHandle(name).TriggerAsync(ct)), DashboardJson.Options, statusCode: 202);

    public async Task<IResult> DeleteAsync(string name, CancellationToken ct) =>
        await runner.Scheduler.GetHandle(name).DeleteAsync(ct) ? Results.NoContent() : Error(404, $"No schedule named '{name}'.");
}
