using System.CommandLine;
using System.Globalization;
using Praison.Actors.Cli.Hosting;
using Praison.Actors.Scheduling;
using Spectre.Console;

namespace Praison.Actors.Cli.Commands;

/// <summary>
/// <c>praison-actors schedule ...</c>: add, list, describe, update, pause, resume, remove, run-now, runs, history, backfill.
/// Schedules are event-sourced in the data directory's store (events in its journal, rows of <c>praison_schedules</c> as
/// their read model); a <c>serve</c> host on that store re-reads them every 2 s and fires them. This process never fires: run-now and backfill are stored as requests the host carries out.
/// </summary>
public static class ScheduleCommands
{
    /// <summary>Builds the <c>schedule</c> command and its subcommands.</summary>
    public static Command Build()
    {
        var schedule = new Command("schedule", """
            Run a recipe on a schedule. Expressions (PraisonAI's): hourly, daily, weekly, */30s, */15m, */6h, a number of
            seconds, cron:EXPR (5 or 6 fields, in --tz), at:ISO-8601 (once), "in 10 minutes" (once). A `serve` host on the
            same data directory fires them; each slot is one task, whose id is derived from the schedule and the slot.
            """);
        schedule.Subcommands.Add(Add());
        schedule.Subcommands.Add(List());
        schedule.Subcommands.Add(Describe());
        schedule.Subcommands.Add(Update());
        schedule.Subcommands.Add(SetPaused("pause", true, "Stop firing a schedule (a run in progress goes on)."));
        schedule.Subcommands.Add(SetPaused("resume", false, "Fire a paused schedule again, from its next slot after now (paused slots are not caught up)."));
        schedule.Subcommands.Add(Remove());
        schedule.Subcommands.Add(RunNow());
        schedule.Subcommands.Add(Runs());
        schedule.Subcommands.Add(History());
        schedule.Subcommands.Add(Backfill());
        return schedule;
    }

    private static Argument<string> NameArgument() => new("name") { Description = "The schedule's name." };

    /// <summary>A command body on the store: schedule problems become exit 2 (bad input) or 6 (no such schedule).</summary>
    private static Task<int> RunAsync(ParseResult parse, CancellationToken ct, Func<Cli, CancellationToken, Task<int>> body) =>
        Cli.RunAsync(parse, ct, async (cli, token) =>
        {
            try
            {
                return await body(cli, token);
            }
            catch (ScheduleNotFoundException ex)
            {
                throw new CliException(ExitCodes.NotFound, ex.Message);
            }
            catch (ScheduleException ex)
            {
                throw new CliException(ExitCodes.BadInput, ex.Message);
            }
        });

    /// <summary>A runtime on the data directory that stores and reads but never runs or fires (the host does).</summary>
    private static async Task<PraisonRuntime> OpenAsync(Cli cli, CancellationToken ct, bool write)
    {
        if (write) DataDirectory.PrepareForWrite(cli.DataDir);
        var catalog = cli.LoadRecipes();
        return await StoreAccess.StartAsync(cli.DataDir, catalog.Registry, executeTasks: false, ct);
    }

