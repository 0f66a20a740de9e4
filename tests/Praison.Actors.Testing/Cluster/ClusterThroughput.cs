using System.Diagnostics;

namespace Praison.Actors.TestSupport;

/// <summary>
/// Cluster throughput of no-op recipe tasks: submits through every node's runner in turn, with a bounded number of
/// submissions in flight, and waits for every result (from the node that submitted it, wherever the task ran).
/// Callable from a benchmark harness: hand it the runners of a started cluster and a registered no-op recipe.
/// </summary>
public static class ClusterThroughput
{
    /// <summary>One submitted task: its index in the run, its id, and what waiting on it returned.</summary>
    public sealed record Outcome(int Index, string TaskId, object? Result);

    public sealed record Result(int Nodes, int Tasks, TimeSpan Elapsed, IReadOnlyList<Outcome> Outcomes)
    {
        public double TasksPerSecond => Tasks / Elapsed.TotalSeconds;
        public override string ToString() => $"{Nodes} node(s): {Tasks} tasks in {Elapsed.TotalSeconds:0.00} s = {TasksPerSecond:0} tasks/s";
    }

    /// <param name="input">The recipe input of the task at each index (none when null).</param>
    public static async Task<Result> MeasureAsync(IReadOnlyList<BackgroundRunner> runners, string recipe, int tasks, int inFlight = 64,
        Func<int, object?>? input = null)
    {
        var gate = new SemaphoreSlim(inFlight);
        var sw = Stopwatch.StartNew();
        var all = Enumerable.Range(0, tasks).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                var runner = runners[i % runners.Count];
                var h = await runner.RunBackgroundAsync(recipe, input is null ? null : new RecipeRunOptions { Input = input(i) });
                return new Outcome(i, h.TaskId, await h.WaitAsync(TimeSpan.FromMinutes(2)));
            }
            finally
            {
                gate.Release();
            }
        }).ToList();
        var outcomes = await Task.WhenAll(all);
        return new Result(runners.Count, tasks, sw.Elapsed, outcomes);
    }
}
