using System.Net;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Npgsql;
using Praison.Actors.Cli.Client;
using Praison.Actors.Persistence;

namespace Praison.Actors.Cli;

/// <summary>
/// The one place that turns an exception into an exit code and a one-line message. Every command goes through
/// <see cref="Report"/>; Program.cs sends anything that still escapes to <see cref="ReportUnexpected"/>, so the user
/// never sees a stack trace (set PRAISON_DEBUG=1 to get it on stderr).
/// </summary>
public static class Failures
{
    /// <summary>The exit code and message for an exception the CLI expects, or null for a bug.</summary>
    /// <param name="ex">What went wrong.</param>
    /// <param name="dataDir">The data directory in use, named in messages about the store.</param>
    public static (int Code, string Message)? Classify(Exception ex, string? dataDir) => ex switch
    {
        CliException c => (c.ExitCode, c.Message),
        TaskNotFoundException => (ExitCodes.NotFound, ex.Message),
        RecipeException { TaskId: null } => (ExitCodes.BadInput, ex.Message), // unknown, disabled or invalid recipe: nothing ran
        AgentConfigurationException => (ExitCodes.BadInput, ex.Message), // no model endpoint configured: nothing ran
        TaskStoreException => (ExitCodes.Unavailable, ex.Message), // names the store and the reason
        TaskRejectedException => (ExitCodes.Unavailable, ex.Message),
        HttpRequestException => (ExitCodes.Unavailable, $"The server did not answer: {ex.Message}"),
        JobsApiException { Status: HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity or HttpStatusCode.RequestEntityTooLarge
            or HttpStatusCode.UnsupportedMediaType } => (ExitCodes.BadInput, ex.Message),
        // A missing or wrong key is the caller's to fix, like any bad option.
        JobsApiException { Status: HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden } =>
            (ExitCodes.BadInput, $"{ex.Message}: the server wants an API key; pass --api-key or set PRAISON_JOBS_API_KEY."),
        JobsApiException { Status: HttpStatusCode.NotFound } => (ExitCodes.NotFound, ex.Message),
        JobsApiException { Status: HttpStatusCode.Conflict } => (ExitCodes.AlreadyFinished, ex.Message),
        JobsApiException => (ExitCodes.Unavailable, ex.Message),
        // The store below the runtime: a file where a directory should be, no permission, a locked or read-only
        // database, a PostgreSQL server out of connections. The store is unusable, not the input wrong.
        SqliteException s => (ExitCodes.Unavailable, $"The SQLite store in {dataDir ?? "the data directory"} cannot be used: {OneLine(s.Message)}" +
                                                     (s.SqliteErrorCode == 8 ? " (this user cannot write it; even reading needs its -shm file writable)" : "")),
        PostgresException p => (ExitCodes.Unavailable, $"The PostgreSQL server refused: {p.SqlState} {OneLine(p.MessageText)}" +
                                                       (p.SqlState == PostgresErrorCodes.TooManyConnections ? " (it has no free connection slots; try again later or raise max_connections)" : "")),
        NpgsqlException n => (ExitCodes.Unavailable, $"The PostgreSQL server cannot be used: {OneLine(n.Message)}"),
        UnauthorizedAccessException => (ExitCodes.Unavailable, $"Permission denied: {OneLine(ex.Message)}"),
        IOException => (ExitCodes.Unavailable, $"I/O error: {OneLine(ex.Message)}"), // .NET names the path in the message
        ArgumentException => (ExitCodes.BadInput, OneLine(ex.Message)),
        // Akka and the task library wrap store failures; the cause decides.
        AggregateException { InnerExceptions.Count: 1 } a => Classify(a.InnerExceptions[0], dataDir),
        { InnerException: { } inner } when Classify(inner, dataDir) is { Code: ExitCodes.Unavailable } found => found,
        _ => null,
    };

    /// <summary>Prints the error (stderr, and JSON on stdout with <c>--json</c>) and returns its exit code, or null for an unexpected exception.</summary>
    public static int? Report(Exception ex, bool json, string? dataDir)
    {
        if (Classify(ex, dataDir) is not { } failure) return null;
        Write(failure.Code, failure.Message, json);
        return failure.Code;
    }

    /// <summary>Last resort: a bug or an unforeseen failure still ends with one line and exit code 1, not a stack trace.</summary>
    public static int ReportUnexpected(Exception ex, bool json)
    {
        if (Classify(ex, null) is { } known)
        {
            Write(known.Code, known.Message, json);
            return known.Code;
        }
        Write(ExitCodes.Failed, $"unexpected {ex.GetType().Name}: {OneLine(ex.Message)} (set PRAISON_DEBUG=1 for details)", json);
        if (Environment.GetEnvironmentVariable("PRAISON_DEBUG") is { Length: > 0 }) Console.Error.WriteLine(ex);
        return ExitCodes.Failed;
    }

    /// <summary>One error: <c>error: ...</c> on stderr, and <c>{"error", "exitCode"}</c> on stdout for scripts.</summary>
    public static void Write(int code, string message, bool json)
    {
        Console.Error.WriteLine($"error: {message}");
        if (json)
            Console.Out.WriteLine(JsonSerializer.Serialize(new { error = message, exitCode = code }, Cli.Indented));
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();
}
