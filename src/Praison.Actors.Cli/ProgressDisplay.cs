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
        RunView? last = null;
        await FollowAsync(Frames(), title, json);
        return last ?? throw new InvalidOperationException("The task's updates ended before its first state arrived.");

        async IAsyncEnumerable<ProgressFrame> Frames()
        {
            await foreach (var run in updates)
            {
                last = run;
                yield return new ProgressFrame(run.TaskId, run.Status, run.IsTerminal, run.Status == "completed",
                    run.Progress?.Percent, run.Progress?.Fraction, run.Progress?.Message);
            }
        }
    }

    /// <summary>Follows <paramref name="frames"/> (a task's or a remote job's states) to the end.</summary>
    public static async Task FollowAsync(IAsyncEnumerable<ProgressFrame> frames, string title, bool json)
    {
        var live = !json && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
        if (live)
        {
            await AnsiConsole.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                    new ElapsedTimeColumn(), new SpinnerColumn())
                .StartAsync(async ctx =>
                {
                    var bar = ctx.AddTask(Markup.Escape(title), maxValue: 100);
                    await foreach (var run in frames)
                    {
                        bar.Value = run.Done ? 100 : (run.Fraction ?? 0) * 100;
                        bar.Description = Markup.Escape($"{title} [{run.Status}] {Shorten(run.Message, 60)}");
                        if (run.IsTerminal) bar.StopTask();
                    }
                });
        }
        else
        {
            string? status = null;
            (int? Percent, string? Message)? shown = null;
            var shownAt = DateTime.MinValue;
            await foreach (var run in frames)
            {
                // A line per status change, and per progress change that moves a whole percent or comes a
                // quarter second after the last one: readable in a log, never one line per file.
                var progress = run.Percent is { } p &&
                               (p != shown?.Percent || (run.Message != shown?.Message && DateTime.UtcNow - shownAt > TimeSpan.FromMilliseconds(250)));
                if (run.Status != status && !run.IsTerminal) Console.Error.WriteLine($"{run.Id} {run.Status}");
                if (progress)
                {
                    Console.Error.WriteLine($"{run.Id} [{run.Percent,3}%] {run.Message}");
                    shown = (run.Percent, run.Message);
                    shownAt = DateTime.UtcNow;
                }
                if (run.Status != status && run.IsTerminal) Console.Error.WriteLine($"{run.Id} {run.Status}");
                status = run.Status;
            }
        }
    }

    private static string Shorten(string? text, int max) =>
        text is null ? "" : text.Length <= max ? text : "…" + text[^(max - 1)..];
}

/// <summary>One state of a followed task or job, as <see cref="ProgressDisplay"/> shows it.</summary>
/// <param name="Id">The task or job id.</param>
/// <param name="Status">Its status, in its own vocabulary.</param>
/// <param name="IsTerminal">Whether it will not change again.</param>
/// <param name="Done">Whether it succeeded (the bar shows 100%).</param>
/// <param name="Percent">Progress as a whole percent, when known.</param>
/// <param name="Fraction">Progress in [0, 1], when known.</param>
/// <param name="Message">The current step, when known.</param>
public sealed record ProgressFrame(string Id, string Status, bool IsTerminal, bool Done, int? Percent, double? Fraction, string? Message);

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
