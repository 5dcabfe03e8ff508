using System.Text.Json;
using HealthFlow.Finance;
using HealthFlow.Finance.Mapping;
using HealthFlow.Finance.Reconciliation;
using HealthFlow.Ledger;
using HealthFlow.Ledger.Storage;
using HealthFlow.Pipeline.Ingestion;
using HealthFlow.Pipeline.Reconciliation;
using HealthFlow.Pipeline.Tests.Support;

namespace HealthFlow.Pipeline.Tests.Reconciliation;

/// <summary>A scan's records are decoded in parallel batches by the ledger's read-ahead, yet their facts reach the rules in ledger order.</summary>
public sealed class ReconciliationScanOrderTests : FileLedgerTest
{
    [Fact]
    public async Task Receipts_parsed_several_chunks_of_records_after_they_were_issued_are_counted_under_their_format()
    {
        // Each receipt's ReceiptParsed comes 700 records after its ReceiptIssued: facts applied out of order, across any
        // boundary of the scan's chunks, would count a parse under "unknown".
        const int Receipts = 3000, Lag = 350;
        var first = DateOnly.FromDateTime(DateTime.UtcNow);
        var entries = new List<LedgerEntry>();
        for (var i = 0; i < Receipts + Lag; i++)
        {
            if (i < Receipts)
                entries.Add(Issued($"rcpt-{i}"));
            if (i >= Lag)
                entries.Add(ReceiptRecords.Status($"rcpt-{i - Lag}", ReceiptRecords.ReceiptParsed, new StatusFacts(null, 1, null)));
        }

        foreach (var batch in entries.Chunk(500))
            await Ledger.AppendBatchAsync(batch);
        var runner = new ReconciliationRunner(Ledger, Folder, MasterData.LoadEmbedded().Value!, new PatientTokenizer(new byte[32]), new ReconciliationOptions(), TimeProvider.System);
        var reports = await runner.ReconcileAsync([.. new[] { first, DateOnly.FromDateTime(DateTime.UtcNow) }.Distinct()]);

        var counts = reports.SelectMany(r => r.Counts).GroupBy(c => (c.Stage, c.Source)).ToDictionary(g => g.Key, g => g.Sum(c => c.Count));
        Assert.Equal(Receipts, counts[(CountStages.Received, "x12")]);
        Assert.Equal(Receipts, counts[(CountStages.Parsed, "x12")]);
        Assert.False(counts.ContainsKey((CountStages.Parsed, "unknown")));
    }

    private static LedgerEntry Issued(string receiptId) =>
        new(ReceiptRecords.ReceiptStream, ReceiptRecords.ReceiptIssued, receiptId, receiptId, receiptId, JsonSerializer.SerializeToUtf8Bytes(
            new IssuedFacts("acme", PayloadFormat.X12, "00", 10, DateTimeOffset.UtcNow, "content-" + receiptId, null, null, false), ReceiptRecords.Json));
}
