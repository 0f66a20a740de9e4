namespace Praison.Actors.Dashboard;

/// <summary>Settings of the dashboard mapped by <see cref="PraisonDashboardEndpoints.MapPraisonDashboard"/>.</summary>
public sealed class PraisonDashboardOptions
{
    /// <summary>Where the dashboard is served (default <c>/dashboard</c>); its API lives under <c>{Path}/api</c>.</summary>
    public string Path { get; init; } = "/dashboard";

    /// <summary>
    /// The API key a user enters once; the dashboard then keeps proof of it in an HttpOnly cookie. Null or empty: no
    /// key is asked for (fit only for a loopback listener). Give it the same key as the jobs API.
    /// </summary>
    public string? ApiKey { get; init; }

    /// <summary>Shows everything but refuses cancel, delete and run (403), and hides their buttons.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>Tasks per page of the tasks list (at most <see cref="MaxPageSize"/>).</summary>
    public int PageSize { get; init; } = 25;

    /// <summary>The most tasks one page may ask for.</summary>
    public const int MaxPageSize = 200;

    /// <summary>The most running tasks one live-progress stream follows (the visible page's, never all of them).</summary>
    public const int MaxWatchedTasks = 200;

    internal void Validate()
    {
        if (string.IsNullOrEmpty(Path) || Path[0] != '/' || Path.EndsWith('/'))
            throw new ArgumentException($"PraisonDashboardOptions.Path must start with '/' and not end with one, got '{Path}'.", nameof(Path));
        if (PageSize is < 1 or > MaxPageSize)
            throw new ArgumentOutOfRangeException(nameof(PageSize), PageSize, $"PraisonDashboardOptions.PageSize must be from 1 to {MaxPageSize}.");
    }
}
