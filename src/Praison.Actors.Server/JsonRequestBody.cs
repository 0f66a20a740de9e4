using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace Praison.Actors.Server;

/// <summary>
/// Reads a JSON request body, or says exactly why not: 415 for a body that is not declared JSON in UTF-8, 413 past
/// the byte limit (before reading it when Content-Length says so), 400 for an empty body, bytes that are not UTF-8,
/// text that is not JSON, or a string that does not decode (a lone surrogate escape such as <c>"\ud800"</c>).
/// Everything is checked here, up front, so no later read of a string can throw.
/// </summary>
internal static class JsonRequestBody
{
    private const int ChunkBytes = 16 * 1024;

    /// <summary>The parsed body (the caller disposes it), or the error to answer.</summary>
    public readonly record struct Outcome(JsonDocument? Document, IResult? Problem);

    public static async Task<Outcome> ReadAsync(HttpRequest request, long maxBytes, CancellationToken ct)
    {
        if (ContentTypeProblem(request.ContentType) is { } wrongType)
            return Fail(StatusCodes.Status415UnsupportedMediaType, wrongType);

        var limitMessage = $"over the limit of {maxBytes} bytes (PraisonJobsOptions.MaxRequestBodyBytes).";
        if (request.ContentLength is { } declared && declared > maxBytes)
            return Fail(StatusCodes.Status413PayloadTooLarge, $"The request body is {declared} bytes, {limitMessage}");
        // The server stops reading past the limit too, rather than draining a huge body after the answer.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            size.MaxRequestBodySize = maxBytes + 1;

        var tooLarge = Fail(StatusCodes.Status413PayloadTooLarge, $"The request body is more than {maxBytes} bytes, {limitMessage}");
        var body = new ArrayBufferWriter<byte>(ChunkBytes);
        try
        {
            while (true)
            {
                var read = await request.Body.ReadAsync(body.GetMemory(ChunkBytes), ct);
                if (read == 0) break;
                body.Advance(read);
                if (body.WrittenCount > maxBytes) return tooLarge;
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return tooLarge; // The server's own limit (set above) stopped the read first.
        }

        var bytes = body.WrittenMemory;
        if (bytes.Span.StartsWith(Encoding.UTF8.Preamble)) bytes = bytes[Encoding.UTF8.Preamble.Length..];
        if (bytes.Span.Trim(" \t\r\n"u8).IsEmpty)
            return Fail(StatusCodes.Status400BadRequest, """The request body is empty: send a JSON object such as {"recipe": "hello"}.""");
        if (Utf8Problem(bytes.Span) is { } notUtf8)
            return Fail(StatusCodes.Status400BadRequest, notUtf8);

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes);
        }
        catch (JsonException ex)
        {
            return Fail(StatusCodes.Status400BadRequest, $"The request body is not valid JSON: {ex.Message}");
        }
        if (StringProblem(document.RootElement, "$") is { } badString)
        {
            document.Dispose();
            return Fail(StatusCodes.Status400BadRequest, badString);
        }
        return new Outcome(document, null);
    }

    private static Outcome Fail(int status, string message) => new(null, ApiErrors.Result(status, message));

    /// <summary>application/json or any <c>+json</c> type, in UTF-8 (no charset means UTF-8, as RFC 8259 says).</summary>
    private static string? ContentTypeProblem(string? contentType)
    {
        const string expected = "send Content-Type: application/json";
        if (string.IsNullOrEmpty(contentType))
            return $"The request body must be JSON: {expected} (the request had no Content-Type).";
        if (!MediaTypeHeaderValue.TryParse(contentType, out var media))
            return $"The request body must be JSON: {expected}, got an unreadable Content-Type.";
        var type = media.MediaType.Value ?? "";
        if (!type.Equals("application/json", StringComparison.OrdinalIgnoreCase) && !type.EndsWith("+json", StringComparison.OrdinalIgnoreCase))
            return $"The request body must be JSON: {expected}, got '{Clip(type)}'.";
        if (media.Charset.HasValue && !media.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase)
            && !media.Charset.Equals("utf8", StringComparison.OrdinalIgnoreCase))
            return $"The request body must be JSON in UTF-8: {expected} (or with charset=utf-8), got charset '{Clip(media.Charset.Value ?? "")}'.";
        return null;
    }

    private static string? Utf8Problem(ReadOnlySpan<byte> bytes)
    {
        if (Utf8.IsValid(bytes)) return null;
        // Find the first bad byte to name it: decode into a scratch buffer until the decoder stops.
        var scratch = ArrayPool<char>.Shared.Rent(ChunkBytes);
        try
        {
            var offset = 0;
            while (offset < bytes.Length)
            {
                var status = Utf8.ToUtf16(bytes[offset..], scratch, out var read, out _, replaceInvalidSequences: false);
                offset += read;
                if (status == System.Buffers.OperationStatus.InvalidData) break;
            }
            var at = Math.Min(offset, bytes.Length - 1);
            return $"The request body is not valid UTF-8: byte 0x{bytes[at]:X2} at offset {at} does not start or continue a character.";
        }
        finally
        {
            ArrayPool<char>.Shared.Return(scratch);
        }
    }

    /// <summary>The first string (property name or value) that does not decode to valid UTF-16, with its JSON path.</summary>
    private static string? StringProblem(JsonElement element, string path)
    {
        try
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.String:
                    _ = element.GetString();
                    return null;
                case JsonValueKind.Array:
                    var i = 0;
                    foreach (var item in element.EnumerateArray())
                        if (StringProblem(item, $"{path}[{i++}]") is { } inItem) return inItem;
                    return null;
                case JsonValueKind.Object:
                    foreach (var property in element.EnumerateObject())
                    {
                        string name;
                        try
                        {
                            name = property.Name;
                        }
                        catch (InvalidOperationException ex)
                        {
                            return $"The request body has a property name in {path} that is not valid Unicode: {ex.Message}";
                        }
                        if (StringProblem(property.Value, $"{path}.{Clip(name)}") is { } inValue) return inValue;
                    }
                    return null;
                default:
                    return null;
            }
        }
        catch (InvalidOperationException ex)
        {
            return $"The request body has a string at {path} that is not valid Unicode: {ex.Message}";
        }
    }

    private static string Clip(string s) => s.Length <= 64 ? s : s[..64] + "…";
}
