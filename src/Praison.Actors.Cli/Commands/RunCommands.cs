using System.CommandLine;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Praison.Actors.Cli.Client;
using Spectre.Console;

namespace Praison.Actors.Cli.Commands;

/// <summary>
/// <c>praison-actors run submit|status|result|stream|list|cancel</c>: a client of any server that speaks PraisonAI's
/// async-jobs contract (<c>praison-actors serve</c>, or PraisonAI's own), with the flags of <c>praisonai run</c>.
/// </summary>
public static partial class RunCommands
{
    /// <summary>The server used when neither <c>--api-url</c> nor <c>PRAISON_API_URL</c> says one: <c>serve</c>'s default.</summary>
    public const string DefaultApiUrl = ServeCommand.DefaultUrl;

    private static readonly Option<string?> ApiUrlOption = new("--api-url")
    {
        Description = $"The jobs API. Default: $PRAISON_API_URL, else {DefaultApiUrl} (where `serve` listens by default).",
        Recursive = true,
    };

    private static readonly Option<string?> ApiKeyOption = new("--api-key")
    {
        Description = "The API key, sent as 'Authorization: Bearer KEY'. Default: $PRAISON_JOBS_API_KEY, else $PRAISONAI_JOBS_API_KEY.",
        Recursive = true,
    };

    /// <summary>Builds the <c>run</c> command and its subcommands.</summary>
    public static Command Build()
    {
        var run = new Command("run", """
            Submit and follow jobs on a jobs API server: `praison-actors serve`, or PraisonAI's own (the flags and the
            answers are those of `praisonai run`). Job ids and statuses are the server's (queued, running, succeeded,
            failed, cancelled); the exit codes are those of `background`.
            """) { ApiUrlOption, ApiKeyOption };
        run.Subcommands.Add(Submit());
        run.Subcommands.Add(Status());
        run.Subcommands.Add(Result());
        run.Subcommands.Add(Stream());
        run.Subcommands.Add(List());
        run.Subcommands.Add(Cancel());
        return run;
    }

    private static RunsClient Connect(ParseResult parse)
    {
        var url = parse.GetValue(ApiUrlOption) is { Length: > 0 } u ? u
            : Environment.GetEnvironmentVariable("PRAISON_API_URL") is { Length: > 0 } e ? e : DefaultApiUrl;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new CliException(ExitCodes.BadInput, $"--api-url / PRAISON_API_URL must be an http(s) URL, got '{url}'.");
        var key = parse.GetValue(ApiKeyOption) is { Length: > 0 } k ? k
            : Environment.GetEnvironmentVariable("PRAISON_JOBS_API_KEY") is { Length: > 0 } k1 ? k1
            : Environment.GetEnvironmentVariable("PRAISONAI_JOBS_API_KEY") is { Length: > 0 } k2 ? k2 : null;
        return new RunsClient(uri, key);
    }

    private static Argument<string> JobIdArgument() => new("job_id") { Description = "The job id (from submit or list)." };

    private static Option<double?> PollIntervalOption() => Cli.SecondsOption("--poll-interval",
        "Seconds between status polls while waiting. Default: the server's retry_after (2 queued, 5 running), else 2.", max: 3600);

    // ---------------------------------------------------------------- submit

