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
    /// <summary>The command (or the task it ran or waited for) succeeded.</summary>
    public const int Ok = 0;
    /// <summary>The task failed.</summary>
    public const int Failed = 1;
    /// <summary>Bad input: unknown recipe, invalid JSON or TEMPLATE.yaml, bad option value.</summary>
    public const int BadInput = 2;
    /// <summary>The task was cancelled.</summary>
    public const int Cancelled = 3;
    /// <summary>The task ran past its timeout.</summary>
    public const int TimedOut = 4;
    /// <summary><c>wait --timeout</c> expired, or <c>run result</c> asked too early; the task is still pending or running.</summary>
    public const int StillRunning = 5;
    /// <summary>No task with that id.</summary>
    public const int NotFound = 6;
    /// <summary>The task had already finished (cancel).</summary>
    public const int AlreadyFinished = 7;
    /// <summary>The store, server or host is unavailable.</summary>
    public const int Unavailable = 8;

    /// <summary>The exit-code table printed by <c>--help</c>.</summary>
    public const string Help = """
        Exit codes:
          0  success (for run/wait: the task completed)
          1  the task failed
          2  bad input (unknown recipe, invalid JSON, invalid TEMPLATE.yaml, bad option value)
          3  the task was cancelled
          4  the task ran past its timeout
          5  wait --timeout expired (or run result too early); the task is still pending or running
          6  no task with that id
          7  the task had already finished (cancel)
          8  store, server or host unavailable
        """;

    /// <summary>The exit code that reports <paramref name="run"/>'s status.</summary>
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
    /// <summary>The exit code the process ends with.</summary>
    public int ExitCode { get; } = exitCode;
}

/// <summary>The global options, resolved once per command, plus output helpers.</summary>
public sealed class Cli
{
    /// <summary><c>--data-dir</c>: where tasks are stored.</summary>
    public static readonly Option<string?> DataDirOption = new("--data-dir")
    {
        Description = "Where tasks are stored (SQLite). Default: $PRAISON_DATA_DIR, else ~/.praison/actors.",
        Recursive = true,
    };

    /// <summary><c>--recipes</c>: the folder of recipe folders.</summary>
    public static readonly Option<string?> RecipesOption = new("--recipes")
    {
        Description = "Folder of recipe folders, each with a TEMPLATE.yaml. Default: ./recipes.",
        Recursive = true,
    };

    /// <summary><c>--server</c>: the jobs API of a running <c>serve</c>.</summary>
    public static readonly Option<string?> ServerOption = new("--server")
    {
        Description = "Jobs API of a running `serve` (e.g. http://127.0.0.1:8005). Default: $PRAISON_SERVER, else the host found in the data directory.",
        Recursive = true,
    };

    /// <summary><c>--json</c>: machine-readable output.</summary>
    public static readonly Option<bool> JsonOption = new("--json")
    {
        Description = "Print JSON for scripts (task objects carry taskId and status).",
        Recursive = true,
    };

