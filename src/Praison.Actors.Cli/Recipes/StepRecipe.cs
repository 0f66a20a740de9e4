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
/// <c>{{input.NAME}}</c> in args, working_dir and env values is replaced by that input property.
/// </summary>
public sealed partial class StepRecipe(RecipeTemplate template, string folder, IReadOnlyList<StepDefinition> steps) : IRecipe
{
    /// <summary>The most output kept per step, in characters (the tail is kept: errors come last).</summary>
    public const int MaxOutputChars = 64 * 1024;

    public RecipeTemplate Template { get; } = template;
    public string Folder { get; } = folder;
    public IReadOnlyList<StepDefinition> Steps { get; } = steps;

    public async Task<object?> RunAsync(RecipeContext context)
    {
        var results = new List<StepResult>();
        for (var i = 0; i < Steps.Count; i++)
        {
            var step = Steps[i];
            context.ReportProgress((double)i / Steps.Count, $"step {i + 1}/{Steps.Count}: {step.Name}");
            var result = await RunStepAsync(step, context);
            results.Add(result);
            if (result.ExitCode != 0)
                throw new InvalidOperationException(
                    $"Step '{step.Name}' ({step.Command}) exited with code {result.ExitCode}. Last output:\n{Tail(result.Output, 2000)}");
        }
        context.ReportProgress(1, $"{Steps.Count} steps done");
        return new { recipe = Template.Name, outputLimitChars = MaxOutputChars, steps = results };
    }

    private async Task<StepResult> RunStepAsync(StepDefinition step, RecipeContext context)
    {
        var workingDir = Path.GetFullPath(Expand(step.WorkingDir ?? ".", context), Folder);
        if (!Directory.Exists(workingDir))
            throw new InvalidOperationException($"Step '{step.Name}': working_dir '{workingDir}' does not exist.");

        var psi = new ProcessStartInfo(step.Command)
        {
            WorkingDirectory = workingDir,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var arg in step.Args) psi.ArgumentList.Add(Expand(arg, context));
        foreach (var (k, v) in step.Env) psi.Environment[k] = Expand(v, context);

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
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var stepTimeout = step.TimeoutSec is { } sec ? new CancellationTokenSource(TimeSpan.FromSeconds(sec)) : new CancellationTokenSource();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, stepTimeout.Token);
        // Killing inside the callback means the tree is gone by the time the cancel is acknowledged.
        await using (stop.Token.Register(() => KillTree(process)))
        {
            try
            {
                await process.WaitForExitAsync(stop.Token);
            }
            catch (OperationCanceledException)
            {
                KillTree(process);
                await process.WaitForExitAsync(CancellationToken.None);
                context.CancellationToken.ThrowIfCancellationRequested();
                throw new TimeoutException(
                    $"Step '{step.Name}' ({step.Command}) ran past its timeout_sec of {step.TimeoutSec} s; its process tree was killed.");
            }
        }
        // WaitForExitAsync returns once the output streams are drained too.
        return new StepResult(step.Name, step.Command, psi.ArgumentList.ToList(), workingDir, process.ExitCode,
            (long)started.Elapsed.TotalMilliseconds, output.Text, output.Truncated);
    }

    private static void KillTree(Process process)
    {
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It exited in between.
        }
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
