using System.Net;
using System.Net.Sockets;

namespace Praison.Actors.Webhooks;

/// <summary>
/// The SSRF guard (PraisonAI refuses webhook URLs to loopback and private addresses): a webhook URL must be absolute
/// http(s), and unless private networks are allowed every address its host resolves to must be public. Checked at
/// submission and again when a delivery connects (the name may resolve differently by then).
/// </summary>
internal static class WebhookUrlGuard
{
    /// <summary>The URL, checked; an <see cref="ArgumentException"/> naming it and the reason otherwise.</summary>
    public static Uri Check(string url, bool allowPrivate, string what = "webhook URL")
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            throw Refuse($"The {what} '{url}' is not an absolute http or https URL.");
        if (!string.IsNullOrEmpty(uri.UserInfo))
            throw Refuse($"The {what} '{url}' must not carry credentials.");
        if (allowPrivate) return uri;
        IPAddress[] addresses;
        if (IPAddress.TryParse(uri.IdnHost, out var literal)) addresses = [literal];
        else if (uri.IdnHost.Equals("localhost", StringComparison.OrdinalIgnoreCase) || uri.IdnHost.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
            addresses = [IPAddress.Loopback];
        else
        {
            try
            {
                addresses = Dns.GetHostAddresses(uri.IdnHost);
            }
            catch (SocketException ex)
            {
                throw Refuse($"The {what} '{url}' cannot be checked: its host does not resolve ({ex.Message}).");
            }
        }
        if (addresses.FirstOrDefault(a => !IsPublic(a)) is { } bad)
            throw Refuse(
                $"The {what} '{url}' resolves to {bad}, a loopback, private or otherwise non-public address; webhooks to such " +
                "addresses are refused (SSRF guard) unless WebhookOptions.AllowPrivateNetworks is set (serve: --webhook-allow-private).");
        return uri;
    }

    /// <summary>The parameter name of every refusal, so a surface can tell a refused webhook URL from other bad input.</summary>
    public const string ParamName = "WebhookUrl";

    private static ArgumentException Refuse(string message) => new(message, ParamName);

    /// <summary>False for loopback, private, link-local, shared (CGNAT), unspecified, multicast and reserved addresses.</summary>
    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (IPAddress.IsLoopback(address)) return false;
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return !(b[0] == 0 || b[0] == 10 || b[0] == 127 || b[0] >= 224
                     || (b[0] == 100 && b[1] >= 64 && b[1] <= 127)
                     || (b[0] == 169 && b[1] == 254)
                     || (b[0] == 172 && b[1] >= 16 && b[1] <= 31)
                     || (b[0] == 192 && b[1] == 168)
                     || (b[0] == 192 && b[1] == 0 && b[2] == 0)
                     || (b[0] == 198 && (b[1] == 18 || b[1] == 19)));
        }
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            if (address.Equals(IPAddress.IPv6None) || address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast)
                return false;
            var b = address.GetAddressBytes();
            return (b[0] & 0xfe) != 0xfc; // fc00::/7, unique local
        }
        return false;
    }
}
