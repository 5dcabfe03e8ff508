using System.Net;
using System.Text.Json;
using HealthFlow.Ledger;
using HealthFlow.Ledger.Storage;
using HealthFlow.Pipeline.Ingestion;
using HealthFlow.Pipeline.Tests.Support;

namespace HealthFlow.Pipeline.Tests.Ingestion;

public sealed class InterruptedReceiptTests
{
    [Fact]
    public async Task A_receipt_stored_but_not_processed_before_a_crash_is_finished_at_start_up()
    {
        // The state a crash leaves right after the 202-making commit: raw payload and receipt, no status yet.
        var folder = RuntimeHost.NewFolder();
        var payload = Samples.Interchange(77);
        var sha256 = IdempotencyKeys.Sha256Hex(payload);
        var receipt = new Receipt
        {
            ReceiptId = "rcp_interrupted",
            Vendor = "acme",
            Format = PayloadFormat.X12,
            Sha256 = sha256,
            Size = payload.Length,
            ReceivedAt = DateTimeOffset.UtcNow,
            Status = ReceiptStatus.Received,
        };
        var contentKey = IdempotencyKeys.ForContent("acme", sha256);
        using (var store = FileBlobStore.OpenWritable(folder))
        await using (var ledger = await BlobLedger.OpenAsync(store))
        {
            await ledger.AppendBatchAsync([
                ReceiptRecords.Raw(receipt, contentKey, payload),
                ReceiptRecords.Issued(receipt, new IssuedFacts("acme", PayloadFormat.X12, sha256, payload.Length, receipt.ReceivedAt, contentKey, null, null, false)),
            ]);
        }

        await using var host = await RuntimeHost.StartAsync(folder: folder);
        using var client = host.Client();
        using var response = await client.GetAsync("/api/receipts/rcp_interrupted");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var status = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString();
        Assert.Contains(status, new[] { "Published", "Rejected" });
    }
}
