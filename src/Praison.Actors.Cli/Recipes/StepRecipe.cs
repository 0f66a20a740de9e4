using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Praison.Actors.Cli.Recipes;

/// <summary>
/// A folder recipe whose TEMPLATE.yaml declares <c>steps:</c>. Each step runs one command with its arguments
/// (no shell), in order, with progress per step. A step that exits non-zero fails the run. Cancel, the run's
/// timeout or the step's own timeout kills the step's whole process tree. Each step's output (stdout and
/// stderr, interleaved) is captured into the result, keeping the last <see cref="MaxOutputChars"/> characters.
/// <c>{{input.NAME}}</c> in args, working_dir and env values is replaced by that input property. The working
/// directory and path arguments stay inside the recipe folder unless a step says <c>allow_outside: true</c>, and
/// each step's process tree dies with the host (see <see cref="StepProcesses"/>).
/// </summary>
public sealed partial class StepRecipe(RecipeTemplate template, string folder, IReadOnlyList<StepDefinition> steps, string? dataDir = null) : IRecipe
{
    /// <summary>The most output kept per step, in characters (the tail is kept: errors come last).</summary>
    public const int MaxOutputChars = 64 * 1024;

    /// <summary>The recipe's TEMPLATE.yaml.</summary>
    public RecipeTemplate Template { get; } = template;
    /// <summary>The recipe's folder: steps run there unless they name a <c>working_dir</c>.</summary>
    public string Folder { get; } = folder;
    /// <summary>The steps, run in order.</summary>
    public IReadOnlyList<StepDefinition> Steps { get; } = steps;

    /// <summary>Runs the steps in order, reporting progress as each starts.</summary>
    public async Task<object?> RunAsync(RecipeContext context)
    {
        // Every step's paths are checked before the first one runs, so a refused step changes nothing.
        foreach (var step in Steps) Prepare(step, context);
        var results = new List<StepResult>();
        for (var i = 0; i < Steps.Count; i++)
        {
            var step = Steps[i];
            context.ReportProgress((double)i / Steps.Count, $"step {i + 1}/{Steps.Count}: {step.Name}");
            using var span = PraisonTelemetry.StartStep(step.Name, i + 1, Steps.Count);
            StepResult result;
            try
            {
                result = await RunStepAsync(step, context);
            }
            catch (Exception ex)
            {
                PraisonTelemetry.MarkFailed(span, ex);
                throw;
            }
            span?.SetTag("process.exit.code", result.ExitCode);
            results.Add(result);
            if (result.ExitCode != 0)
            {
                var failed = new InvalidOperationException(
                    $"Step '{step.Name}' ({step.Command}) exited with code {result.ExitCode}. Last output:\n{Tail(result.Output, 2000)}");
                PraisonTelemetry.MarkFailed(span, failed);
                throw failed;
            }
        }
        context.ReportProgress(1, $"{Steps.Count} steps done");
        return new { recipe = Template.Name, outputLimitChars = MaxOutputChars, steps = results };
    }

    /// <summary>
    /// The step's working directory and arguments with placeholders filled in. Unless the step says
    /// <c>allow_outside: true</c>, the working directory and every argument that names a path (absolute, with a
    /// <c>..</c> segment, or an existing entry such as a symlink; also the value of <c>--opt=value</c>) must resolve
    /// inside the recipe folder.
    /// </summary>
    private (string WorkingDir, List<string> Args) Prepare(StepDefinition step, RecipeContext context)
    {
        var workingDir = Path.GetFullPath(Expand(step.WorkingDir ?? ".", context), Folder);
        var args = step.Args.Select(a => Expand(a, context)).ToList();
        if (step.AllowOutside) return (workingDir, args);

        const string hint = " (a step that needs to may say allow_outside: true)";
        var what = $"Step '{step.Name}': working_dir";
        workingDir = PathGuard.ResolveInside(workingDir, Folder, Folder, what, hint);
        foreach (var arg in args)
        {
            var value = arg.StartsWith('-') && arg.IndexOf('=') is > 0 and var eq ? arg[(eq + 1)..] : arg;
            if (NamesPath(value, workingDir))
                PathGuard.ResolveInside(value, workingDir, Folder, $"Step '{step.Name}': argument", hint);
        }
        return (workingDir, args);
    }

    private static bool NamesPath(string value, string workingDir)
    {
        if (value.Length == 0 || value.Contains('\0')) return false;
        if (Path.IsPathRooted(value) || value.Split('/').Contains("..")) return true;
        var full = Path.Combine(workingDir, value);
        return Path.Exists(full) || new FileInfo(full).LinkTarget is not null;
    }

