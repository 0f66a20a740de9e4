namespace Praison.Actors.Server;

/// <summary>Settings of the jobs API.</summary>
public sealed class PraisonJobsOptions
{
    /// <summary>
    /// How often a run's event stream sends an SSE comment line (<c>: keep-alive</c>), so proxies and load
    /// balancers do not close the stream of a long run that reports nothing for a while. Clients ignore comments.
    /// </summary>
    public TimeSpan StreamHeartbeat { get; init; } = TimeSpan.FromSeconds(15);

    internal void Validate()
    {
        if (StreamHeartbeat <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(StreamHeartbeat), StreamHeartbeat, "StreamHeartbeat must be positive.");
    }
}
