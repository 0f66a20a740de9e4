using System.CommandLine;
using System.Net;
using Praison.Actors.Cli.Client;
using Praison.Actors.Cli.Hosting;
using Praison.Actors.Server;

namespace Praison.Actors.Cli.Commands;

/// <summary>
/// <c>praison-actors background retry ID</c>: runs a failed (timed-out) or cancelled recipe task again as a new task
/// (same recipe, input, config, session, timeout and retry policy; a new id), through a serving host's jobs API, or
/// straight into the store when none serves it (the task then waits for <c>serve</c>). The old task stays as it was.
/// </summary>
public static class RetryCommand
{
    /// <summary>Builds the <c>retry</c> subcommand.</summary>
    public static Command Build()
    {
        var id = new Argument<string>("id") { Description = "The id of a failed or cancelled task (from list --status failed)." };
        var command = new Command("retry", """
            Run a failed (or timed-out, or cancelled) task again, as a new task with the same recipe, input, config,
            session, timeout and retry policy. Prints the new task; the old one keeps its errors.

            Examples:
              praison-actors background list --status failed
              praison-actors background retry 0197a1c2...
              praison-actors background retry "$id" --json | jq -r .taskId
            """) { id };
        command.SetAction((parse, ct) => Cli.RunAsync(parse, ct, async (cli, token) =>
        {
            var taskId = parse.GetValue(id)!;
            using var server = await cli.ConnectAsync(token);
            RunView run;
            try
            {
                if (server is not null) run = await server.RetryAsync(taskId, token);
                else
                {
                    if (!cli.StoreExists()) throw new CliException(ExitCodes.NotFound, $"No task with id '{taskId}': {cli.NoStore}.");
                    DataDirectory.PrepareForWrite(cli.DataDir);
                    await using var runtime = await StoreAccess.StartAsync(cli.DataDir, cli.LoadRecipes().Registry, executeTasks: false, token);
                    var handle = await runtime.Runner.RetryAsync(taskId, token);
                    run = RunView.From(await handle.StatusAsync(token));
                }
            }
            catch (Exception ex) when (ex is InvalidOperationException or JobsApiException { Status: HttpStatusCode.Conflict })
            {
                throw new CliException(ExitCodes.BadInput, ex.Message); // not failed or cancelled, or a delegate
            }
            if (cli.Json) cli.WriteJson(run);
            else Console.Out.WriteLine($"Task {taskId} retried as task {run.TaskId} ({run.Status}).");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
