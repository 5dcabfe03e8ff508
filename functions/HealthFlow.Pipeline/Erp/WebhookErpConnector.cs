using System.Buffers;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace HealthFlow.Pipeline.Erp;

/// <summary>
/// Generic REST webhook: <c>POST {Erp:Webhook:Url}</c> with <c>{"idempotencyKey","journals":[...file-ERP journal shape...]}</c>,
/// headers <c>Idempotency-Key</c> and <c>X-HealthFlow-Signature</c> (<see cref="WebhookSignature"/>). A 2xx answer
/// <c>{"documents":[{"journalId","documentNumber"}]}</c> (or <c>{"documentNumber"}</c> for a single journal) gives the
/// document numbers; a 2xx without them acknowledges with <c>WEBHOOK-{journalId}</c>. The receiver deduplicates on
/// <c>Idempotency-Key</c> (docs/ERP.md), which is what makes resending after a crash safe.
/// </summary>
internal sealed class WebhookErpConnector(ErpHttpSender sender, Uri url, byte[] secret, TimeProvider clock) : IErpConnector
{
    public string Name => "webhook";

    public bool NeedsIntentRecord => false;

    public async ValueTask<ErpAcknowledgement> SendAsync(ErpSendContext context, CancellationToken cancellationToken)
    {
        var body = Body(context);
        var result = await sender.SendAsync(_ =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
            request.Headers.Add("Idempotency-Key", context.IdempotencyKey);
            request.Headers.Add(WebhookSignature.HeaderName, WebhookSignature.Create(secret, clock.GetUtcNow(), body));
            return ValueTask.FromResult(request);
        }, "POST webhook", context.IdempotencyKey, cancellationToken);

        return result.Status switch
        {
            ErpHttpStatus.Success => new ErpAcknowledgement
            {
                Outcome = ErpOutcome.Accepted,
                IdempotencyKey = context.IdempotencyKey,
                Gateway = Name,
                Attempts = result.Attempts,
                StatusCode = result.StatusCode,
                Documents = Documents(context, result.Body),
            },
            ErpHttpStatus.Rejected => ErpAnswers.Rejected(context, Name, result, ErpAnswers.ProblemText(result.Body)),
            _ => ErpAnswers.Failed(context, Name, result),
        };
    }

    internal static byte[] Body(ErpSendContext context)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("idempotencyKey", context.IdempotencyKey);
            writer.WriteStartArray("journals");
            foreach (var journal in context.Journals)
                JournalFormat.WriteJson(writer, journal);
            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static List<ErpDocument> Documents(ErpSendContext context, string body)
    {
        var numbers = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            using var document = JsonDocument.Parse(string.IsNullOrWhiteSpace(body) ? "{}" : body);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("documents", out var documents) && documents.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in documents.EnumerateArray())
                {
                    if (item.TryGetProperty("journalId", out var id) && item.TryGetProperty("documentNumber", out var number))
                        numbers[id.GetString() ?? ""] = number.ToString();
                }
            }
            else if (context.Journals.Count == 1 && root.ValueKind == JsonValueKind.Object && root.TryGetProperty("documentNumber", out var single))
            {
                numbers[context.Journals[0].JournalId] = single.ToString();
            }
        }
        catch (JsonException)
        {
            // A 2xx with a body we cannot read still means accepted; fall back to our own numbers.
        }

        return [.. context.Journals.Select(j => new ErpDocument(j.JournalId, j.IdempotencyKey,
            numbers.TryGetValue(j.JournalId, out var number) && number.Length > 0 ? number : "WEBHOOK-" + j.JournalId))];
    }
}

/// <summary>Acknowledgements from HTTP results, shared by the connectors.</summary>
internal static class ErpAnswers
{
    public static ErpAcknowledgement Rejected(ErpSendContext context, string gateway, ErpHttpResult result, string? reason, IReadOnlyList<ErpDocument>? documents = null) => new()
    {
        Outcome = ErpOutcome.Rejected,
        IdempotencyKey = context.IdempotencyKey,
        Gateway = gateway,
        StatusCode = result.StatusCode,
        Attempts = result.Attempts,
        Documents = documents ?? [],
        Reason = Limit(string.IsNullOrWhiteSpace(reason) ? $"HTTP {result.StatusCode}" : $"HTTP {result.StatusCode}: {reason}"),
    };

    /// <summary>A transient failure; with <c>reconcileAmbiguous</c> (connectors without an ERP-side duplicate check) an attempt that may have arrived leaves the key pending for reconciliation.</summary>
    public static ErpAcknowledgement Failed(ErpSendContext context, string gateway, ErpHttpResult result, IReadOnlyList<ErpDocument>? documents = null, bool reconcileAmbiguous = false) => new()
    {
        Outcome = ErpOutcome.TransientFailure,
        IdempotencyKey = context.IdempotencyKey,
        Gateway = gateway,
        StatusCode = result.StatusCode,
        Attempts = result.Attempts,
        Documents = documents ?? [],
        RequiresReconciliation = result.Ambiguous && reconcileAmbiguous,
        Reason = result.Error is { } error
            ? $"{error} after {result.Attempts} attempt(s)"
            : $"HTTP {result.StatusCode} after {result.Attempts} attempt(s)",
    };

    /// <summary>The human part of an error body: problem+json <c>detail</c>/<c>title</c>, OData <c>error.message</c>, <c>message</c>; else the text.</summary>
    public static string? ProblemText(string body)
    {
        if (string.IsNullOrWhiteSpace(body))
            return null;
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                if (root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out var odata))
                    return odata.ToString();
                foreach (var name in new[] { "detail", "title", "message", "Message" })
                    if (root.TryGetProperty(name, out var value))
                        return value.ToString();
            }
        }
        catch (JsonException)
        {
        }

        return body;
    }

    /// <summary>Reasons are kept short: they go to the ledger and the workbench, not whole bodies.</summary>
    public static string Limit(string text)
    {
        var flat = new StringBuilder(text.Length);
        foreach (var c in text)
            flat.Append(char.IsControl(c) ? ' ' : c);
        return flat.Length <= 500 ? flat.ToString() : flat.ToString(0, 500) + "…";
    }
}
