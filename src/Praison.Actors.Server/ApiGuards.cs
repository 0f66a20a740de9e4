using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Primitives;

namespace Praison.Actors.Server;

/// <summary>
/// The jobs API's settings as the guards use them, resolved once: the key's bytes, the allowed origins and hosts.
/// </summary>
internal sealed class JobsSecurity
{
    private readonly byte[]? _key;
    private readonly HashSet<string> _origins;
    private readonly List<(string Host, int? Port)> _hosts;

    public JobsSecurity(PraisonJobsOptions options, Func<string, string?>? environment = null)
    {
        var key = options.EffectiveApiKey(environment);
        _key = key is null ? null : Encoding.UTF8.GetBytes(key);
        _origins = options.CorsOrigins.Select(o => o.TrimEnd('/')).ToHashSet(StringComparer.OrdinalIgnoreCase);
        _hosts = options.AllowedHosts.Select(h => HostString.FromUriComponent(h.Trim())).Select(h => (h.Host, h.Port)).ToList();
    }

    public bool RequiresKey => _key is not null;

    /// <summary>
    /// True when the request carries the key (<c>Authorization: Bearer</c> or <c>X-API-Key</c>). Both sides are
    /// hashed first so the comparison takes the same time whatever the length or content of the guess.
    /// </summary>
    public bool Authorized(HttpRequest request)
    {
        if (_key is null) return true;
        string? given = null;
        if (request.Headers.Authorization is { Count: > 0 } auth && auth.ToString() is { } value
            && value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            given = value["Bearer ".Length..].Trim();
        else if (request.Headers.TryGetValue("X-API-Key", out var header) && header.Count > 0)
            given = header.ToString();
        if (given is null) return false;
        var expected = SHA256.HashData(_key);
        var actual = SHA256.HashData(Encoding.UTF8.GetBytes(given));
        return CryptographicOperations.FixedTimeEquals(expected, actual);
    }

    public bool OriginAllowed(string origin) => _origins.Contains(origin.TrimEnd('/'));

    public bool CorsEnabled => _origins.Count > 0;

    public bool HostAllowed(HostString host)
    {
        if (_hosts.Count == 0) return true;
        if (!host.HasValue) return false;
        return _hosts.Any(h => string.Equals(h.Host, host.Host, StringComparison.OrdinalIgnoreCase) && (h.Port is null || h.Port == host.Port));
    }
}

/// <summary>
/// Endpoint filters in front of every jobs API route: CORS headers (only for configured origins), the <c>Host</c>
/// check, and the API key (not for <c>/health</c>).
/// </summary>
internal static class ApiGuards
{
    private const string AllowedMethods = "GET, POST, DELETE, OPTIONS";
    private const string AllowedHeaders = "Authorization, X-API-Key, Content-Type, Idempotency-Key, Last-Event-ID";

    public static async ValueTask<object?> CorsAndHostAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var security = http.RequestServices.GetRequiredService<JobsSecurity>();
        if (!security.HostAllowed(http.Request.Host))
            return ApiErrors.Result(StatusCodes.Status400BadRequest,
                $"The Host header '{Clip(http.Request.Host.Value ?? "")}' is not a name this server answers to; use the address it is bound to (or add the name to PraisonJobsOptions.AllowedHosts / serve --allowed-host).");
        AddCorsHeaders(http, security);
        return await next(context);
    }

    public static async ValueTask<object?> RequireKeyAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var security = http.RequestServices.GetRequiredService<JobsSecurity>();
        if (security.Authorized(http.Request)) return await next(context);
        http.Response.Headers.WWWAuthenticate = "Bearer";
        return Results.Json(new
        {
            error = "Unauthorized",
            detail = "This server needs its API key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>' (the key the server was given in PRAISON_JOBS_API_KEY).",
        }, statusCode: StatusCodes.Status401Unauthorized);
    }

    /// <summary>The answer to a CORS preflight: 204 with the allowed methods and headers for a configured origin, else a plain 204.</summary>
    public static IResult Preflight(HttpContext http)
    {
        var security = http.RequestServices.GetRequiredService<JobsSecurity>();
        if (AddCorsHeaders(http, security))
        {
            http.Response.Headers.AccessControlAllowMethods = AllowedMethods;
            http.Response.Headers.AccessControlAllowHeaders = AllowedHeaders;
            http.Response.Headers.AccessControlMaxAge = "600";
        }
        return Results.NoContent();
    }

    private static bool AddCorsHeaders(HttpContext http, JobsSecurity security)
    {
        if (!security.CorsEnabled) return false;
        http.Response.Headers.Vary = StringValues.Concat(http.Response.Headers.Vary, "Origin");
        var origin = http.Request.Headers.Origin.ToString();
        if (string.IsNullOrEmpty(origin) || !security.OriginAllowed(origin)) return false;
        http.Response.Headers.AccessControlAllowOrigin = origin;
        http.Response.Headers.AccessControlExposeHeaders = "Location, Retry-After";
        return true;
    }

    private static string Clip(string s) => s.Length <= 64 ? s : s[..64] + "…";
}
