using System.CommandLine;
using System.Net;
using System.Text.Json;
using Praison.Actors.Cli.Client;
using Praison.Actors.Cli.Hosting;
using Praison.Actors.Cli.Recipes;
using Praison.Actors.Persistence;
using Praison.Actors.Server;
using Spectre.Console;

namespace Praison.Actors.Cli;

/// <summary>The process exit codes; <c>praison-actors --help</c> and the README list them.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int BadInput = 2;
    public const int Cancelled = 3;
    public const int TimedOut = 4;
    public const int StillRunning = 5;
    public const int NotFound = 6;
    public const int AlreadyFinished = 7;
    public const int Unavailable = 8;

    public const string Help = """
        Exit codes:
          0  success (for run/wait: the task completed)
          1  the task failed
          2  bad input (unknown recipe, invalid JSON, invalid TEMPLATE.yaml, bad option value)
          3  the task was cancelled
          4  the task ran past its timeout
          5  wait --timeout expired; the task is still pending or running
          6  no task with that id
          7  the task had already finished (cancel)
          8  store, server or host unavailable
        """;

    public static int For(RunView run) => run.Status switch
    {
        "completed" => Ok,
        "cancelled" => Cancelled,
        "failed" when run.TimedOut => TimedOut,
        "failed" => Failed,
        _ => StillRunning,
    };
}

/// <summary>An error that ends the command with <see cref="ExitCode"/> and a message for the user.</summary>
public sealed class CliException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>The global options, resolved once per command, plus output helpers.</summary>
public sealed class Cli
{
    public static readonly Option<string?> DataDirOption = new("--data-dir")
    {
        Description = "Where tasks are stored (SQLite). Default: $PRAISON_DATA_DIR, else ~/.praison/actors.",
        Recursive = true,
    };

    public static readonly Option<string?> RecipesOption = new("--recipes")
    {
        Description = "Folder of recipe folders, each with a TEMPLATE.yaml. Default: ./recipes.",
        Recursive = true,
    };

    public static readonly Option<string?> ServerOption = new("--server")
    {
        Description = "Jobs API of a running `serve` (e.g. http://127.0.0.1:8005). Default: $PRAISON_SERVER, else the host found in the data directory.",
        Recursive = true,
    };

    public static readonly Option<bool> JsonOption = new("--json")
    {
        Description = "Print JSON for scripts (task objects carry taskId and status).",
        Recursive = true,
    };

    /// <summary>Indented, and without HTML escaping (a terminal is not a web page): quotes stay quotes.</summary>
    public static readonly JsonSerializerOptions Indented = new(PraisonJson.Options)
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private Cli(ParseResult parse)
    {
        DataDir = Path.GetFullPath(parse.GetValue(DataDirOption) is { Length: > 0 } d ? d : TaskStore.DefaultDataDirectory);
        RecipesDir = parse.GetValue(RecipesOption) is { Length: > 0 } r ? r : "recipes";
        ServerUrl = parse.GetValue(ServerOption) is { Length: > 0 } s ? s
            : Environment.GetEnvironmentVariable("PRAISON_SERVER") is { Length: > 0 } e ? e : null;
        Json = parse.GetValue(JsonOption);
    }

    public string DataDir { get; }
    public string RecipesDir { get; }

    /// <summary>The server given by <c>--server</c> or <c>PRAISON_SERVER</c>, if any.</summary>
    public string? ServerUrl { get; }

    public bool Json { get; }

    public RecipeCatalog LoadRecipes() => RecipeCatalog.Load(RecipesDir);

