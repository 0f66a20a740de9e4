using System.CommandLine;
using System.CommandLine.Invocation;
using System.Text.Json;
using Praison.Actors.Cli;
using Praison.Actors.Cli.Commands;

var root = new RootCommand($$"""
    praison-actors: run recipes as background tasks with live progress, on a durable store (SQLite), and
    follow, wait for or cancel them from any shell.

    Examples:
      praison-actors background run hash-files -i '{"path":"."}'
      praison-actors background submit --recipe sleep -i '{"seconds":30}' --json | jq -r .taskId
      praison-actors background list --status running
      praison-actors serve --urls http://127.0.0.1:8005

    {{ExitCodes.Help}}
    """)
{
    Cli.DataDirOption,
    Cli.RecipesOption,
    Cli.ServerOption,
    Cli.JsonOption,
};
root.Subcommands.Add(BackgroundCommands.Build());
root.Subcommands.Add(RecipeCommands.Build());
root.Subcommands.Add(ServeCommand.Build());

var parse = root.Parse(args);
if (parse.Action is ParseErrorAction)
{
    // Bad usage is bad input: exit code 2, every problem named, and JSON too when asked for.
    foreach (var error in parse.Errors) Console.Error.WriteLine($"error: {error.Message}");
    Console.Error.WriteLine($"See '{string.Join(' ', parse.CommandResult.Command.Name == root.Name ? ["praison-actors"] : ["praison-actors", .. CommandPath(parse)])} --help'.");
    if (parse.GetValue(Cli.JsonOption))
        Console.Out.WriteLine(JsonSerializer.Serialize(new { error = string.Join(" ", parse.Errors.Select(e => e.Message)), exitCode = ExitCodes.BadInput }));
    return ExitCodes.BadInput;
}

// The commands handle Ctrl+C themselves (run cancels its task and waits for the cancel to be stored).
return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });

static IEnumerable<string> CommandPath(ParseResult parse)
{
    var names = new Stack<string>();
    for (var r = parse.CommandResult; r.Parent is System.CommandLine.Parsing.CommandResult parent; r = parent)
        names.Push(r.Command.Name);
    return names;
}
