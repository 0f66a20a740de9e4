using System.CommandLine;
using System.CommandLine.Invocation;
using System.Text.Json;
using Praison.Actors.Cli;
using Praison.Actors.Cli.Commands;
using Praison.Actors.Cli.Hosting;

var root = new RootCommand($$"""
    praison-actors: run recipes as background tasks with live progress, on a durable store (SQLite), and
    follow, wait for or cancel them from any shell.

    Examples:
      praison-actors background run hash-files -i '{"path":"."}'
      praison-actors background submit --recipe sleep -i '{"seconds":30}' --json | jq -r .taskId
      praison-actors background list --status running
      praison-actors serve --urls http://127.0.0.1:8005
      praison-actors run submit "Ada" --recipe hello --wait

    {{ExitCodes.Help}}
    """)
{
    Cli.DataDirOption,
    Cli.RecipesOption,
    Cli.ServerOption,
    Cli.JsonOption,
    CliLogging.VerboseOption,
};
root.Subcommands.Add(BackgroundCommands.Build());
root.Subcommands.Add(RecipeCommands.Build());
root.Subcommands.Add(RunCommands.Build());
root.Subcommands.Add(ScheduleCommands.Build());
root.Subcommands.Add(ServeCommand.Build());

// Last resort: an exception on another thread would end the process with a stack trace; say it in one line instead.
var wantsJson = args.Contains("--json");
AppDomain.CurrentDomain.UnhandledException += (_, e) =>
{
    var code = e.ExceptionObject is Exception ex ? Failures.ReportUnexpected(ex, wantsJson) : ExitCodes.Failed;
    Console.Out.Flush();
    Console.Error.Flush();
    Environment.Exit(code);
};

ParseResult parse;
try
{
    // No response files: "-i @file" is the recipe input read from a file (as praisonai has it), not more arguments.
    parse = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
}
catch (Exception ex)
{
    // Option parsers and validators report errors as parse errors; this catches any that throws instead.
    return Failures.ReportUnexpected(ex, wantsJson);
}
if (parse.Action is ParseErrorAction)
{
    // Bad usage is bad input: exit code 2, every problem named, and JSON too when asked for.
    foreach (var error in parse.Errors) Console.Error.WriteLine($"error: {error.Message}");
    Console.Error.WriteLine($"See '{string.Join(' ', parse.CommandResult.Command.Name == root.Name ? ["praison-actors"] : ["praison-actors", .. CommandPath(parse)])} --help'.");
    if (parse.GetValue(Cli.JsonOption))
        Console.Out.WriteLine(JsonSerializer.Serialize(new { error = string.Join(" ", parse.Errors.Select(e => e.Message)), exitCode = ExitCodes.BadInput }, Cli.Indented));
    return ExitCodes.BadInput;
}

// The commands handle Ctrl+C themselves (run cancels its task and waits for the cancel to be stored).
// Each command reports its own failures (Cli.RunAsync); the default handler would print a stack trace, so it is off.
try
{
    return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false });
}
catch (Exception ex)
{
    return Failures.ReportUnexpected(ex, wantsJson);
}

static IEnumerable<string> CommandPath(ParseResult parse)
{
    var names = new Stack<string>();
    for (var r = parse.CommandResult; r.Parent is System.CommandLine.Parsing.CommandResult parent; r = parent)
        names.Push(r.Command.Name);
    return names;
}
