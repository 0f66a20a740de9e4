using System.Runtime.InteropServices;
using Praison.Actors.Server;
using Spectre.Console;

namespace Praison.Actors.Cli;

/// <summary>
/// Shows a task's updates: a live Spectre.Console progress bar with the step message on a terminal, plain lines
/// on stderr otherwise (redirected output or <c>--json</c>), one per status change or whole percent.
/// </summary>
public static class ProgressDisplay
{
    /// <summary>Follows <paramref name="updates"/> to the end and returns the last one.</summary>
    public static async Task<RunView> FollowAsync(IAsyncEnumerable<RunView> updates, string title, bool json)
    {
        var live = !json && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
        RunView? last = null;
        if (live)
        {
            await AnsiConsole.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                    new ElapsedTimeColumn(), new SpinnerColumn())
                .StartAsync(async ctx =>
                {
                    var bar = ctx.AddTask(Markup.Escape(title), maxValue: 100);
                    await foreach (var run in updates)
                    {
                        last = run;
                        bar.Value = run.Status == "completed" ? 100 : (run.Progress?.Fraction ?? 0) * 100;
                        bar.Description = Markup.Escape($"{title} [{run.Status}] {Shorten(run.Progress?.Message, 60)}");
                        if (run.IsTerminal) bar.StopTask();
                    }
                });
        }
        else
        {
            string? status = null;
            ProgressView? shown = null;
            var shownAt = DateTime.MinValue;
            await foreach (var run in updates)
            {
                last = run;
                // A line per status change, and per progress change that moves a whole percent or comes a
                // quarter second after the last one: readable in a log, never one line per file.
                var progress = run.Progress is { } p &&
                               (p.Percent != shown?.Percent || (p.Message != shown.Message && DateTime.UtcNow - shownAt > TimeSpan.FromMilliseconds(250)));
                if (run.Status != status && !run.IsTerminal) Console.Error.WriteLine($"{run.TaskId} {run.Status}");
                if (progress)
                {
                    Console.Error.WriteLine($"{run.TaskId} [{run.Progress!.Percent,3}%] {run.Progress.Message}");
                    shown = run.Progress;
                    shownAt = DateTime.UtcNow;
                }
                if (run.Status != status && run.IsTerminal) Console.Error.WriteLine($"{run.TaskId} {run.Status}");
                status = run.Status;
            }
        }
        return last ?? throw new InvalidOperationException("The task's updates ended before its first state arrived.");
    }

    private static string Shorten(string? text, int max) =>
        text is null ? "" : text.Length <= max ? text : "…" + text[^(max - 1)..];
}

/// <summary>
/// The first Ctrl+C (SIGINT) or SIGTERM completes <see cref="Requested"/> instead of ending the process, so the
/// command can cancel its task and wait until the cancel is stored. A second Ctrl+C ends the process at once.
/// </summary>
public sealed class StopSignal : IDisposable
{
    private readonly TaskCompletionSource _requested = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly PosixSignalRegistration _term;

    /// <summary>Starts listening for Ctrl+C and SIGTERM.</summary>
    public StopSignal()
    {
        Console.CancelKeyPress += OnCancelKeyPress;
        _term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx =>
        {
            ctx.Cancel = _requested.TrySetResult();
        });
    }

    /// <summary>Completes on the first Ctrl+C or SIGTERM.</summary>
    public Task Requested => _requested.Task;

    private void OnCancelKeyPress(object? sender, ConsoleCancelEventArgs e) => e.Cancel = _requested.TrySetResult();

    /// <summary>Stops listening; later signals get the default behaviour.</summary>
    public void Dispose()
    {
        Console.CancelKeyPress -= OnCancelKeyPress;
        _term.Dispose();
    }
}
