using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using StandardWebhooks;
using StandardWebhooks.Diagnostics;

namespace Praison.Actors.Server.Tests;

/// <summary>
/// A webhook receiver on a real Kestrel at 127.0.0.1:0: verifies each request's signature with the StandardWebhooks
/// package (the reference implementation, not our code), answers 500 to the first <see cref="FailFirst"/> requests (or
/// to all while <see cref="FailAll"/>), 200 otherwise, and hands every request to the test through a channel.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    /// <summary>A secret in Standard Webhooks form (whsec_ + base64 of 24 bytes).</summary>
    public const string Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    private readonly WebApplication _app;
    private readonly Channel<Received> _received = Channel.CreateUnbounded<Received>();
    private int _count;

    private WebhookReceiver(WebApplication app) => _app = app;

    public int FailFirst { get; set; }
    public volatile bool FailAll;

    public string Url => _app.Urls.First() + "/hook";

    public sealed record Received(int Number, string Body, string? Id, string? Timestamp, string? Signature, bool Verified, string? VerifyError, int AnsweredWith)
    {
        public System.Text.Json.JsonElement Json => System.Text.Json.JsonDocument.Parse(Body).RootElement;
    }

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        var verifier = new StandardWebhook(Secret);
        app.MapPost("/hook", async (HttpContext http) =>
        {
            using var reader = new StreamReader(http.Request.Body);
            var body = await reader.ReadToEndAsync();
            bool verified;
            string? error = null;
            try
            {
                verifier.Verify(body, http.Request.Headers);
                verified = true;
            }
            catch (WebhookVerificationException ex)
            {
                verified = false;
                error = ex.Message;
            }
            var n = Interlocked.Increment(ref receiver._count);
            var status = receiver.FailAll || n <= receiver.FailFirst ? 500 : 200;
            receiver._received.Writer.TryWrite(new Received(n, body, http.Request.Headers["webhook-id"], http.Request.Headers["webhook-timestamp"],
                http.Request.Headers["webhook-signature"], verified, error, status));
            return Results.StatusCode(status);
        });
        await app.StartAsync();
        return receiver;
    }

    /// <summary>The next request, or a failure naming what was awaited after <paramref name="within"/>.</summary>
    public async Task<Received> NextAsync(TimeSpan? within = null)
    {
        using var cts = new CancellationTokenSource(within ?? TimeSpan.FromSeconds(30));
        try
        {
            return await _received.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"No webhook arrived within {(within ?? TimeSpan.FromSeconds(30)).TotalSeconds} s.");
        }
    }

    /// <summary>Requests received and not yet taken.</summary>
    public int Pending => _received.Reader.Count;

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