    /// <summary>
    /// The jobs API to use: the one given (it must answer), else the host that holds this data directory when it
    /// serves one, else null (work on the store directly).
    /// </summary>
    public async Task<JobsClient?> ConnectAsync(CancellationToken ct)
    {
        if (ServerUrl is not null)
        {
            if (!Uri.TryCreate(ServerUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                throw new CliException(ExitCodes.BadInput, $"--server / PRAISON_SERVER must be an http(s) URL, got '{ServerUrl}'.");
            var client = new JobsClient(uri);
            if (await client.IsHealthyAsync(ct)) return client;
            client.Dispose();
            throw new CliException(ExitCodes.Unavailable, $"The server {ServerUrl} does not answer (GET /health). Is `praison-actors serve` running?");
        }
        if (HostLock.FindHost(DataDir) is { Url: { } url })
        {
            var client = new JobsClient(new Uri(url));
            if (await client.IsHealthyAsync(ct)) return client;
            client.Dispose();
        }
        return null;
    }

    public void WriteJson<T>(T value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, Indented));

    /// <summary>A note for people: stderr, so stdout stays the command's result.</summary>
    public static void Note(string text) => Console.Error.WriteLine(text);

    /// <summary>Reads an <c>-i</c>/<c>-c</c> value as JSON, or fails naming the option.</summary>
    public static JsonElement? ParseJson(string? text, string option, bool mustBeObject = false)
    {
        if (text is null) return null;
        JsonElement value;
        try
        {
            using var doc = JsonDocument.Parse(text);
            value = doc.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new CliException(ExitCodes.BadInput, $"{option} is not valid JSON: {ex.Message} (got: {text})");
        }
        if (mustBeObject && value.ValueKind != JsonValueKind.Object)
            throw new CliException(ExitCodes.BadInput, $"{option} must be a JSON object like '{{\"key\": 1}}', got: {text}");
        return value;
    }

    /// <summary>Runs a command body, turning every expected failure into a message and an exit code.</summary>
    public static async Task<int> RunAsync(ParseResult parse, CancellationToken ct, Func<Cli, CancellationToken, Task<int>> body)
    {
        var json = parse.GetValue(JsonOption);
        try
        {
            return await body(new Cli(parse), ct);
        }
        catch (Exception ex) when (Classify(ex) is { } code)
        {
            var message = ex is HttpRequestException ? $"The server did not answer: {ex.Message}" : ex.Message;
            Console.Error.WriteLine($"error: {message}");
            if (json)
                Console.Out.WriteLine(JsonSerializer.Serialize(new { error = message, exitCode = code }, Indented));
            return code;
        }
    }

    private static int? Classify(Exception ex) => ex switch
    {
        CliException c => c.ExitCode,
        TaskNotFoundException => ExitCodes.NotFound,
        RecipeException { TaskId: null } => ExitCodes.BadInput, // unknown, disabled or invalid recipe: nothing ran
        ArgumentException => ExitCodes.BadInput,
        TaskStoreException or TaskRejectedException or HttpRequestException => ExitCodes.Unavailable,
        JobsApiException { Status: HttpStatusCode.BadRequest } => ExitCodes.BadInput,
        JobsApiException { Status: HttpStatusCode.NotFound } => ExitCodes.NotFound,
        JobsApiException { Status: HttpStatusCode.Conflict } => ExitCodes.AlreadyFinished,
        JobsApiException => ExitCodes.Unavailable,
        _ => null,
    };

    /// <summary>One task for people: id, recipe, status, progress, times, error, result.</summary>
    public void WriteRun(RunView run)
    {
        if (Json)
        {
            WriteJson(run);
            return;
        }
        var grid = new Grid().AddColumn().AddColumn();
        void Row(string k, string? v) { if (v is not null) grid.AddRow(new Text(k, new Style(Color.Grey)), new Text(v)); }
        Row("task", run.TaskId);
        Row("recipe", run.Recipe ?? run.Name);
        Row("status", run.Status);
        Row("session", run.SessionId);
        Row("progress", run.Progress is { } p ? $"{p.Percent}% {p.Message}" : null);
        Row("submitted", run.SubmittedAt.ToLocalTime().ToString("u"));
        Row("started", run.StartedAt?.ToLocalTime().ToString("u"));
        Row("finished", run.FinishedAt?.ToLocalTime().ToString("u"));
        Row("error", run.Error is { } e ? $"{e.Kind}: {e.Message}" : null);
        AnsiConsole.Write(grid);
        if (run.Result is { } result)
            Console.Out.WriteLine(JsonSerializer.Serialize(result, Indented));
    }

    /// <summary>The run as a view, with the stored result when it completed.</summary>
    public static RunView View(StoredTask task) =>
        RunView.From(task.Info) with { Result = task.Info.Status == BackgroundTaskStatus.Completed ? RunView.ParseResult(task.ResultJson) : null };
}
