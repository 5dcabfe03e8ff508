using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;
using HealthFlow.Pipeline.Ingestion;
using HealthFlow.Pipeline.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace HealthFlow.Pipeline.Http;

/// <summary>Limits of the ingestion endpoints.</summary>
public sealed class IngestionOptions
{
    /// <summary>Largest accepted body (default 64 MiB); larger ones get 413.</summary>
    public long MaxBodyBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>A body that takes longer than this to arrive gets 408 (slow-loris protection).</summary>
    public TimeSpan BodyTimeout { get; set; } = TimeSpan.FromSeconds(60);
}

/// <summary>
/// The HTTP face of <see cref="IngestionService"/>, shared by the local runtime and the Functions app: each
/// method takes the request and returns the answer, so both hosts behave identically.
/// </summary>
public sealed class IngestionEndpoints(IngestionService ingestion, VendorDirectory vendors, IngestionOptions options)
{
    private static readonly Dictionary<PayloadFormat, string[]> AcceptedTypes = new()
    {
        [PayloadFormat.X12] = ["application/edi-x12", "text/plain"],
        [PayloadFormat.Fhir] = ["application/fhir+json", "application/json"],
        [PayloadFormat.Hl7v2] = ["x-application/hl7-v2+er7", "application/hl7-v2", "text/plain"],
    };

    /// <summary>POST /api/{format}: authenticate, check limits, store durably, process, answer with the receipt.</summary>
    public async Task<IResult> PostAsync(HttpRequest request, PayloadFormat format)
    {
        if (Authenticate(request) is not { } vendor)
            return ApiProblems.Unauthorized();
        var accepted = AcceptedTypes[format];
        if (!IsAccepted(request.ContentType, accepted))
            return ApiProblems.UnsupportedMediaType(request.ContentType, accepted);
        if (request.ContentLength > options.MaxBodyBytes)
            return ApiProblems.PayloadTooLarge(options.MaxBodyBytes);

        var body = await ReadBodyAsync(request);
        if (body.Problem is { } problem)
            return problem;
        if (body.Bytes.Length == 0)
            return ApiProblems.EmptyBody();

        var result = await ingestion.IngestAsync(vendor, format, body.Bytes, request.HttpContext.RequestAborted);
        return Answer(result.Receipt, result.Duplicate);
    }

    /// <summary>
    /// The answer for a stored payload. Accepted: 202 with the receipt (200 for a re-send). Rejected with the
    /// format's standard acknowledgement: X12 and HL7 v2 answer 202/200 with the receipt carrying the 999/TA1 or
    /// ACK that says so (the transport worked, the content did not); FHIR answers 422 with the OperationOutcome.
    /// Rejected with no standard answer (the body is not of the format at all): 400 problem+json naming the receipt.
    /// </summary>
    public static IResult Answer(Receipt receipt, bool duplicate)
    {
        if (receipt.Status == ReceiptStatus.Rejected && receipt.Acknowledgement is null)
        {
            return ApiProblems.Problem(StatusCodes.Status400BadRequest, "unreadable-payload", "Unreadable payload",
                string.Join("; ", receipt.Reasons), new Dictionary<string, object?> { ["receiptId"] = receipt.ReceiptId });
        }
        if (receipt.Status == ReceiptStatus.Rejected && receipt.Format == PayloadFormat.Fhir)
            return new AcknowledgementResult(receipt, StatusCodes.Status422UnprocessableEntity);
        return new ReceiptResult(receipt, duplicate ? StatusCodes.Status200OK : StatusCodes.Status202Accepted);
    }

    /// <summary>GET /api/receipts/{id}: the caller's own receipt, or 404 (other vendors' receipts do not exist for it).</summary>
    public async Task<IResult> GetReceiptAsync(HttpRequest request, string receiptId)
    {
        if (Authenticate(request) is not { } vendor)
            return ApiProblems.Unauthorized();
        return await ingestion.FindReceiptAsync(receiptId, vendor, request.HttpContext.RequestAborted) is { } receipt
            ? TypedResults.Json(receipt, IngestionJson.Default.Receipt)
            : ApiProblems.NotFound("No receipt with this id exists for your key.");
    }

    /// <summary>The vendor named by the request's key (x-functions-key header or code query parameter), as Azure Functions reads keys.</summary>
    public string? Authenticate(HttpRequest request) => vendors.Authenticate(RequestKeys.Of(request));

    private static bool IsAccepted(string? contentType, string[] accepted) =>
        MediaTypeHeaderValue.TryParse(contentType, out var parsed)
        && accepted.Any(a => parsed.MediaType.Equals(a, StringComparison.OrdinalIgnoreCase));

    private async Task<(byte[] Bytes, IResult? Problem)> ReadBodyAsync(HttpRequest request)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(request.HttpContext.RequestAborted);
        timeout.CancelAfter(options.BodyTimeout);
        var limit = options.MaxBodyBytes;
        var initial = request.ContentLength is { } length && length <= limit ? (int)length : 64 * 1024;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(initial, 1));
        var filled = 0;
        try
        {
            while (true)
            {
                if (filled == buffer.Length)
                {
                    if (filled > limit)
                        return ([], ApiProblems.PayloadTooLarge(limit));
                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, limit + 1));
                    buffer.AsSpan(0, filled).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
                var read = await request.Body.ReadAsync(buffer.AsMemory(filled), timeout.Token);
                if (read == 0)
                    break;
                filled += read;
                if (filled > limit)
                    return ([], ApiProblems.PayloadTooLarge(limit));
            }
            return (buffer.AsSpan(0, filled).ToArray(), null);
        }
        catch (OperationCanceledException) when (!request.HttpContext.RequestAborted.IsCancellationRequested)
        {
            return ([], ApiProblems.RequestTimeout());
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The acknowledgement document itself as the body (FHIR's OperationOutcome), with the receipt in headers.</summary>
    private sealed class AcknowledgementResult(Receipt receipt, int status) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = status;
            httpContext.Response.Headers.Location = $"/api/receipts/{receipt.ReceiptId}";
            httpContext.Response.Headers["x-receipt-id"] = receipt.ReceiptId;
            httpContext.Response.ContentType = receipt.Acknowledgement!.ContentType;
            return httpContext.Response.WriteAsync(receipt.Acknowledgement.Body);
        }
    }

    /// <summary>The receipt as JSON with its status code and a Location to poll.</summary>
    private sealed class ReceiptResult(Receipt receipt, int status) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = status;
            httpContext.Response.Headers.Location = $"/api/receipts/{receipt.ReceiptId}";
            httpContext.Response.Headers["x-receipt-id"] = receipt.ReceiptId;
            return httpContext.Response.WriteAsJsonAsync(receipt, IngestionJson.Default.Receipt);
        }
    }
}

/// <summary>
/// Source-generated JSON for the receipt, written on every ingest answer: no reflection or run-time metadata
/// building on the hot path. Same shape as <see cref="ApiJson.Options"/>: web defaults (camelCase), nulls left out,
/// enums as names (their own converters).
/// </summary>
[JsonSerializable(typeof(Receipt))]
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class IngestionJson : JsonSerializerContext;
