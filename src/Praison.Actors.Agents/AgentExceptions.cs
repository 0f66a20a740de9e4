namespace Praison.Actors;

/// <summary>No usable model endpoint is configured (no base URL or key, a bad URL); raised at submit, nothing is stored.</summary>
public sealed class AgentConfigurationException : PraisonActorsException
{
    /// <summary>What is missing or wrong, and which setting fixes it.</summary>
    public AgentConfigurationException(string message) : base(message) { }
}

/// <summary>A model endpoint refused or failed a request; the message names the endpoint and the HTTP status.</summary>
public sealed class AgentEndpointException : PraisonActorsException
{
    /// <summary>A failure of <paramref name="endpoint"/> with <paramref name="status"/> (null when no answer came).</summary>
    public AgentEndpointException(string endpoint, int? status, string message, Exception? inner = null)
        : base(message, inner)
    {
        Endpoint = endpoint;
        Status = status;
    }

    /// <summary>The endpoint's address (or a description when it has none).</summary>
    public string Endpoint { get; }

    /// <summary>The HTTP status it answered, or null when it could not be reached or stopped answering.</summary>
    public int? Status { get; }
}