    private static Command Submit()
    {
        var prompt = new Argument<string>("prompt") { Description = "The prompt; a recipe gets it as its input." };
        var recipe = new Option<string?>("--recipe") { Description = "The recipe to run (sent as recipe_name)." };
        var recipeConfig = new Option<string?>("--recipe-config") { Description = "The recipe's config, as a JSON object." };
        var agentFile = new Option<string?>("--agent-file") { Description = "An agents.yaml for the server to run (not with --recipe)." };
        var framework = new Option<string?>("--framework") { Description = "The framework, for PraisonAI's server (it defaults to praisonai)." };
        var timeout = new Option<int?>("--timeout") { Description = "The job's timeout in seconds. Default: the server's (the recipe's, else 3600).", HelpName = "SEC" };
        timeout.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int?>() is <= 0) r.AddError("--timeout must be a positive whole number of seconds.");
        });
        var wait = new Option<bool>("--wait") { Description = "Wait for the job to end, with live progress; the exit code tells how it ended." };
        var stream = new Option<bool>("--stream") { Description = "Follow the job's server-sent events until it ends; the exit code tells how it ended." };
        var idempotencyKey = new Option<string?>("--idempotency-key") { Description = "A key that makes a repeated submit return the first job (header Idempotency-Key and body)." };
        var idempotencyScope = new Option<string>("--idempotency-scope")
        {
            Description = "Where the key is unique: none, session or global.",
            DefaultValueFactory = _ => "none",
        };
        idempotencyScope.AcceptOnlyFromAmong("none", "session", "global");
        var webhookUrl = new Option<string?>("--webhook-url") { Description = "A URL the server POSTs the outcome to." };
        webhookUrl.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string?>() is { } u && !(Uri.TryCreate(u, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
                r.AddError($"--webhook-url must be an http(s) URL, got '{u}'.");
        });
        var session = new Option<string?>("--session-id") { Description = "A session id that groups jobs." };
        var metadata = new Option<string[]>("--metadata")
        {
            Description = "KEY=VALUE to attach to the job, repeatable (sent as the body's metadata object; PraisonAI's server ignores it).",
            HelpName = "KEY=VALUE",
            AllowMultipleArgumentsPerToken = false,
        };
        metadata.Validators.Add(r =>
        {
            foreach (var m in r.GetValueOrDefault<string[]>() ?? [])
                if (m.IndexOf('=') <= 0) r.AddError($"--metadata takes KEY=VALUE, got '{m}'.");
        });
        var poll = PollIntervalOption();
        var command = new Command("submit", """
            Submit a job (POST /api/v1/runs) and print its job id, or with --wait / --stream follow it to its end.
            Ctrl+C stops following; the job keeps running on the server.

            Examples:
              praison-actors run submit "Ada" --recipe hello --wait
              praison-actors run submit '{"seconds": 20}' --recipe sleep --session-id demo --stream
              id=$(praison-actors run submit "hi" --recipe hello --idempotency-key order-42 --json | jq -r .job_id)
            """)
        {
            prompt, recipe, recipeConfig, agentFile, framework, timeout, wait, stream, idempotencyKey, idempotencyScope,
            webhookUrl, session, metadata, poll,
        };
        command.SetAction((parse, ct) => Cli.RunAsync(parse, ct, async (cli, token) =>
        {
            if (parse.GetValue(recipe) is not null && parse.GetValue(agentFile) is not null)
                throw new CliException(ExitCodes.BadInput, "Cannot give both --agent-file and --recipe; choose one.");
            var body = new JsonObject { ["prompt"] = parse.GetValue(prompt) };
            if (parse.GetValue(recipe) is { } r) body["recipe_name"] = r;
            if (Cli.ParseJson(parse.GetValue(recipeConfig), "--recipe-config", mustBeObject: true) is { } rc) body["recipe_config"] = JsonNode.Parse(rc.GetRawText());
            if (parse.GetValue(agentFile) is { } af) body["agent_file"] = af;
            if (parse.GetValue(framework) is { } fw) body["framework"] = fw;
            if (parse.GetValue(timeout) is { } t) body["timeout"] = t;
            if (parse.GetValue(webhookUrl) is { } w) body["webhook_url"] = w;
            if (parse.GetValue(session) is { } s) body["session_id"] = s;
            var key = parse.GetValue(idempotencyKey);
            if (key is not null) body["idempotency_key"] = key;
            if (parse.GetValue(idempotencyScope) is { } scope and not "none") body["idempotency_scope"] = scope;
            if (parse.GetValue(metadata) is { Length: > 0 } pairs)
            {
                var meta = new JsonObject();
                foreach (var pair in pairs) meta[pair[..pair.IndexOf('=')]] = pair[(pair.IndexOf('=') + 1)..];
                body["metadata"] = meta;
            }

            using var client = Connect(parse);
            var submitted = await client.SubmitAsync(body, key, token);
            var jobId = Text(submitted, "job_id") ?? throw new CliException(ExitCodes.Unavailable,
                $"The server at {client.BaseAddress} answered the submit without a job_id: {submitted}");
            Cli.Note($"Job submitted: {jobId}");
            if (Text(submitted, "poll_url") is { } pollUrl) Cli.Note($"Status URL: {pollUrl}");

            if (parse.GetValue(stream)) return await UntilInterruptedAsync(cli, jobId, token, t => FollowStreamAsync(cli, client, jobId, t));
            if (parse.GetValue(wait)) return await UntilInterruptedAsync(cli, jobId, token, t => FollowPollingAsync(cli, client, jobId, parse.GetValue(poll), t));
            if (cli.Json) cli.WriteJson(submitted);
            else Console.Out.WriteLine(jobId);
            return ExitCodes.Ok;
        }));
        return command;
    }

    // ---------------------------------------------------------------- status, result, cancel

    private static Command Status()
    {
        var id = JobIdArgument();
        var command = new Command("status", """
            Show a job's status object (GET /api/v1/runs/{job_id}): status, progress, step, times, error.

            Examples:
              praison-actors run status run_0123456789ab
              praison-actors run status run_0123456789ab --json | jq -r .progress.percentage
            """) { id };
        command.SetAction((parse, ct) => Cli.RunAsync(parse, ct, async (cli, token) =>
        {
            using var client = Connect(parse);
            var status = await client.StatusAsync(parse.GetValue(id)!, token);
            if (cli.Json) cli.WriteJson(status);
            else WriteStatus(status);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Result()
    {
        var id = JobIdArgument();
        var command = new Command("result", """
            Print a finished job's result (GET /api/v1/runs/{job_id}/result). The exit code tells how the job ended;
            a job still queued or running exits 5.

            Examples:
              praison-actors run result run_0123456789ab
              praison-actors run result run_0123456789ab --json | jq .result
            """) { id };
        command.SetAction((parse, ct) => Cli.RunAsync(parse, ct, async (cli, token) =>
        {
            var jobId = parse.GetValue(id)!;
            using var client = Connect(parse);
            JsonElement result;
            try
            {
                result = await client.ResultAsync(jobId, token);
            }
            catch (JobsApiException ex) when (ex.Status == System.Net.HttpStatusCode.Conflict)
            {
                var status = await client.StatusAsync(jobId, token);
                throw new CliException(ExitCodes.StillRunning, $"Job {jobId} is still {Text(status, "status")}; its result comes when it ends ({ex.Message}).");
            }
            return Finish(cli, result);
        }));
        return command;
    }

    private static Command Cancel()
    {
        var id = JobIdArgument();
        var command = new Command("cancel", """
            Cancel a job (POST /api/v1/runs/{job_id}/cancel). A job that already ended exits 7.

            Examples:
              praison-actors run cancel run_0123456789ab
            """) { id };
        command.SetAction((parse, ct) => Cli.RunAsync(parse, ct, async (cli, token) =>
        {
            var jobId = parse.GetValue(id)!;
            using var client = Connect(parse);
            var status = await client.CancelAsync(jobId, token);
            if (cli.Json) cli.WriteJson(status);
            else Console.Out.WriteLine($"Job {Text(status, "job_id") ?? jobId} {Text(status, "status") ?? "cancelled"}.");
            return ExitCodes.Ok;
        }));
        return command;
    }

    // ---------------------------------------------------------------- list

    private static Command List()
    {
        var status = new Option<string?>("--status") { Description = "Only jobs in this status (queued, running, succeeded, failed, cancelled)." };
        var session = new Option<string?>("--session-id") { Description = "Only jobs of this session." };
        var schedule = BackgroundCommands.ScheduleOption("jobs");
        var page = new Option<int>("--page") { Description = "The page, from 1.", DefaultValueFactory = _ => 1 };
        page.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError("--page must be 1 or more."); });
        var pageSize = new Option<int>("--page-size") { Description = "Jobs per page, 1 to 100.", DefaultValueFactory = _ => 20 };
        pageSize.Validators.Add(r => { if (r.GetValueOrDefault<int>() is < 1 or > 100) r.AddError("--page-size must be from 1 to 100."); });
        var command = new Command("list", """
            List jobs, one page at a time (GET /api/v1/runs).

            Examples:
              praison-actors run list --status running
              praison-actors run list --page 2 --page-size 50 --json | jq -r '.jobs[].job_id'
              praison-actors run list --schedule nightly
            """) { status, session, schedule, page, pageSize };
        command.SetAction((parse, ct) => Cli.RunAsync(parse, ct, async (cli, token) =>
        {
            using var client = Connect(parse);
            var list = await client.ListAsync(parse.GetValue(status), parse.GetValue(session), parse.GetValue(page), parse.GetValue(pageSize), token,
                parse.GetValue(schedule));
            if (cli.Json)
            {
                cli.WriteJson(list);
                return ExitCodes.Ok;
            }
            var jobs = list.TryGetProperty("jobs", out var j) && j.ValueKind == JsonValueKind.Array ? j.EnumerateArray().ToList() : [];
            if (jobs.Count == 0)
            {
                Cli.Note("No jobs found.");
                return ExitCodes.Ok;
            }
            var table = new Table().AddColumns("ID", "STATUS", "PROGRESS", "STEP", "CREATED");
            foreach (var job in jobs)
                table.AddRow(Markup.Escape(Text(job, "job_id") ?? "?"), Markup.Escape(Text(job, "status") ?? "?"),
                    $"{Percent(job) ?? 0}%", Markup.Escape(Step(job) ?? ""), Markup.Escape(Text(job, "created_at") ?? ""));
            AnsiConsole.Write(table);
            var total = Number(list, "total") ?? jobs.Count;
            var size = Number(list, "page_size") ?? parse.GetValue(pageSize);
            Cli.Note($"Total: {total} jobs (page {Number(list, "page") ?? parse.GetValue(page)} of {Math.Max(1, (total + size - 1) / size)}).");
            return ExitCodes.Ok;
        }));
        return command;
    }

    // ---------------------------------------------------------------- stream

    private static Command Stream()
    {
        var id = JobIdArgument();
        var command = new Command("stream", """
            Follow a job's server-sent events (GET /api/v1/runs/{job_id}/stream) with live progress until it ends, then
            print its result; a dropped connection resumes with Last-Event-ID. With --json, each event is one line of
            JSON: {"event", "data", "id"}. The exit code tells how the job ended.

            Examples:
              praison-actors run stream run_0123456789ab
              praison-actors run stream run_0123456789ab --json | jq -c 'select(.event == "progress") | .data'
            """) { id };
        command.SetAction((parse, ct) => Cli.RunAsync(parse, ct, async (cli, token) =>
        {
            using var client = Connect(parse);
            var jobId = parse.GetValue(id)!;
            return await UntilInterruptedAsync(cli, jobId, token, t => FollowStreamAsync(cli, client, jobId, t));
        }));
        return command;
    }

    // ---------------------------------------------------------------- following

    /// <summary>
    /// Follows a job until Ctrl+C (or SIGTERM), which stops the following only: the job keeps running on the server, as
    /// with <c>praisonai run</c>, and the exit code is 5 (still running).
    /// </summary>
    private static async Task<int> UntilInterruptedAsync(Cli cli, string jobId, CancellationToken ct, Func<CancellationToken, Task<int>> follow)
    {
        using var stop = new StopSignal();
        using var following = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var followed = follow(following.Token);
        if (await Task.WhenAny(followed, stop.Requested) == followed) return await followed;
        await following.CancelAsync();
        try
        {
            await followed;
        }
        catch (Exception) when (following.IsCancellationRequested)
        {
            // Stopped by the cancel above, as asked.
        }
        Failures.Write(ExitCodes.StillRunning, $"interrupted: stopped following job {jobId}; it keeps running on the server (`run cancel {jobId}` stops it).", cli.Json);
        return ExitCodes.StillRunning;
    }

    /// <summary>Polls the status until the job ends (live progress on stderr), then prints the result and returns its exit code.</summary>
    private static async Task<int> FollowPollingAsync(Cli cli, RunsClient client, string jobId, double? pollSeconds, CancellationToken ct)
    {
        JsonElement last = default;
        await ProgressDisplay.FollowAsync(Frames(), jobId, cli.Json);
        return await EndAsync(cli, client, jobId, last, ct);

        async IAsyncEnumerable<ProgressFrame> Frames()
        {
            while (true)
            {
                last = await client.StatusAsync(jobId, ct);
                var frame = Frame(jobId, last);
                yield return frame;
                if (frame.IsTerminal) yield break;
                var seconds = pollSeconds ?? (Number(last, "retry_after") is { } r and > 0 ? r : 2);
                await Task.Delay(TimeSpan.FromSeconds(seconds), ct);
            }
        }
    }

    /// <summary>Follows the job's events (JSON lines with --json, live progress otherwise), then prints its end.</summary>
    private static async Task<int> FollowStreamAsync(Cli cli, RunsClient client, string jobId, CancellationToken ct)
    {
        var events = client.StreamAsync(jobId, e => e.Event is "result" or "error" or "cancelled", IsTerminal, reconnects: 5, ct);
        if (cli.Json)
        {
            await foreach (var e in events)
                Console.Out.WriteLine(JsonSerializer.Serialize(new { @event = e.Event, data = e.Json(), id = e.Id }, JsonOneLine));
            var final = await client.StatusAsync(jobId, ct);
            return ExitFor(final);
        }
        await ProgressDisplay.FollowAsync(Frames(events, jobId, ct), jobId, json: false);
        return await EndAsync(cli, client, jobId, await client.StatusAsync(jobId, ct), ct);
    }

    private static readonly JsonSerializerOptions JsonOneLine = new(JsonSerializerDefaults.Web)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static bool IsTerminal(ServerSentEvent e) =>
        e.Event == "status" && e.Json() is { ValueKind: JsonValueKind.Object } d && RunsClient.IsTerminal(Text(d, "status"));

    /// <summary>The stream's events as progress frames: <c>status</c> moves the status, <c>progress</c> the bar.</summary>
    private static async IAsyncEnumerable<ProgressFrame> Frames(IAsyncEnumerable<ServerSentEvent> events, string jobId,
        [EnumeratorCancellation] CancellationToken ct)
    {
        var status = "queued";
        int? percent = null;
        string? step = null;
        await foreach (var e in events.WithCancellation(ct))
        {
            var data = e.Json();
            switch (e.Event)
            {
                case "status" when data.ValueKind == JsonValueKind.Object && Text(data, "status") is { } s:
                    status = s;
                    break;
                case "progress" when data.ValueKind == JsonValueKind.Object:
                    if (status == "queued") status = "running";
                    percent = Number(data, "percentage") ?? percent;
                    step = Text(data, "step") ?? Text(data, "current_step") ?? step;
                    break;
                case "result": status = "succeeded"; break;
                case "error": status = "failed"; break;
                case "cancelled": status = "cancelled"; break;
                default: continue; // heartbeat and anything unknown: nothing to show
            }
            yield return new ProgressFrame(jobId, status, RunsClient.IsTerminal(status), status == "succeeded", percent, percent / 100.0, step);
        }
    }

    /// <summary>The end of a followed job: the result (succeeded) or the status object, and the exit code of its status.</summary>
    private static async Task<int> EndAsync(Cli cli, RunsClient client, string jobId, JsonElement status, CancellationToken ct)
    {
        if (Text(status, "status") == "succeeded") return Finish(cli, await client.ResultAsync(jobId, ct));
        return Finish(cli, status);
    }

    /// <summary>Prints a result or status object (JSON as it came with --json) and returns the exit code of its status.</summary>
    private static int Finish(Cli cli, JsonElement job)
    {
        var code = ExitFor(job);
        if (cli.Json)
        {
            cli.WriteJson(job);
            return code;
        }
        var jobId = Text(job, "job_id");
        switch (Text(job, "status"))
        {
            case "succeeded":
                Cli.Note($"Job {jobId} succeeded" + (job.TryGetProperty("duration_seconds", out var d) && d.ValueKind == JsonValueKind.Number ? $" in {d.GetDouble():0.0} s." : "."));
                if (job.TryGetProperty("result", out var result) && result.ValueKind != JsonValueKind.Null)
                {
                    if (result.ValueKind == JsonValueKind.String) Console.Out.WriteLine(result.GetString());
                    else ResultSummary.Write(result, cli.Json);
                }
                break;
            case "cancelled":
                Cli.Note($"Job {jobId} was cancelled.");
                break;
            case "failed":
                Cli.Note($"Job {jobId} {(code == ExitCodes.TimedOut ? "timed out" : "failed")}: {ErrorText(job)}");
                break;
            default:
                Cli.Note($"Job {jobId} is still {Text(job, "status")}.");
                break;
        }
        return code;
    }

    /// <summary>The exit code of a job's status, as <c>background</c>'s: a failure that is a timeout is 4.</summary>
    internal static int ExitFor(JsonElement job) => Text(job, "status") switch
    {
        "succeeded" => ExitCodes.Ok,
        "cancelled" => ExitCodes.Cancelled,
        "failed" when IsTimeout(job) => ExitCodes.TimedOut,
        "failed" => ExitCodes.Failed,
        _ => ExitCodes.StillRunning,
    };

    /// <summary>
    /// The contract's <c>error</c> is a string ("Job timed out after 600s" on PraisonAI's server); a server may also
    /// carry a structured error beside it (any object with <c>kind: timeout</c>, as ours does).
    /// </summary>
    private static bool IsTimeout(JsonElement job) =>
        (Text(job, "error") is { } e && TimedOut().IsMatch(e)) ||
        job.EnumerateObject().Any(p => p.Value.ValueKind == JsonValueKind.Object && Text(p.Value, "kind") == "timeout");

    [GeneratedRegex(@"\btimed?\s*out\b|\btimeout\b", RegexOptions.IgnoreCase)]
    private static partial Regex TimedOut();

    private static string ErrorText(JsonElement job) =>
        job.TryGetProperty("error", out var e) ? e.ValueKind == JsonValueKind.String ? e.GetString()! : e.ToString() : "(no error given)";

    private static ProgressFrame Frame(string jobId, JsonElement status)
    {
        var s = Text(status, "status") ?? "unknown";
        var percent = Percent(status);
        return new ProgressFrame(Text(status, "job_id") ?? jobId, s, RunsClient.IsTerminal(s), s == "succeeded", percent, percent / 100.0, Step(status));
    }

    private static void WriteStatus(JsonElement job)
    {
        var grid = new Grid().AddColumn().AddColumn();
        void Row(string k, string? v) { if (v is not null) grid.AddRow(new Text(k, new Style(Color.Grey)), new Text(v)); }
        Row("job", Text(job, "job_id"));
        Row("status", Text(job, "status"));
        Row("progress", $"{Percent(job) ?? 0}%");
        Row("step", Step(job) ?? "-");
        Row("session", Text(job, "session_id"));
        Row("created", Text(job, "created_at"));
        Row("started", Text(job, "started_at") ?? "-");
        Row("completed", Text(job, "completed_at"));
        if (job.TryGetProperty("error", out var e) && e.ValueKind != JsonValueKind.Null) Row("error", ErrorText(job));
        AnsiConsole.Write(grid);
    }

    private static int? Percent(JsonElement job) =>
        job.TryGetProperty("progress", out var p) && p.ValueKind == JsonValueKind.Object && Number(p, "percentage") is { } v ? v : null;

    private static string? Step(JsonElement job) =>
        job.TryGetProperty("progress", out var p) && p.ValueKind == JsonValueKind.Object ? Text(p, "current_step") : null;

    private static string? Text(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static int? Number(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number
            ? (int)Math.Round(v.GetDouble(), MidpointRounding.AwayFromZero) : null;
}