    /// <summary>
    /// An option holding a number of seconds, fractions allowed (1.5). Anything else (abc, 0, -1, NaN, above
    /// <paramref name="max"/>) is a parse error: exit code 2 naming the option and the value, like any bad usage.
    /// </summary>
    public static Option<double?> SecondsOption(string name, string description, double max = int.MaxValue, string? rule = null)
    {
        rule ??= $"{name} must be a positive number of seconds";
        var option = new Option<double?>(name) { Description = description, HelpName = "SEC" };
        option.CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
            if (!double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
                || !double.IsFinite(seconds) || seconds <= 0 || seconds > max)
            {
                result.AddError($"{rule}, got {text}. Fractions such as 1.5 are fine; the most is {max:0.##}.");
                return null;
            }
            return seconds;
        };
        return option;
    }

    /// <summary>Indented, and without HTML escaping (a terminal is not a web page): quotes stay quotes.</summary>
    public static readonly JsonSerializerOptions Indented = new(PraisonJson.Options)
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private Cli(ParseResult parse)
    {
        DataDir = Path.GetFullPath(parse.GetValue(DataDirOption) is { Length: > 0 } d ? d : DefaultDataDirectory());
        RecipesDir = parse.GetValue(RecipesOption) is { Length: > 0 } r ? r : "recipes";
        ServerUrl = parse.GetValue(ServerOption) is { Length: > 0 } s ? s
            : Environment.GetEnvironmentVariable("PRAISON_SERVER") is { Length: > 0 } e ? e : null;
        Json = parse.GetValue(JsonOption);
        CliLogging.Configure(parse);
    }

    /// <summary>The resolved data directory (absolute).</summary>
    public string DataDir { get; }

    /// <summary>
    /// $PRAISON_DATA_DIR, else ~/.praison/actors. Without HOME the home directory comes from the user database, and
    /// the note says so; when there is none (or it does not exist: .NET then answers ""), the CLI refuses rather
    /// than put the store under the current directory or /.
    /// </summary>
    private static string DefaultDataDirectory()
    {
        if (Environment.GetEnvironmentVariable("PRAISON_DATA_DIR") is { Length: > 0 }) return TaskStore.DefaultDataDirectory;
        if (Environment.GetEnvironmentVariable("HOME") is { Length: > 0 }) return TaskStore.DefaultDataDirectory;
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (home is not { Length: > 0 } || !Path.IsPathFullyQualified(home) || home == "/")
            throw new CliException(ExitCodes.BadInput,
                "HOME is not set and this user has no home directory that exists, so there is no default store: pass --data-dir DIR or set PRAISON_DATA_DIR.");
        var dir = Path.Combine(home, ".praison", "actors");
        Note($"note: HOME is not set; using the store in {dir} (the home directory of this user). Pass --data-dir or set PRAISON_DATA_DIR to choose.");
        return dir;
    }

    /// <summary>
    /// Whether the data directory holds a store to read. Missing: false (nothing was stored there yet). A file, or
    /// a directory this user cannot read: exit code 8 naming the path, never an empty answer.
    /// </summary>
    public bool StoreExists() => DataDirectory.HasStore(DataDir);

    /// <summary>The message for a missing store, used by list (a note) and by the commands that need a task (exit 6).</summary>
    public string NoStore => $"there is no store at {DataDir} (nothing was ever submitted with this data directory)";
    /// <summary>The resolved recipes folder.</summary>
    public string RecipesDir { get; }

    /// <summary>The server given by <c>--server</c> or <c>PRAISON_SERVER</c>, if any.</summary>
    public string? ServerUrl { get; }

    /// <summary>Whether <c>--json</c> was given.</summary>
    public bool Json { get; }

    /// <summary>Loads the recipes under <see cref="RecipesDir"/>; broken ones are kept with their error, not thrown.</summary>
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

    /// <summary>Writes <paramref name="value"/> to stdout as indented JSON.</summary>
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

    /// <summary>
    /// Reads an <c>-i</c> value as <c>praisonai background</c> does: JSON when it is JSON, any other text as
    /// <c>{"input": TEXT}</c>. <c>@FILE</c> reads the file and <c>-</c> reads stdin, then the same rule applies. Text that
    /// starts like a JSON object or list but does not parse is refused (exit 2): it was meant as JSON.
    /// </summary>
    public static JsonElement? ParseInput(string? text, string option)
    {
        if (text is null) return null;
        if (text == "-")
        {
            text = Console.In.ReadToEnd();
        }
        else if (text.StartsWith('@'))
        {
            var path = text[1..];
            try
            {
                text = File.ReadAllText(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
            {
                throw new CliException(ExitCodes.BadInput, $"{option} @{path}: cannot read the file: {ex.Message}");
            }
        }
        var trimmed = text.Trim();
        if (trimmed.StartsWith('{') || trimmed.StartsWith('[')) return ParseJson(trimmed, option);
        try
        {
            using var doc = JsonDocument.Parse(trimmed);
            return doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            return JsonSerializer.SerializeToElement(new Dictionary<string, string> { ["input"] = text.TrimEnd('\r', '\n') });
        }
    }

    /// <summary>
    /// Runs a command body, turning every failure into one line and an exit code (<see cref="Failures"/>): expected
    /// ones by their kind, anything else as a last resort, so no command ends in a stack trace.
    /// </summary>
    public static async Task<int> RunAsync(ParseResult parse, CancellationToken ct, Func<Cli, CancellationToken, Task<int>> body)
    {
        var json = parse.GetValue(JsonOption);
        string? dataDir = null;
        try
        {
            var cli = new Cli(parse);
            dataDir = cli.DataDir;
            return await body(cli, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            Failures.Write(ExitCodes.Cancelled, "interrupted.", json);
            return ExitCodes.Cancelled;
        }
        catch (Exception ex)
        {
            return Failures.Report(ex, json, dataDir) ?? Failures.ReportUnexpected(ex, json);
        }
        finally
        {
            CliLogging.Flush(); // the console logger writes on its own thread: what is queued goes out before exit
        }
    }

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
        Row("attempt", run.MaxAttempts > 1 ? $"{run.Attempt} of {run.MaxAttempts}" : null);
        Row("next attempt", run.NextAttemptAt?.ToLocalTime().ToString("u"));
        Row("last error", run.Status != "failed" && run.AttemptErrors is [.., var last] ? $"{last.Kind}: {last.Message}" : null);
        Row("error", run.Error is { } e ? $"{e.Kind}: {e.Message}" : null);
        if (run.Status == "failed" && run.AttemptErrors is { Count: > 1 } errors)
            for (var i = 0; i < errors.Count; i++) Row($"attempt {i + 1}", $"{errors[i].Kind}: {errors[i].Message}");
        AnsiConsole.Write(grid);
        if (run.Result is { } result) ResultSummary.Write(result, Json);
    }

    /// <summary>The run as a view, with the stored result when it completed.</summary>
    public static RunView View(StoredTask task) =>
        RunView.From(task.Info) with { Result = task.Info.Status == BackgroundTaskStatus.Completed ? RunView.ParseResult(task.ResultJson) : null };
}
