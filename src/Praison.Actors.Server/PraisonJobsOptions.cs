namespace Praison.Actors.Server;

/// <summary>Settings of the jobs API.</summary>
public sealed class PraisonJobsOptions
{
    /// <summary>1 MiB (the runner's default <see cref="BackgroundRunnerOptions.MaxPayloadBytes"/> for the input) plus 64 KiB for the rest of the body.</summary>
    public const long DefaultMaxRequestBodyBytes = 1024 * 1024 + 64 * 1024;

    /// <summary>
    /// How often a run's event stream sends an SSE comment line (<c>: keep-alive</c>), so proxies and load
    /// balancers do not close the stream of a long run that reports nothing for a while. Clients ignore comments.
    /// </summary>
    public TimeSpan StreamHeartbeat { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// The largest request body <c>POST /api/v1/runs</c> reads, in bytes; a bigger one is answered 413 naming this
    /// limit, without reading it past the limit. The input and config inside are each held to the runner's
    /// <see cref="BackgroundRunnerOptions.MaxPayloadBytes"/> as well.
    /// </summary>
    public long MaxRequestBodyBytes { get; init; } = DefaultMaxRequestBodyBytes;

    internal void Validate()
    {
        if (StreamHeartbeat <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(StreamHeartbeat), StreamHeartbeat, "StreamHeartbeat must be positive.");
        if (MaxRequestBodyBytes <= 0)
            throw new ArgumentOutOfRangeException(nameof(MaxRequestBodyBytes), MaxRequestBodyBytes, "MaxRequestBodyBytes must be positive.");
    }
}
