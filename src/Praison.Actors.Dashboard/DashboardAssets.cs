using Microsoft.AspNetCore.Http;

namespace Praison.Actors.Dashboard;

/// <summary>The page, script and stylesheet, embedded in this assembly (no CDN, no build step).</summary>
internal static class DashboardAssets
{
    private static readonly Dictionary<string, (string ContentType, byte[] Bytes)> Files = Load();

    // Scripts and styles only from the dashboard itself; nothing inline, nothing from elsewhere.
    private const string Csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'";

    private static Dictionary<string, (string, byte[])> Load()
    {
        var assembly = typeof(DashboardAssets).Assembly;
        const string prefix = "Praison.Actors.Dashboard.Assets.";
        var files = new Dictionary<string, (string, byte[])>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            var file = name[prefix.Length..];
            var type = Path.GetExtension(file) switch
            {
                ".js" => "text/javascript; charset=utf-8",
                ".css" => "text/css; charset=utf-8",
                ".html" => "text/html; charset=utf-8",
                ".svg" => "image/svg+xml",
                _ => "application/octet-stream",
            };
            files[file] = (type, memory.ToArray());
        }
        return files;
    }

    public static IResult Page() => new AssetResult(Files["index.html"]);

    public static IResult Asset(string file) =>
        file != "index.html" && Files.TryGetValue(file, out var asset)
            ? new AssetResult(asset)
            : Results.Json(new DashboardError($"No dashboard asset named '{file}'."), DashboardJson.Options, statusCode: 404);

    private sealed class AssetResult((string ContentType, byte[] Bytes) asset) : IResult
    {
        public Task ExecuteAsync(HttpContext http)
        {
            http.Response.ContentType = asset.ContentType;
            http.Response.Headers.ContentSecurityPolicy = Csp;
            http.Response.Headers.XContentTypeOptions = "nosniff";
            http.Response.Headers.CacheControl = "no-cache";
            return http.Response.Body.WriteAsync(asset.Bytes).AsTask();
        }
    }
}