    private async Task<StepResult> RunStepAsync(StepDefinition step, RecipeContext context)
    {
        var (workingDir, args) = Prepare(step, context);
        if (!Directory.Exists(workingDir))
            throw new InvalidOperationException($"Step '{step.Name}': working_dir '{workingDir}' does not exist.");

        var psi = new ProcessStartInfo
        {
            WorkingDirectory = workingDir,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var (k, v) in step.Env) psi.Environment[k] = Expand(v, context);
        var executable = StepProcesses.Resolve(step.Command, workingDir, psi.Environment.TryGetValue("PATH", out var path) ? path : null)
            ?? throw new InvalidOperationException($"Step '{step.Name}': cannot start '{step.Command}': no such executable file (relative to {workingDir}, or on PATH).");
        var contained = StepProcesses.Configure(psi, executable, args);

        var output = new OutputBuffer(MaxOutputChars);
        using var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.AppendLine(e.Data); };

        var started = Stopwatch.StartNew();
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException($"Step '{step.Name}': cannot start '{step.Command}': {ex.Message}", ex);
        }
        // A contained step keeps stdin open: it is the lifeline whose end tells the step's group that the host died.
        if (!contained) process.StandardInput.Close();
        IDisposable? record;
        try
        {
            record = StepProcesses.Record(dataDir, context.TaskId, process, step.Name);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Unrecorded, a step could outlive a crash unnoticed: it does not run at all.
            StepProcesses.Kill(process, contained);
            await process.WaitForExitAsync(CancellationToken.None);
            throw new InvalidOperationException($"Step '{step.Name}': cannot record its process in {dataDir}: {ex.Message}", ex);
        }
        using var _ = record;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var stepTimeout = step.TimeoutSec is { } sec ? new CancellationTokenSource(TimeSpan.FromSeconds(sec)) : new CancellationTokenSource();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, stepTimeout.Token);
        // Killing inside the callback means the tree is gone by the time the cancel is acknowledged.
        await using (stop.Token.Register(() => StepProcesses.Kill(process, contained)))
        {
            try
            {
                await process.WaitForExitAsync(stop.Token);
            }
            catch (OperationCanceledException)
            {
                StepProcesses.Kill(process, contained);
                await process.WaitForExitAsync(CancellationToken.None);
                context.CancellationToken.ThrowIfCancellationRequested();
                throw new TimeoutException(
                    $"Step '{step.Name}' ({step.Command}) ran past its timeout_sec of {step.TimeoutSec} s; its process tree was killed.");
            }
        }
        // WaitForExitAsync returns once the output streams are drained too.
        return new StepResult(step.Name, step.Command, args, workingDir, process.ExitCode,
            (long)started.Elapsed.TotalMilliseconds, output.Text, output.Truncated);
    }

    private static string Expand(string text, RecipeContext context) =>
        Placeholder().Replace(text, m =>
        {
            var name = m.Groups[1].Value;
            return context.Input.ValueKind == JsonValueKind.Object && context.Input.TryGetProperty(name, out var v)
                ? v.ValueKind == JsonValueKind.String ? v.GetString()! : v.GetRawText()
                : throw new ArgumentException($"The recipe uses {{{{input.{name}}}}} but the input has no '{name}' property.");
        });

    private static string Tail(string text, int chars) => text.Length <= chars ? text : "…" + text[^chars..];

    [GeneratedRegex(@"\{\{\s*input\.([A-Za-z0-9_\-]+)\s*\}\}")]
    private static partial Regex Placeholder();

    /// <summary>One step's outcome in the run's result.</summary>
    public sealed record StepResult(string Name, string Command, IReadOnlyList<string> Args, string WorkingDir, int ExitCode,
        long DurationMs, string Output, bool OutputTruncated);

    /// <summary>Keeps the last <c>max</c> characters of what is appended; thread-safe (stdout and stderr arrive on two threads).</summary>
    private sealed class OutputBuffer(int max)
    {
        private readonly StringBuilder _text = new();
        private readonly Lock _lock = new();

        public bool Truncated { get; private set; }

        public void AppendLine(string line)
        {
            lock (_lock)
            {
                _text.Append(line).Append('\n');
                if (_text.Length <= max) return;
                _text.Remove(0, _text.Length - max);
                Truncated = true;
            }
        }

        public string Text
        {
            get { lock (_lock) return _text.ToString(); }
        }
    }
}