    private static Option<T> Choice<T>(string name, string description, T defaultValue, params (string Text, T Value)[] choices)
    {
        var option = new Option<T>(name)
        {
            Description = $"{description} One of: {string.Join(", ", choices.Select(c => c.Text))}.",
            DefaultValueFactory = _ => defaultValue,
        };
        option.CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
            foreach (var (t, v) in choices)
                if (string.Equals(t, text, StringComparison.OrdinalIgnoreCase)) return v;
            result.AddError($"{name} must be one of {string.Join(", ", choices.Select(c => c.Text))}, got '{text}'.");
            return defaultValue;
        };
        return option;
    }

    // ---------------------------------------------------------------- add

    private static Command Add()
    {
        var name = NameArgument();
        var recipe = new Option<string>("--recipe", "-r") { Description = "The recipe each slot runs (see `recipes list`).", Required = true };
        var expression = new Option<string>("--schedule", "-s") { Description = "When: hourly, daily, weekly, */30s, */15m, */6h, N seconds, cron:EXPR, at:ISO-8601, 'in 10 minutes'.", Required = true };
        var tz = new Option<string?>("--tz") { Description = "IANA time zone for cron: and local at: times (default UTC), e.g. Europe/Berlin." };
        var input = new Option<string?>("--input", "-i") { Description = "The input of every run, as JSON." };
        var config = new Option<string?>("--config", "-c") { Description = "The config of every run, as a JSON object." };
        var session = new Option<string?>("--session") { Description = "The session id of every run." };
        var timeout = Cli.SecondsOption("--timeout", "Stop each run after SEC seconds (default: the recipe's).");
        var catchUp = Choice("--catch-up", "Slots missed while no host ran: skip them, run once for all (default), or run all within --catch-up-window.",
            ScheduleCatchUp.Once, ("skip", ScheduleCatchUp.Skip), ("once", ScheduleCatchUp.Once), ("all", ScheduleCatchUp.All));
        var window = Cli.SecondsOption("--catch-up-window", "Never run a slot later than SEC seconds after it (default 86400).");
        var overlap = Choice("--overlap", "A slot due while the previous run is unfinished: skip it (default), buffer one, allow both, or cancel the previous.",
            ScheduleOverlap.Skip, ("skip", ScheduleOverlap.Skip), ("buffer-one", ScheduleOverlap.BufferOne), ("allow", ScheduleOverlap.Allow),
            ("cancel-previous", ScheduleOverlap.CancelPrevious));
        var jitter = Cli.SecondsOption("--jitter", "Fire each slot up to SEC seconds late (a fixed spread per slot).");
        var maxRetries = MaxRetriesOption();
        var once = new Option<bool>("--once") { Description = "Run only the first slot of the expression, then stop." };
        var paused = new Option<bool>("--paused") { Description = "Store the schedule paused." };
        var command = new Command("add", """
            Store a schedule. Nothing is stored when anything is wrong (exit 2): an invalid expression, an unknown time zone
            or recipe, a name in use, a one-shot time in the past.

            Examples:
              praison-actors schedule add nightly -r word-count -s 'cron:0 2 * * *' --tz Europe/Berlin -i '{"path":"README.md"}'
              praison-actors schedule add ping -r hello -s '*/30s' --overlap skip
              praison-actors schedule add reminder -r hello -s 'in 10 minutes'
            """) { name, recipe, expression, tz, input, config, session, timeout, catchUp, window, overlap, jitter, maxRetries, once, paused };
        command.SetAction((parse, ct) => RunAsync(parse, ct, async (cli, token) =>
        {
            var inputJson = Cli.ParseJson(parse.GetValue(input), "-i/--input");
            var configJson = Cli.ParseJson(parse.GetValue(config), "-c/--config", mustBeObject: true);
            var text = parse.GetValue(expression)!;
            if (parse.GetValue(once))
            {
                // The first slot as a one-shot: checked here so a bad expression is reported as such.
                var zone = ScheduleExpression.ResolveZone(parse.GetValue(tz));
                var first = ScheduleExpression.Parse(text, zone, DateTimeOffset.UtcNow).NextAfter(DateTimeOffset.UtcNow)
                            ?? throw new ScheduleException($"'{text}' has no slot after now.");
                text = $"at:{first.UtcDateTime:yyyy-MM-ddTHH:mm:ss.fffZ}";
            }
            var options = new ScheduleOptions
            {
                Input = inputJson,
                Config = configJson is { } c ? c.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone()) : null,
                SessionId = parse.GetValue(session),
                Timeout = parse.GetValue(timeout) is { } t ? TimeSpan.FromSeconds(Math.Ceiling(t)) : null,
                TimeZone = parse.GetValue(tz),
                CatchUp = parse.GetValue(catchUp),
                CatchUpWindow = parse.GetValue(window) is { } w ? TimeSpan.FromSeconds(w) : TimeSpan.FromDays(1),
                Overlap = parse.GetValue(overlap),
                Jitter = parse.GetValue(jitter) is { } j ? TimeSpan.FromSeconds(j) : TimeSpan.Zero,
                Paused = parse.GetValue(paused),
                Retry = Retry(parse.GetValue(maxRetries)),
            };
            await using var runtime = await OpenAsync(cli, token, write: true);
            var handle = await runtime.Runner.Scheduler.ScheduleAsync(parse.GetValue(name)!, parse.GetValue(recipe)!, text, options, token);
            var info = await handle.InfoAsync(token);
            if (cli.Json) cli.WriteJson(info);
            else Console.Out.WriteLine($"{info.Name}: next run {Local(info.NextFireAt)}");
            if (HostLock.FindHost(cli.DataDir) is null)
                Cli.Note($"No host is running on {cli.DataDir}: the schedule fires once `praison-actors serve --data-dir {cli.DataDir}` runs.");
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary><c>--max-retries N</c>: each run is tried up to N more times after a failure (0: never, whatever the recipe says).</summary>
    private static Option<int?> MaxRetriesOption()
    {
        var option = new Option<int?>("--max-retries") { Description = "Retry each failed run up to N times (exponential backoff); 0 never retries. Default: the recipe's runtime.retry." };
        option.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int?>() is < 0 or >= RetryPolicy.MaxAttemptsLimit)
                r.AddError($"--max-retries must be from 0 to {RetryPolicy.MaxAttemptsLimit - 1}.");
        });
        return option;
    }

    private static RetryPolicy? Retry(int? maxRetries) => maxRetries is { } n ? new RetryPolicy { MaxAttempts = n + 1 } : null;

    // ---------------------------------------------------------------- update

    private static Command Update()
    {
        var name = NameArgument();
        var expression = new Option<string?>("--schedule", "-s") { Description = "A new expression (the next run is recomputed from now)." };
        var tz = new Option<string?>("--tz") { Description = "A new IANA time zone (the next run is recomputed from now)." };
        var input = new Option<string?>("--input", "-i") { Description = "A new input for every run, as JSON." };
        var timeout = Cli.SecondsOption("--timeout", "Stop each run after SEC seconds.");
        var maxRetries = MaxRetriesOption();
        var catchUp = Choice<ScheduleCatchUp?>("--catch-up", "A new catch-up policy.", null,
            ("skip", ScheduleCatchUp.Skip), ("once", ScheduleCatchUp.Once), ("all", ScheduleCatchUp.All));
        var window = Cli.SecondsOption("--catch-up-window", "Never run a slot later than SEC seconds after it.");
        var overlap = Choice<ScheduleOverlap?>("--overlap", "A new overlap policy.", null,
            ("skip", ScheduleOverlap.Skip), ("buffer-one", ScheduleOverlap.BufferOne), ("allow", ScheduleOverlap.Allow),
            ("cancel-previous", ScheduleOverlap.CancelPrevious));
        var jitter = Cli.SecondsOption("--jitter", "Fire each slot up to SEC seconds late.");
        var enabled = Choice<bool?>("--enabled", "false pauses the schedule, true resumes it.", null, ("true", true), ("false", false));
        var clear = ClearOption();
        var command = new Command("update", """
            Change a stored schedule; options left out stay as they are, settings named in --clear go back to their
            defaults. Checked like `add`: anything wrong (an invalid expression, an unknown time zone, a one-shot time in
            the past, a setting both given and cleared) exits 2 and changes nothing.

            Examples:
              praison-actors schedule update nightly -s 'cron:30 3 * * *' --tz Europe/Berlin
              praison-actors schedule update ping --max-retries 3 --timeout 60 --overlap buffer-one
              praison-actors schedule update ping --clear timeout,jitter
              praison-actors schedule update ping --enabled false
            """) { name, expression, tz, input, timeout, maxRetries, catchUp, window, overlap, jitter, enabled, clear };
        command.SetAction((parse, ct) => RunAsync(parse, ct, async (cli, token) =>
        {
            var n = parse.GetValue(name)!;
            var inputJson = Cli.ParseJson(parse.GetValue(input), "-i/--input");
            var changes = new ScheduleUpdate
            {
                Expression = parse.GetValue(expression),
                TimeZone = parse.GetValue(tz),
                Input = inputJson,
                Timeout = parse.GetValue(timeout) is { } t ? TimeSpan.FromSeconds(Math.Ceiling(t)) : null,
                Retry = Retry(parse.GetValue(maxRetries)),
                CatchUp = parse.GetValue(catchUp),
                CatchUpWindow = parse.GetValue(window) is { } w ? TimeSpan.FromSeconds(w) : null,
                Overlap = parse.GetValue(overlap),
                Jitter = parse.GetValue(jitter) is { } j ? TimeSpan.FromSeconds(j) : null,
                Enabled = parse.GetValue(enabled),
                Clear = parse.GetValue(clear),
            };
            if (!cli.StoreExists()) throw new ScheduleNotFoundException(n);
            await using var runtime = await OpenAsync(cli, token, write: true);
            var info = await runtime.Runner.Scheduler.GetHandle(n).UpdateAsync(changes, token);
            if (cli.Json) cli.WriteJson(info);
            else Console.Out.WriteLine($"{info.Name}: {State(info)}, next run {Local(info.NextFireAt)}");
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>The settings <c>update --clear</c> sets back to their defaults, by the names of their <c>add</c> options.</summary>
    private static readonly (string Name, ScheduleFields Field)[] Clearable =
        [("timeout", ScheduleFields.Timeout), ("tz", ScheduleFields.TimeZone), ("max-retries", ScheduleFields.Retry), ("input", ScheduleFields.Input), ("jitter", ScheduleFields.Jitter)];

    private static Option<ScheduleFields> ClearOption()
    {
        var names = string.Join(", ", Clearable.Select(c => c.Name));
        var option = new Option<ScheduleFields>("--clear")
        {
            Arity = ArgumentArity.OneOrMore, // --clear a,b or --clear a --clear b
            Description = $"Set these back to their defaults (comma-separated): timeout and max-retries to the recipe's, tz to UTC, input and jitter to none. Any of: {names}.",
        };
        option.CustomParser = result =>
        {
            var fields = ScheduleFields.None;
            var unknown = new List<string>();
            foreach (var token in result.Tokens)
            foreach (var part in token.Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var match = Clearable.FirstOrDefault(c => string.Equals(c.Name, part.TrimStart('-'), StringComparison.OrdinalIgnoreCase));
                if (match.Name is null) unknown.Add(part);
                else fields |= match.Field;
            }
            if (unknown.Count > 0) result.AddError($"--clear: unknown setting(s) {string.Join(", ", unknown.Select(u => $"'{u}'"))}; any of: {names}.");
            else if (fields == ScheduleFields.None) result.AddError($"--clear needs at least one of: {names}.");
            return fields;
        };
        return option;
    }

    // ---------------------------------------------------------------- list, describe

    private static Command List()
    {
        var command = new Command("list", "List the schedules: name, recipe, expression, time zone, next and last run, state.");
        command.SetAction((parse, ct) => RunAsync(parse, ct, async (cli, token) =>
        {
            IReadOnlyList<ScheduleInfo> schedules = [];
            if (cli.StoreExists())
            {
                await using var runtime = await OpenAsync(cli, token, write: false);
                schedules = await runtime.Runner.Scheduler.ListAsync(token);
            }
            if (cli.Json)
            {
                cli.WriteJson(schedules);
                return ExitCodes.Ok;
            }
            if (schedules.Count == 0)
            {
                Cli.Note("No schedules.");
                return ExitCodes.Ok;
            }
            var table = new Table().AddColumns("name", "recipe", "schedule", "tz", "next", "last", "state");
            foreach (var s in schedules)
                table.AddRow(Markup.Escape(s.Name), Markup.Escape(s.Recipe), Markup.Escape(s.Expression), s.TimeZone, Local(s.NextFireAt),
                    Local(s.LastFireAt), State(s));
            AnsiConsole.Write(table);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Describe()
    {
        var name = NameArgument();
        var command = new Command("describe", "Show one schedule and its latest runs.") { name };
        command.SetAction((parse, ct) => RunAsync(parse, ct, async (cli, token) =>
        {
            if (!cli.StoreExists()) throw new ScheduleNotFoundException(parse.GetValue(name)!);
            await using var runtime = await OpenAsync(cli, token, write: false);
            var handle = runtime.Runner.Scheduler.GetHandle(parse.GetValue(name)!);
            var info = await handle.InfoAsync(token);
            var runs = await handle.RunsAsync(5, token);
            var stats = await handle.StatsAsync(token);
            if (cli.Json)
            {
                cli.WriteJson(new { schedule = info, stats, runs = runs.Select(RunJson) });
                return ExitCodes.Ok;
            }
            var grid = new Grid().AddColumn().AddColumn();
            void Row(string k, string? v) { if (v is not null) grid.AddRow(new Text(k, new Style(Color.Grey)), new Text(v)); }
            Row("name", info.Name);
            Row("recipe", info.Recipe);
            Row("schedule", info.Expression);
            Row("time zone", info.TimeZone);
            Row("state", State(info));
            Row("next", Local(info.NextFireAt));
            Row("catch-up", $"{Kebab(info.CatchUp)} (window {info.CatchUpWindow})");
            Row("overlap", Kebab(info.Overlap));
            Row("jitter", info.Jitter > TimeSpan.Zero ? info.Jitter.ToString() : null);
            Row("timeout", info.Timeout?.ToString());
            Row("max attempts", info.MaxAttempts?.ToString(CultureInfo.InvariantCulture));
            Row("session", info.SessionId);
            Row("input", info.InputJson);
            Row("created", Local(info.CreatedAt));
            Row("fired", stats.Fired.ToString(CultureInfo.InvariantCulture));
            Row("skipped", stats.Skipped.ToString(CultureInfo.InvariantCulture));
            Row("runs", string.Create(CultureInfo.InvariantCulture,
                $"{stats.Pending} pending, {stats.Running} running, {stats.Succeeded} succeeded, {stats.Failed} failed, {stats.Cancelled} cancelled"));
            Row("last fired", Local(stats.LastFiredAt));
            Row("last succeeded", Local(stats.LastSucceededAt));
            Row("last failed", Local(stats.LastFailedAt));
            AnsiConsole.Write(grid);
            WriteRuns(runs);
            return ExitCodes.Ok;
        }));
        return command;
    }

    // ---------------------------------------------------------------- pause, resume, remove

    private static Command SetPaused(string verb, bool paused, string description)
    {
        var name = NameArgument();
        var command = new Command(verb, description) { name };
        command.SetAction((parse, ct) => RunAsync(parse, ct, async (cli, token) =>
        {
            if (!cli.StoreExists()) throw new ScheduleNotFoundException(parse.GetValue(name)!);
            await using var runtime = await OpenAsync(cli, token, write: true);
            var handle = runtime.Runner.Scheduler.GetHandle(parse.GetValue(name)!);
            if (paused) await handle.PauseAsync(token);
            else await handle.ResumeAsync(token);
            var info = await handle.InfoAsync(token);
            if (cli.Json) cli.WriteJson(info);
            else Console.Out.WriteLine($"{info.Name}: {State(info)}" + (paused ? "" : $", next run {Local(info.NextFireAt)}"));
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Remove()
    {
        var name = NameArgument();
        var command = new Command("remove", "Delete a schedule (runs already started go on and stay listed).") { name };
        command.SetAction((parse, ct) => RunAsync(parse, ct, async (cli, token) =>
        {
            var n = parse.GetValue(name)!;
            if (!cli.StoreExists()) throw new ScheduleNotFoundException(n);
            await using var runtime = await OpenAsync(cli, token, write: true);
            if (!await runtime.Runner.Scheduler.GetHandle(n).DeleteAsync(token)) throw new ScheduleNotFoundException(n);
            if (cli.Json) cli.WriteJson(new { name = n, removed = true });
            else Console.Out.WriteLine($"{n}: removed");
            return ExitCodes.Ok;
        }));
        return command;
    }

    // ---------------------------------------------------------------- run-now, runs, backfill

    private static Command RunNow()
    {
        var name = NameArgument();
        var command = new Command("run-now", """
            Run the schedule's recipe once now, outside its slots (also when paused). Prints the run's task id; the host
            of the data directory starts it at its next look (within about 2 s), or when `serve` starts.
            """) { name };
        command.SetAction((parse, ct) => RunAsync(parse, ct, async (cli, token) =>
        {
            var n = parse.GetValue(name)!;
            if (!cli.StoreExists()) throw new ScheduleNotFoundException(n);
            await using var runtime = await OpenAsync(cli, token, write: true);
            var id = await runtime.Runner.Scheduler.GetHandle(n).TriggerAsync(token);
            if (cli.Json) cli.WriteJson(new { name = n, taskId = id });
            else Console.Out.WriteLine(id);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Runs()
    {
        var name = NameArgument();
        var limit = new Option<int>("--limit", "-n") { Description = "At most N runs (newest first).", DefaultValueFactory = _ => 20 };
        var command = new Command("runs", "The latest runs of a schedule, newest first, with their task ids and statuses (the tasks that carry its name).") { name, limit };
        command.SetAction((parse, ct) => RunAsync(parse, ct, async (cli, token) =>
        {
            var n = parse.GetValue(name)!;
            if (!cli.StoreExists()) throw new ScheduleNotFoundException(n);
            await using var runtime = await OpenAsync(cli, token, write: false);
            var runs = await runtime.Runner.Scheduler.GetHandle(n).RunsAsync(parse.GetValue(limit), token);
            if (cli.Json) cli.WriteJson(runs.Select(RunJson));
            else WriteRuns(runs);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command History()
    {
        var name = NameArgument();
        var limit = new Option<int>("--limit", "-n") { Description = "At most N changes (newest first).", DefaultValueFactory = _ => 50 };
        var command = new Command("history", """
            The stored changes of a schedule, newest first: created, updated, paused, resumed, each look that fired slots,
            requests, deleted (a removed schedule's history stays readable).
            """) { name, limit };
        command.SetAction((parse, ct) => RunAsync(parse, ct, async (cli, token) =>
        {
            var n = parse.GetValue(name)!;
            if (!cli.StoreExists()) throw new ScheduleNotFoundException(n);
            await using var runtime = await OpenAsync(cli, token, write: false);
            var history = await runtime.Runner.Scheduler.GetHandle(n).HistoryAsync(parse.GetValue(limit), token);
            if (cli.Json)
            {
                cli.WriteJson(history.Select(h => new { sequence = h.Sequence, at = h.At, kind = h.Kind, summary = h.Summary, version = h.Version }));
                return ExitCodes.Ok;
            }
            var table = new Table().AddColumns("#", "at", "kind", "what");
            foreach (var h in history)
                table.AddRow(h.Sequence.ToString(CultureInfo.InvariantCulture), Local(h.At), h.Kind, Markup.Escape(h.Summary));
            AnsiConsole.Write(table);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Backfill()
    {
        var name = NameArgument();
        var from = new Argument<string>("from") { Description = "Start of the range (exclusive), ISO-8601; without an offset it is UTC." };
        var to = new Argument<string>("to") { Description = "End of the range (inclusive), ISO-8601, not in the future." };
        var command = new Command("backfill", """
            Run every slot of the schedule in (FROM, TO], at most 1000; slots that already ran are not run again (same
            task id). The host of the data directory starts them at its next look.

            Example:
              praison-actors schedule backfill nightly 2026-11-01T00:00Z 2026-11-08T00:00Z
            """) { name, from, to };
        command.SetAction((parse, ct) => RunAsync(parse, ct, async (cli, token) =>
        {
            var n = parse.GetValue(name)!;
            var start = Instant(parse.GetValue(from)!, "FROM");
            var end = Instant(parse.GetValue(to)!, "TO");
            if (!cli.StoreExists()) throw new ScheduleNotFoundException(n);
            await using var runtime = await OpenAsync(cli, token, write: true);
            var ids = await runtime.Runner.Scheduler.GetHandle(n).BackfillAsync(start, end, token);
            if (cli.Json) cli.WriteJson(new { name = n, taskIds = ids });
            else foreach (var id in ids) Console.Out.WriteLine(id);
            Cli.Note($"{ids.Count} slot(s) requested.");
            return ExitCodes.Ok;
        }));
        return command;
    }

    // ---------------------------------------------------------------- output

    private static DateTimeOffset Instant(string text, string what) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out var at)
            ? at.ToUniversalTime()
            : throw new CliException(ExitCodes.BadInput, $"{what} must be an ISO-8601 time such as 2026-11-01T00:00Z, got '{text}'.");

    private static void WriteRuns(IReadOnlyList<ScheduleRun> runs)
    {
        if (runs.Count == 0)
        {
            Cli.Note("No runs yet.");
            return;
        }
        var table = new Table().AddColumns("task", "slot", "fired", "reason", "status");
        foreach (var r in runs)
            table.AddRow(r.TaskId, Local(r.SlotAt), Local(r.FiredAt), r.Reason, r.Status?.ToString().ToLowerInvariant() ?? "(cleaned up)");
        AnsiConsole.Write(table);
    }

    private static object RunJson(ScheduleRun r) =>
        new { taskId = r.TaskId, slotAt = r.SlotAt, firedAt = r.FiredAt, reason = r.Reason, status = r.Status?.ToString().ToLowerInvariant() };

    private static string State(ScheduleInfo s) => s.Paused ? "paused" : s.NextFireAt is null ? "done" : "active";

    private static string Local(DateTimeOffset? at) => at is { } a ? a.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture) : "-";

    private static string Kebab<T>(T value) where T : struct, Enum =>
        string.Concat(value.ToString().Select((c, i) => i > 0 && char.IsUpper(c) ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}
