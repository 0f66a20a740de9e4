using System.CommandLine;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Praison.Actors.Cli.Hosting;

/// <summary>
/// The CLI's one logging pipeline: Microsoft.Extensions.Logging's console logger writing one line per entry to
/// stderr (stdout stays the command's result and <c>--json</c>). Quiet by default (warnings and errors);
/// <c>--verbose</c> or <c>$PRAISON_LOG_LEVEL</c> raises it. The runtime's actor system (Akka's log bridged through
/// <see cref="BackgroundRunnerOptions.LoggerFactory"/>) and <c>serve</c>'s ASP.NET host both log here.
/// </summary>
public static class CliLogging
{
    /// <summary>The environment variable naming the level: trace, debug, information, warning, error, critical or none.</summary>
    public const string LevelVariable = "PRAISON_LOG_LEVEL";

    /// <summary><c>--verbose</c>: log information lines too (tasks recovered, retries, schedules fired).</summary>
    public static readonly Option<bool> VerboseOption = new("--verbose")
    {
        Description = $"Log more to stderr (information lines; ${LevelVariable}=debug for even more). Default: warnings and errors only.",
        Recursive = true,
    };

    private static ILoggerFactory? _factory;

    /// <summary>The level in force (set from the command line by <see cref="Configure(ParseResult, Func{string, string?})"/>).</summary>
    public static LogLevel Level { get; private set; } = LogLevel.Warning;

    /// <summary>The factory every part of this process logs to; created on first use.</summary>
    public static ILoggerFactory Factory => _factory ??= LoggerFactory.Create(b => Configure(b, Level));

    /// <summary>Sets the level from <c>--verbose</c> and <c>$PRAISON_LOG_LEVEL</c> (the flag wins when it raises it); a bad value is exit 2.</summary>
    public static void Configure(ParseResult parse, Func<string, string?>? environment = null)
    {
        var level = LevelFrom((environment ?? Environment.GetEnvironmentVariable)(LevelVariable));
        if (parse.GetValue(VerboseOption) && level > LogLevel.Information) level = LogLevel.Information;
        Level = level;
    }

    /// <summary>The level named by <paramref name="text"/> (null or empty: warning).</summary>
    public static LogLevel LevelFrom(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        null or "" => LogLevel.Warning,
        "trace" => LogLevel.Trace,
        "debug" => LogLevel.Debug,
        "information" or "info" => LogLevel.Information,
        "warning" or "warn" => LogLevel.Warning,
        "error" => LogLevel.Error,
        "critical" => LogLevel.Critical,
        "none" or "off" => LogLevel.None,
        _ => throw new CliException(ExitCodes.BadInput,
            $"${LevelVariable} must be one of trace, debug, information, warning, error, critical, none; got '{text}'."),
    };

    /// <summary>Akka's own level for <see cref="Level"/>, so the actor system does not produce lines nobody prints.</summary>
    public static string AkkaLevel => Level switch
    {
        LogLevel.Trace or LogLevel.Debug => "DEBUG",
        LogLevel.Information => "INFO",
        LogLevel.Warning => "WARNING",
        LogLevel.None => "OFF",
        _ => "ERROR",
    };

    /// <summary>Console on stderr, one line per entry, at <paramref name="level"/>.</summary>
    public static void Configure(ILoggingBuilder builder, LogLevel level)
    {
        builder.ClearProviders();
        builder.SetMinimumLevel(level);
        builder.AddConsole(o =>
        {
            o.FormatterName = OneLineFormatter.FormatterName;
            o.LogToStandardErrorThreshold = LogLevel.Trace; // every level to stderr
        });
        builder.AddConsoleFormatter<OneLineFormatter, ConsoleFormatterOptions>();
    }

    /// <summary>Writes what is still queued and closes the factory (the console logger writes on its own thread).</summary>
    public static void Flush()
    {
        _factory?.Dispose();
        _factory = null;
    }
}

/// <summary>
/// <c>[warning] Category: message (cause)</c>: one line per entry, the exception's innermost message instead of its
/// stack trace (the CLI never prints one).
/// </summary>
internal sealed class OneLineFormatter() : ConsoleFormatter(FormatterName)
{
    public const string FormatterName = "praison-one-line";

    public override void Write<TState>(in LogEntry<TState> entry, IExternalScopeProvider? scopeProvider, TextWriter writer)
    {
        var message = entry.Formatter?.Invoke(entry.State, entry.Exception) ?? entry.State?.ToString() ?? "";
        var level = entry.LogLevel switch
        {
            LogLevel.Trace => "trace",
            LogLevel.Debug => "debug",
            LogLevel.Information => "info",
            LogLevel.Warning => "warning",
            LogLevel.Error => "error",
            _ => "critical",
        };
        writer.Write($"[{level}] {entry.Category}: {message}");
        if (entry.Exception is { } ex) writer.Write($" ({ex.GetBaseException().Message})");
        writer.WriteLine();
    }
}
