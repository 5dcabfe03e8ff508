using System.Net;
using System.Text.Json;
using HealthFlow.Ledger;
using HealthFlow.Ledger.Storage;
using HealthFlow.Pipeline.Tests.Support;

namespace HealthFlow.Pipeline.Tests.Ingestion;

public sealed class EncryptedPayloadTests
{
    [Fact]
    public async Task With_encryption_on_the_raw_payload_is_ciphertext_in_the_ledger_and_the_chain_still_verifies()
    {
        await using var host = await RuntimeHost.StartAsync(new Dictionary<string, string?> { ["Ledger:EncryptPayloads"] = "true" });
        var payload = Samples.Interchange(42);
        using var client = host.Client();
        using var response = await client.PostAsync("/api/x12", RuntimeHost.Body(payload, "application/edi-x12"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var receiptId = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("receiptId").GetString()!;

        var raw = await host.Runtime.Ledger.ReadCorrelationAsync(receiptId).SingleAsync(r => r.Type == "RawReceived");
        Assert.NotEqual(payload, raw.Payload.ToArray());
        Assert.DoesNotContain("TESTPAYER", System.Text.Encoding.Latin1.GetString(raw.Payload.Span), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(host.Folder, "keys", "payload.key")));

        // Verification reads the files without any key.
        using var store = FileBlobStore.OpenReadOnly(host.Folder);
        var verification = await LedgerVerifier.VerifyAsync(store, new LedgerOptions { SegmentMaxAppends = int.MaxValue });
        Assert.True(verification.Verified, verification.Fault?.ToString());
    }
}
