using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Praison.Actors.Dashboard;

/// <summary>
/// The key entered once becomes an HttpOnly, SameSite=Strict cookie holding an HMAC of the key (never the key itself),
/// so the browser's script cannot read it and another site cannot send it. State-changing calls also need the
/// <see cref="ActionHeader"/>, which a cross-site form cannot add.
/// </summary>
internal sealed class DashboardAuth(PraisonDashboardOptions options)
{
    public const string CookieName = "praison_dashboard";
    public const string ActionHeader = "X-Praison-Dashboard";

    private readonly byte[]? _proof = string.IsNullOrEmpty(options.ApiKey) ? null : Proof(options.ApiKey);

    public bool Required => _proof is not null;

    public bool KeyMatches(string? key) =>
        _proof is null || (!string.IsNullOrEmpty(key) && CryptographicOperations.FixedTimeEquals(Proof(key), _proof));

    /// <summary>
    /// Without a key the dashboard answers only loopback clients: off loopback nothing is served without authentication.
    /// </summary>
    public bool AllowedWithoutKey(HttpContext http) =>
        _proof is not null || http.Connection.RemoteIpAddress is not { } ip || System.Net.IPAddress.IsLoopback(ip);

    public bool IsSignedIn(HttpContext http)
    {
        if (_proof is null) return AllowedWithoutKey(http);
        if (!http.Request.Cookies.TryGetValue(CookieName, out var cookie) || string.IsNullOrEmpty(cookie)) return false;
        byte[] given;
        try { given = Convert.FromBase64String(cookie); }
        catch (FormatException) { return false; }
        return CryptographicOperations.FixedTimeEquals(given, _proof);
    }

    public void SignIn(HttpContext http) =>
        http.Response.Cookies.Append(CookieName, _proof is null ? "" : Convert.ToBase64String(_proof), new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = http.Request.IsHttps,
            Path = options.Path,
            IsEssential = true,
        });

    public void SignOut(HttpContext http) => http.Response.Cookies.Delete(CookieName, new CookieOptions { Path = options.Path });

    private static byte[] Proof(string key) =>
        HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), "praison-actors-dashboard"u8);
}
