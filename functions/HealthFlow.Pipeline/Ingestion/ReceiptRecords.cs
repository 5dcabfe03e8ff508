using System.Text.Json;
using System.Text.Json.Serialization;
using HealthFlow.Ledger;

namespace HealthFlow.Pipeline.Ingestion;

/// <summary>
/// How receipts live in the ledger. A payload arrives as two records in one commit: the raw bytes (stream
/// <c>raw</c>, keyed by content) and a small <c>ReceiptIssued</c> record (stream <c>receipts</c>) that start-up
/// reads to rebuild receipts and idempotency keys without touching payloads. Each later status is one more
/// small record in <c>receipts</c> with the same correlation id.
/// </summary>
internal static class ReceiptRecords
{
    public const string RawStream = "raw";
    public const string ReceiptStream = "receipts";
    public const string RawReceived = "RawReceived";
    public const string ReceiptIssued = "ReceiptIssued";
    public const string ReceiptParsed = "ReceiptParsed";
    public const string ReceiptPublished = "ReceiptPublished";
    public const string ReceiptRejected = "ReceiptRejected";

    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static LedgerEntry Raw(Receipt receipt, string contentKey, byte[] storedPayload) =>
        new(RawStream, RawReceived, contentKey, receipt.ReceiptId, receipt.ReceiptId, storedPayload);

    public static LedgerEntry Issued(Receipt receipt, IssuedFacts facts) =>
        new(ReceiptStream, ReceiptIssued, receipt.ReceiptId, receipt.ReceiptId, receipt.ReceiptId, JsonSerializer.SerializeToUtf8Bytes(facts, Json));

    public static LedgerEntry Status(string receiptId, string type, StatusFacts facts) =>
        new(ReceiptStream, type, receiptId, receiptId, receiptId, JsonSerializer.SerializeToUtf8Bytes(facts, Json));
}

/// <summary>The receipt's facts as issued: everything but the payload.</summary>
internal sealed record IssuedFacts(
    string Vendor,
    PayloadFormat Format,
    string Sha256,
    long Size,
    DateTimeOffset ReceivedAt,
    string ContentKey,
    string? InterchangeKey,
    string? TraceId,
    bool Encrypted);

/// <summary>A status change: reasons (when rejected), event count and the acknowledgement sent.</summary>
internal sealed record StatusFacts(IReadOnlyList<string>? Reasons, int EventCount, Acknowledgement? Acknowledgement);
