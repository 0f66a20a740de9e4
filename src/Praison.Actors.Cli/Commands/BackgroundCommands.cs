using System.CommandLine;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Praison.Actors.Cli.Client;
using Praison.Actors.Cli.Hosting;
using Praison.Actors.Cli.Recipes;
using Praison.Actors.Persistence;
using Praison.Actors.Server;
using Spectre.Console;

namespace Praison.Actors.Cli.Commands;

/// <summary><c>praison-actors background ...</c>: run, submit, list, status, wait, cancel, clear, retry.</summary>
public static class BackgroundCommands
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>Builds the <c>background</c> command and its subcommands.</summary>
    public static Command Build()
    {
        var background = new Command("background", "Run recipes as background tasks and manage them.");
        background.Subcommands.Add(Run());
        background.Subcommands.Add(Submit());
        background.Subcommands.Add(List());
        background.Subcommands.Add(Status());
        background.Subcommands.Add(Wait());
        background.Subcommands.Add(Cancel());
        background.Subcommands.Add(Clear());
        background.Subcommands.Add(RetryCommand.Build()); // RetryCommand.cs
        background.Subcommands.Add(Help());
        return background;
    }

    private static Option<string?> InputOption() => new("--input", "-i")
    {
        Description = "The recipe's input: JSON such as '{\"path\":\".\"}'; other text is taken as {\"input\": TEXT}; @FILE reads a file, - reads stdin.",
    };
    private static Option<string?> ConfigOption() => new("--config", "-c") { Description = "Per-run config, as a JSON object." };
    /// <summary><c>--schedule NAME</c>: only what schedule NAME submitted; a malformed name is a parse error (exit 2).</summary>
    internal static Option<string?> ScheduleOption(string what)
    {
        var option = new Option<string?>("--schedule") { Description = $"Only {what} this schedule submitted." };
        option.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string?>() is { } name && TaskLimits.ScheduleNameProblem(name) is { } problem) r.AddError(problem);
        });
        return option;
    }

    private static Option<string?> SessionOption() => new("--session", "-s", "--session-id") { Description = "A session id that groups tasks." };

    private static Option<double?> TimeoutOption(string description) => Cli.SecondsOption("--timeout", description);

    /// <summary>
    /// A task's timeout is whole seconds (the recipe's <c>timeout_sec</c>, the jobs API's <c>timeout_sec</c>), so a
    /// fraction rounds up, and the note says so: the task never gets less time than asked for.
    /// </summary>
    private static int? TaskTimeout(double? seconds)
    {
        if (seconds is not { } s) return null;
        var whole = (int)Math.Ceiling(s);
        if (whole != s) Cli.Note($"note: a task's timeout is whole seconds; --timeout {s.ToString(System.Globalization.CultureInfo.InvariantCulture)} runs as {whole} s.");
        return whole;
    }

    private static Argument<string> IdArgument() => new("id") { Description = "The task id (from submit, run or list)." };

    // ---------------------------------------------------------------- run

    private static Command Run()
    {
        var recipe = new Argument<string>("recipe") { Description = "The recipe to run (see `recipes list`)." };
        var input = InputOption();
        var config = ConfigOption();
        var session = SessionOption();
        var timeout = TimeoutOption("Stop the task after SEC seconds (default: the recipe's runtime.timeout_sec, else 300). A fraction such as 1.5 rounds up to whole seconds.");
        var root = RecipeHost.RootOption();
        var command = new Command("run", """
            Run a recipe as a background task in this process, with a live progress bar, and print its result.
            Ctrl+C cancels the task and waits until the cancellation is stored. When a `serve` host owns the data
            directory, the task runs there instead and this command follows it.

            Examples:
              praison-actors background run hash-files -i '{"path":"."}'
              praison-actors background run sleep -i '{"seconds":30}' --timeout 5
              praison-actors background run word-count -i '{"path":"README.md"}' --json | jq .result.words
              praison-actors background run ask -i '{"prompt":"Hello"}' --base-url http://localhost:11434/v1 --model llama3.2
            """) { recipe, input, config, session, timeout, root };
        var agentFlags = new AgentEndpointFlags().AddTo(command);
        command.SetAction((parse, ct) => Cli.RunAsync(parse, ct, async (cli, token) =>
        {
            var name = parse.GetValue(recipe)!;
            // Relative paths mean the caller's directory, also when a host elsewhere runs the task.
            var inputJson = BuiltInRecipes.WithAbsolutePaths(name, Cli.ParseInput(parse.GetValue(input), "-i/--input"), Environment.CurrentDirectory);
            var configJson = Cli.ParseJson(parse.GetValue(config), "-c/--config", mustBeObject: true);
            var options = RunOptions(inputJson, configJson, parse.GetValue(session), TaskTimeout(parse.GetValue(timeout)));

            var agentEndpoint = agentFlags.Endpoint(parse); // bad flags: exit 2 before anything else
            using var stop = new StopSignal();
            using var server = await cli.ConnectAsync(token);
            if (server is not null && agentFlags.Given(parse) is { Length: > 0 } given)
                throw new CliException(ExitCodes.BadInput,
                    $"{given} configure agents run in this process, but the serve host at {server.BaseAddress} runs this task on its own endpoint; "
                    + "give them to `serve` instead (or stop it to run here).");
            if (server is not null)
                return await RunThroughServerAsync(cli, server, name, inputJson, configJson, options, stop, token);

            var recipeHost = RecipeHost.For(parse.GetValue(root), cli.DataDir);
            var catalog = RecipeCatalog.Load(cli.RecipesDir, recipeHost, agentEndpoint);
            var chosen = catalog.Get(name);
            WarnAbout(chosen); // an unknown or broken recipe fails here, before anything is stored,
            AgentRecipes.EnsureRunnable(chosen); // and so does an agents recipe without a model endpoint
            CheckInput(name, inputJson, recipeHost.Root);
            using var host = HostLock.TryAcquire(cli.DataDir, "run") ?? throw HostBusy(cli.DataDir);
            await StepProcesses.KillSurvivorsAsync(cli.DataDir, Console.Error, token);
            await using var runtime = await StoreAccess.StartAsync(cli.DataDir, catalog.Registry, executeTasks: true, token, recoverStoredTasks: false);
            var handle = await runtime.Runner.RunBackgroundAsync(name, options, token);
            Cli.Note($"Task {handle.TaskId} submitted: {name} (store: {cli.DataDir})");

            var cancelled = CancelOnSignal(stop, handle.TaskId, () => handle.CancelAsync(CancellationToken.None));
            var last = await ProgressDisplay.FollowAsync(Views(handle.WatchAsync(token)), name, cli.Json);
            await cancelled.Settled(last);
            var final = last.IsTerminal
                ? await PraisonJobsEndpoints.WithResultAsync(runtime.Runner, await handle.StatusAsync(token), token)
                : last;
            return Finish(cli, final);
        }));
        return command;
    }

    /// <summary>The keys of the recipe's TEMPLATE.yaml that were ignored, each with its line, on stderr.</summary>
    private static void WarnAbout(IRecipe recipe)
    {
        foreach (var w in recipe.Template.Warnings) Cli.Note($"warning: {w}");
    }

    private static void CheckInput(string recipe, JsonElement? input, string root)
    {
        try
        {
            BuiltInRecipes.CheckInput(recipe, input, root);
        }
        catch (ArgumentException ex)
        {
            throw new CliException(ExitCodes.BadInput, ex.Message);
        }
    }

    private static async Task<int> RunThroughServerAsync(Cli cli, JobsClient server, string name, JsonElement? input, JsonElement? config,
        RecipeRunOptions options, StopSignal stop, CancellationToken ct)
    {
        var run = await server.SubmitAsync(name, input, config, options.SessionId, options.TimeoutSec, ct);
        Cli.Note($"Task {run.TaskId} submitted to {server.BaseAddress}: {name}");
        var cancelled = CancelOnSignal(stop, run.TaskId, async () =>
        {
            try { await server.CancelAsync(run.TaskId, CancellationToken.None); return true; }
            catch (JobsApiException) { return false; } // it finished first
        });
        var last = await ProgressDisplay.FollowAsync(Poll(server, run.TaskId, ct), name, cli.Json);
        await cancelled.Settled(last);
        return Finish(cli, last.IsTerminal ? await server.ResultAsync(run.TaskId, ct) : last);
    }

    private static RecipeRunOptions RunOptions(JsonElement? input, JsonElement? config, string? session, int? timeout) => new()
    {
        Input = input,
        Config = config?.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value),
        SessionId = session,
        TimeoutSec = timeout,
    };

    /// <summary>On the first Ctrl+C: ask for the cancel and report when it is stored.</summary>
    private static CancelRequest CancelOnSignal(StopSignal stop, string taskId, Func<Task<bool>> cancel)
    {
        var request = new CancelRequest();
        _ = stop.Requested.ContinueWith(async _ =>
        {
            Cli.Note($"Cancelling task {taskId} (Ctrl+C again to quit without waiting)...");
            request.Started.TrySetResult(await cancel());
        }, TaskScheduler.Default).Unwrap();
        return request;
    }

    private sealed class CancelRequest
    {
        public TaskCompletionSource<bool> Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>When a cancel was asked for, waits for its answer: the cancellation is stored by then.</summary>
        public async Task Settled(RunView last)
        {
            if (!Started.Task.IsCompleted && last.Status != "cancelled") return;
            if (await Started.Task) Cli.Note($"Task {last.TaskId} cancelled; the cancellation is stored.");
        }
    }

    private static int Finish(Cli cli, RunView run)
    {
        var code = ExitCodes.For(run);
        if (cli.Json)
        {
            cli.WriteJson(run);
            return code;
        }
        switch (run.Status)
        {
            case "completed":
                var took = run.FinishedAt - run.StartedAt;
                Cli.Note($"Task {run.TaskId} completed" + (took is { } t ? $" in {t.TotalSeconds:0.0} s." : "."));
                if (run.Result is { } result) ResultSummary.Write(result, cli.Json);
                break;
            case "cancelled":
                Cli.Note($"Task {run.TaskId} was cancelled.");
                break;
            case "failed":
                Cli.Note($"Task {run.TaskId} {(run.TimedOut ? "timed out" : "failed")}: {run.Error?.Message}");
                break;
            default:
                Cli.Note($"Task {run.TaskId} is still {run.Status}.");
                break;
        }
        return code;
    }

    private static async IAsyncEnumerable<RunView> Views(IAsyncEnumerable<TaskUpdate> updates)
    {
        await foreach (var u in updates) yield return RunView.From(u.Task);
    }

    private static async IAsyncEnumerable<RunView> Poll(JobsClient server, string id, [EnumeratorCancellation] CancellationToken ct)
    {
        while (true)
        {
            var run = await server.GetAsync(id, ct);
            yield return run;
            if (run.IsTerminal) yield break;
            await Task.Delay(PollInterval, ct);
        }
    }

    private static CliException HostBusy(string dataDir)
    {
        var host = HostLock.FindHost(dataDir);
        return new CliException(ExitCodes.Unavailable,
            $"Another process ({(host is null ? "unknown" : $"pid {host.Pid}, `{host.Command}`")}) is hosting the tasks in {dataDir} " +
            "and has no jobs API. Wait for it to finish, use another --data-dir, or start `praison-actors serve` and submit there.");
    }

    // ---------------------------------------------------------------- submit

    private static Command Submit()
    {
        var recipe = new Option<string>("--recipe", "-r") { Description = "The recipe to run (see `recipes list`).", Required = true };
        var input = InputOption();
        var config = ConfigOption();
        var session = SessionOption();
        var timeout = TimeoutOption("Stop the task after SEC seconds once it runs (default: the recipe's, else 300). A fraction such as 1.5 rounds up to whole seconds.");
        var command = new Command("submit", """
            Store a task and print its id. A `serve` host runs it: through its jobs API when one is running
            (--server, $PRAISON_SERVER, or the host of the data directory), else the task stays pending in the store
            until `praison-actors serve` starts on that data directory.

            Examples:
              praison-actors background submit --recipe sleep -i '{"seconds":20}' -s demo
              id=$(praison-actors background submit -r hello --json | jq -r .taskId)
            """) { recipe, input, config, session, timeout };
        command.SetAction((parse, ct) => Cli.RunAsync(parse, ct, async (cli, token) =>
        {
            var name = parse.GetValue(recipe)!;
            var inputJson = BuiltInRecipes.WithAbsolutePaths(name, Cli.ParseInput(parse.GetValue(input), "-i/--input"), Environment.CurrentDirectory);
            var configJson = Cli.ParseJson(parse.GetValue(config), "-c/--config", mustBeObject: true);
            var options = RunOptions(inputJson, configJson, parse.GetValue(session), TaskTimeout(parse.GetValue(timeout)));

            using var server = await cli.ConnectAsync(token);
            RunView run;
            if (server is not null)
            {
                run = await server.SubmitAsync(name, inputJson, configJson, options.SessionId, options.TimeoutSec, token);
                Cli.Note($"Submitted to {server.BaseAddress}.");
            }
            else
            {
                var catalog = cli.LoadRecipes();
                WarnAbout(catalog.Get(name));
                DataDirectory.PrepareForWrite(cli.DataDir);
                await using var runtime = await StoreAccess.StartAsync(cli.DataDir, catalog.Registry, executeTasks: false, token);
                var handle = await runtime.Runner.RunBackgroundAsync(name, options, token);
                run = RunView.From(await handle.StatusAsync(token));
                Cli.Note(HostLock.FindHost(cli.DataDir) is { } host
                    ? $"The host of {cli.DataDir} (pid {host.Pid}, `{host.Command}`) has no jobs API and does not take new tasks: the task stays pending until `praison-actors serve` runs there."
                    : $"No host is running on {cli.DataDir}: the task stays pending until `praison-actors serve --data-dir {cli.DataDir}` starts.");
            }
            if (cli.Json) cli.WriteJson(run);
            else Console.Out.WriteLine(run.TaskId);
            return ExitCodes.Ok;
        }));
        return command;
    }

    // ---------------------------------------------------------------- list, status

    private static Command List()
    {
        var status = new Option<string?>("--status") { Description = "Only tasks in this status: pending, running, completed, failed, cancelled." };
        status.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string?>() is { } s && !Enum.TryParse<BackgroundTaskStatus>(s, true, out _))
                r.AddError($"Unknown --status '{s}'. Expected one of: pending, running, completed, failed, cancelled.");
        });
        var session = new Option<string?>("--session", "--session-id") { Description = "Only tasks of this session." };
        var schedule = ScheduleOption("tasks");
        var page = new Option<int?>("--page") { Description = "Only this page of tasks, from 1 (page size: --page-size, default 20)." };
        page.Validators.Add(r => { if (r.GetValueOrDefault<int?>() is < 1) r.AddError("--page must be 1 or more."); });
        var pageSize = new Option<int?>("--page-size") { Description = "Tasks per page, 1 to 100 (with --page, default 20; alone, page 1)." };
        pageSize.Validators.Add(r => { if (r.GetValueOrDefault<int?>() is < 1 or > 100) r.AddError("--page-size must be from 1 to 100."); });
        var command = new Command("list", """
            List tasks, oldest first, from the running host or straight from the store: all of them, or one page
            with --page / --page-size (stderr then says which page of how many).

            Examples:
              praison-actors background list
              praison-actors background list --status running --session demo --json | jq -r '.[].taskId'
              praison-actors background list --page 2 --page-size 50
              praison-actors background list --schedule nightly --status failed
            """) { status, session, schedule, page, pageSize };
        command.SetAction((parse, ct) => Cli.RunAsync(parse, ct, async (cli, token) =>
        {
            var wanted = parse.GetValue(status) is { } s ? BackgroundTaskStatusExtensions.ParseStatus(s) : (BackgroundTaskStatus?)null;
            var sessionId = parse.GetValue(session);
            var scheduleName = parse.GetValue(schedule);
            var query = new TaskQuery(wanted, sessionId) { ScheduleName = scheduleName };
            using var server = await cli.ConnectAsync(token);
            if (server is null && !cli.StoreExists())
            {
                // Not a silent "No tasks.": a mistyped --data-dir is told apart from an empty store.
                Cli.Note($"No tasks: {cli.NoStore}.");
                if (cli.Json) cli.WriteJson(Array.Empty<RunView>());
                return ExitCodes.Ok;
            }
            IReadOnlyList<RunView> runs;
            if (parse.GetValue(page) is null && parse.GetValue(pageSize) is null)
            {
                runs = server is not null
                    ? await server.ListAsync(wanted?.ToWireName(), sessionId, token, scheduleName)
                    : (await StoreAccess.ListAsync(cli.DataDir, query, token)).Select(RunView.From).ToList();
            }
            else
            {
                var (number, size) = (parse.GetValue(page) ?? 1, parse.GetValue(pageSize) ?? 20);
                long total;
                if (server is not null)
                {
                    var listed = await server.ListPageAsync(wanted?.ToWireName(), sessionId, number, size, token, scheduleName);
                    (runs, total) = (listed.Jobs, listed.Total);
                }
                else
                {
                    var stored = await StoreAccess.PageAsync(cli.DataDir, query, (number - 1) * size, size, token);
                    (runs, total) = (stored.Tasks.Select(RunView.From).ToList(), stored.Total);
                }
                Cli.Note($"Page {number} of {Math.Max(1, (total + size - 1) / size)}: {runs.Count} of {total} task(s).");
            }
            if (cli.Json)
            {
                cli.WriteJson(runs);
                return ExitCodes.Ok;
            }
            if (runs.Count == 0)
            {
                Cli.Note("No tasks.");
                return ExitCodes.Ok;
            }
            var table = new Table().AddColumns("ID", "RECIPE", "STATUS", "PROGRESS", "SESSION", "SUBMITTED");
            foreach (var r in runs)
                table.AddRow(r.TaskId, Markup.Escape(r.Recipe ?? r.Name), r.Status,
                    Markup.Escape(r.Progress is { } p ? $"{p.Percent}% {p.Message}" : ""),
                    Markup.Escape(r.SessionId ?? ""), r.SubmittedAt.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss"));
            AnsiConsole.Write(table);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Status()
    {
        var id = IdArgument();
        var command = new Command("status", """
            Show one task: status, progress, times, error, and its result once completed.
            Works from any shell, also while another process runs the task.

            Examples:
              praison-actors background status 0197a1c2...
              praison-actors background status 0197a1c2... --json | jq -r .status
            """) { id };
        command.SetAction((parse, ct) => Cli.RunAsync(parse, ct, async (cli, token) =>
        {
            var taskId = parse.GetValue(id)!;
            using var server = await cli.ConnectAsync(token);
            RunView run;
            if (server is not null)
            {
                run = await server.GetAsync(taskId, token);
                if (run.IsTerminal) run = await server.ResultAsync(taskId, token);
            }
            else
            {
                RequireStore(cli, taskId);
                run = Cli.View(await StoreAccess.ReadTaskAsync(cli.DataDir, taskId, token) ?? throw new TaskNotFoundException(taskId));
            }
            cli.WriteRun(run);
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>A task needs a store: none there is "no such task" (exit 6) with the reason; a bad one is exit 8.</summary>
    private static void RequireStore(Cli cli, string taskId)
    {
        if (!cli.StoreExists())
            throw new CliException(ExitCodes.NotFound, $"No task with id '{taskId}': {cli.NoStore}.");
    }

    // ---------------------------------------------------------------- wait

    private static Command Wait()
    {
        var id = IdArgument();
        var timeout = TimeoutOption("Give up after SEC seconds, fractions allowed (e.g. 1.5; exit code 5); the task keeps running.");
        var command = new Command("wait", """
            Wait until a task finishes and print its result; the exit code tells how it ended.

            Examples:
              praison-actors background wait 0197a1c2... --timeout 60
              praison-actors background wait "$id" --json | jq .result
            """) { id, timeout };
        command.SetAction((parse, ct) => Cli.RunAsync(parse, ct, async (cli, token) =>
        {
            var taskId = parse.GetValue(id)!;
            var limit = parse.GetValue(timeout) is { } sec ? TimeSpan.FromSeconds(sec) : (TimeSpan?)null;
            using var server = await cli.ConnectAsync(token);
            RunView? final;
            if (server is not null)
            {
                final = await server.WaitAsync(taskId, limit, null, token);
                final ??= await server.GetAsync(taskId, token);
            }
            else
            {
                RequireStore(cli, taskId);
                final = await WaitInStoreAsync(cli, taskId, limit, token);
            }
            if (!final.IsTerminal)
            {
                Cli.Note($"Task {taskId} is still {final.Status} after {limit?.TotalSeconds} s; it keeps going.");
                if (cli.Json) cli.WriteJson(final);
                return ExitCodes.StillRunning;
            }
            return Finish(cli, final);
        }));
        return command;
    }

    /// <summary>Polls the store (the task runs in another process) until the task is terminal or the limit passes.</summary>
    private static async Task<RunView> WaitInStoreAsync(Cli cli, string taskId, TimeSpan? limit, CancellationToken ct)
    {
        var deadline = limit is { } l ? DateTime.UtcNow + l : DateTime.MaxValue;
        var noted = false;
        while (true)
        {
            var task = await StoreAccess.ReadTaskAsync(cli.DataDir, taskId, ct) ?? throw new TaskNotFoundException(taskId);
            if (task.Info.IsTerminal || DateTime.UtcNow >= deadline) return Cli.View(task);
            if (!noted && HostLock.FindHost(cli.DataDir) is null)
            {
                Cli.Note($"No host is running on {cli.DataDir}; task {taskId} is {task.Info.Status.ToWireName()} and waits for `praison-actors serve`.");
                noted = true;
            }
            await Task.Delay(PollInterval, ct);
        }
    }

    // ---------------------------------------------------------------- cancel

    private static Command Cancel()
    {
        var id = IdArgument();
        var command = new Command("cancel", """
            Cancel a task: a running one through its host's jobs API, a pending one directly in the store.
            Answers once the cancellation is stored.

            Examples:
              praison-actors background cancel 0197a1c2...
              praison-actors background cancel "$id" --server http://127.0.0.1:8005 --json
            """) { id };
        command.SetAction((parse, ct) => Cli.RunAsync(parse, ct, async (cli, token) =>
        {
            var taskId = parse.GetValue(id)!;
            using var server = await cli.ConnectAsync(token);
            RunView run;
            if (server is not null)
            {
                run = await server.CancelAsync(taskId, token);
            }
            else
            {
                RequireStore(cli, taskId);
                var stored = await StoreAccess.ReadTaskAsync(cli.DataDir, taskId, token) ?? throw new TaskNotFoundException(taskId);
                if (stored.Info.IsTerminal)
                    throw new CliException(ExitCodes.AlreadyFinished, $"Task {taskId} has already finished; its status is {stored.Info.Status.ToWireName()}.");
                if (stored.Info.Status == BackgroundTaskStatus.Running)
                    throw new CliException(ExitCodes.Unavailable, HostLock.FindHost(cli.DataDir) is { } host
                        ? $"Task {taskId} is running in pid {host.Pid} (`{host.Command}`), which has no jobs API: press Ctrl+C there, or run tasks under `praison-actors serve` to cancel them from here."
                        : $"Task {taskId} is marked running but no host is alive on {cli.DataDir}; the next host start will settle it.");
                await using var runtime = await StoreAccess.StartAsync(cli.DataDir, cli.LoadRecipes().Registry, executeTasks: false, token);
                if (!await runtime.Runner.CancelAsync(taskId, token))
                    throw new CliException(ExitCodes.AlreadyFinished, $"Task {taskId} finished before it could be cancelled.");
                run = RunView.From(await runtime.Runner.GetStatusAsync(taskId, token));
            }
            if (cli.Json) cli.WriteJson(run);
            else Console.Out.WriteLine($"Task {run.TaskId} {run.Status}.");
            return ExitCodes.Ok;
        }));
        return command;
    }

    // ---------------------------------------------------------------- clear

    private static Command Clear()
    {
        var all = new Option<bool>("--all") { Description = "Also cancel and remove pending and running tasks." };
        var olderThan = Cli.SecondsOption("--older-than", "Only tasks submitted more than SEC seconds ago.");
        var command = new Command("clear", """
            Remove finished tasks (completed, failed, cancelled) and their stored events. With --all, cancel and
            remove every task. With --older-than SEC, only tasks submitted more than SEC seconds ago.

            Examples:
              praison-actors background clear
              praison-actors background clear --older-than 86400
              praison-actors background clear --all --json
            """) { all, olderThan };
        command.SetAction((parse, ct) => Cli.RunAsync(parse, ct, async (cli, token) =>
        {
            var everything = parse.GetValue(all);
            var before = parse.GetValue(olderThan) is { } age ? DateTimeOffset.UtcNow - TimeSpan.FromSeconds(age) : (DateTimeOffset?)null;
            using var server = await cli.ConnectAsync(token);
            var removed = server is not null
                ? await ClearThroughServerAsync(server, everything, before, token)
                : await ClearInStoreAsync(cli, everything, before, token);
            if (cli.Json) cli.WriteJson(new { removed });
            else Console.Out.WriteLine($"Removed {removed} task(s).");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static async Task<int> ClearThroughServerAsync(JobsClient server, bool everything, DateTimeOffset? before, CancellationToken ct)
    {
        var runs = (await server.ListAsync(null, null, ct)).Where(r => before is null || r.SubmittedAt < before);
        var removed = 0;
        foreach (var run in runs)
        {
            var current = run;
            if (!current.IsTerminal)
            {
                if (!everything) continue;
                try { await server.CancelAsync(current.TaskId, ct); }
                catch (JobsApiException) { /* it finished meanwhile */ }
                current = await server.WaitAsync(current.TaskId, TimeSpan.FromSeconds(30), null, ct) ?? current;
            }
            await server.DeleteAsync(current.TaskId, ct);
            removed++;
        }
        return removed;
    }

    private static async Task<int> ClearInStoreAsync(Cli cli, bool everything, DateTimeOffset? before, CancellationToken ct)
    {
        // Holding the host lock keeps a host from starting (and recovering these tasks) while they are removed.
        using var host = HostLock.TryAcquire(cli.DataDir, "clear") ?? throw HostBusy(cli.DataDir);
        var targets = (await StoreAccess.ReadTaskIdsAsync(cli.DataDir, everything, ct, before)).ToHashSet();
        if (targets.Count == 0) return 0;
        await using var runtime = await StoreAccess.StartAsync(cli.DataDir, cli.LoadRecipes().Registry, executeTasks: false, ct);
        // Each removal answers once the task's events are deleted.
        await Task.WhenAll(targets.Select(id => runtime.Runner.RemoveAsync(id, cancelIfActive: everything, ct)));
        return targets.Count;
    }

    // ---------------------------------------------------------------- help

    /// <summary><c>background help</c>, as praisonai has it: the same text as <c>background --help</c>.</summary>
    private static Command Help()
    {
        var command = new Command("help", "Show this help (the same as `background --help`).");
        command.SetAction(parse => parse.RootCommandResult.Command.Parse(["background", "--help"]).Invoke());
        return command;
    }
}
