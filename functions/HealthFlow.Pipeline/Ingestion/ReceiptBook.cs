using System.Collections.Concurrent;
using System.Text.Json;
using HealthFlow.Ledger;

namespace HealthFlow.Pipeline.Ingestion;

/// <summary>
/// Receipts and idempotency keys in memory, a read model of the ledger's <c>receipts</c> stream: rebuilt at
/// start-up, updated after each durable commit. Never the source of truth.
/// </summary>
internal sealed class ReceiptBook
{
    private readonly ConcurrentDictionary<string, Receipt> _receipts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _receiptByKey = new(StringComparer.Ordinal);

    public int Count => _receipts.Count;

    public bool TryGet(string receiptId, out Receipt receipt) => _receipts.TryGetValue(receiptId, out receipt!);

    public Receipt? FindByKey(string key) =>
        _receiptByKey.TryGetValue(key, out var id) && _receipts.TryGetValue(id, out var receipt) ? receipt : null;

    /// <summary>Adds a receipt; one already known keeps its state (a catch-up reads records this process applied already).</summary>
    public void Issue(Receipt receipt, string contentKey, string? interchangeKey)
    {
        _receipts.TryAdd(receipt.ReceiptId, receipt);
        _receiptByKey.TryAdd(contentKey, receipt.ReceiptId);
        if (interchangeKey is not null)
            _receiptByKey.TryAdd(interchangeKey, receipt.ReceiptId);
    }

    public Receipt Update(string receiptId, Func<Receipt, Receipt> change) =>
        _receipts.AddOrUpdate(receiptId, _ => throw new InvalidOperationException($"Unknown receipt {receiptId}."), (_, r) => change(r));

    /// <summary>Receipts whose processing did not finish (the process died after the raw payload was durable).</summary>
    public IReadOnlyList<Receipt> Unfinished() =>
        [.. _receipts.Values.Where(r => r.Status is ReceiptStatus.Received or ReceiptStatus.Parsed).OrderBy(r => r.ReceivedAt)];

    /// <summary>Reads the receipts stream from <paramref name="fromSeq"/> (0 rebuilds the book) in one sequential scan.</summary>
    public async Task LoadAsync(ILedger ledger, long fromSeq, CancellationToken cancellationToken)
    {
        await foreach (var record in ledger.ScanAsync(fromSeq, ReceiptStreamOnly, cancellationToken))
            Apply(record);
    }

    private static readonly LedgerScanFilter ReceiptStreamOnly = new([ReceiptRecords.ReceiptStream]);

    public void Apply(LedgerRecord record)
    {
        var id = record.CorrelationId;
        switch (record.Type)
        {
            case ReceiptRecords.ReceiptIssued:
                var issued = JsonSerializer.Deserialize<IssuedFacts>(record.Payload.Span, ReceiptRecords.Json)!;
                Issue(new Receipt
                {
                    ReceiptId = id,
                    Vendor = issued.Vendor,
                    Format = issued.Format,
                    Sha256 = issued.Sha256,
                    Size = issued.Size,
                    ReceivedAt = issued.ReceivedAt,
                    Status = ReceiptStatus.Received,
                    TraceId = issued.TraceId,
                }, issued.ContentKey, issued.InterchangeKey);
                break;
            case ReceiptRecords.ReceiptParsed or ReceiptRecords.ReceiptPublished or ReceiptRecords.ReceiptRejected when _receipts.ContainsKey(id):
                var facts = JsonSerializer.Deserialize<StatusFacts>(record.Payload.Span, ReceiptRecords.Json)!;
                Update(id, r => Rank(r.Status) < Rank(StatusOf(record.Type)) ? Advance(r, record.Type, facts) : r);
                break;
        }
    }

    public static Receipt Advance(Receipt receipt, string type, StatusFacts facts) => receipt with
    {
        Status = StatusOf(type),
        Reasons = facts.Reasons ?? receipt.Reasons,
        EventCount = facts.EventCount,
        Acknowledgement = facts.Acknowledgement ?? receipt.Acknowledgement,
    };

    private static ReceiptStatus StatusOf(string type) => type switch
    {
        ReceiptRecords.ReceiptParsed => ReceiptStatus.Parsed,
        ReceiptRecords.ReceiptPublished => ReceiptStatus.Published,
        _ => ReceiptStatus.Rejected,
    };

    /// <summary>Statuses only move forward, so a status record read again (a catch-up) never takes a receipt back.</summary>
    private static int Rank(ReceiptStatus status) => status switch
    {
        ReceiptStatus.Received => 0,
        ReceiptStatus.Parsed => 1,
        _ => 2,
    };
}
