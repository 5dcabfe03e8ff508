using System.Text.Json;
using HealthFlow.Finance;
using HealthFlow.Finance.Events;
using HealthFlow.Ledger;
using HealthFlow.Ledger.Storage;
using HealthFlow.Pipeline.Bus;
using HealthFlow.Pipeline.Ingestion;
using HealthFlow.Pipeline.Tests.Support;
using HealthFlow.Pipeline.Workflows;
using Microsoft.Extensions.Logging.Abstractions;

namespace HealthFlow.Pipeline.Tests.Workflows;

/// <summary>
/// Several instances of the Functions app write one ledger (Flex Consumption runs the triggers, the Durable functions
/// and HTTP on different instances). What instance A records, instance B's read models see once they catch up.
/// </summary>
public sealed class SharedLedgerTests : IAsyncLifetime
{
    private static readonly LedgerOptions Shared = new() { SharedWithOtherWriters = true };

    private readonly string _folder = RuntimeHost.NewFolder();
    private readonly PatientTokenizer _tokenizer = new(new byte[32]);
    private FileBlobStore _store = null!;
    private BlobLedger _a = null!;
    private BlobLedger _b = null!;

    public async Task InitializeAsync()
    {
        // One store, two ledgers, each with its own index and tail: as two instances on one blob container.
        _store = FileBlobStore.OpenWritable(_folder);
        _a = await BlobLedger.OpenAsync(_store, Shared);
        _b = await BlobLedger.OpenAsync(_store, Shared);
    }

    public async Task DisposeAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        _store.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task A_claim_recorded_by_one_instance_is_found_by_another_after_catching_up()
    {
        var models = new WorkflowReadModels(_b, _tokenizer);
        await models.StartAsync();
        var claim = new ClaimSubmitted
        {
            IdempotencyKey = "claim-1", CorrelationId = "c1", CausationId = "c1", ClaimId = "PCN1", ClaimKind = "837P",
            Payer = "ACME HEALTH PLAN", TotalCharge = new Money(100m, "USD"),
        };

        await _a.AppendAsync(TopicRecords.For("claims", new BusMessage(claim.IdempotencyKey, nameof(ClaimSubmitted), EventJson.Serialize(claim))));

        Assert.Null(models.FindClaim("PCN1"));
        await models.CatchUpAsync();
        Assert.Equal(("claim-1", 100m), (models.FindClaim("PCN1")?.IdempotencyKey, models.FindClaim("PCN1")?.TotalCharge.Amount));
    }

    [Fact]
    public async Task An_exception_raised_on_one_instance_is_listed_and_resolvable_on_another()
    {
        await using var busB = await EmbeddedTopicBus.OpenAsync(_b, BusTopology.LoadEmbedded());
        var book = new ExceptionBook(_b, busB, TimeProvider.System);
        await book.StartAsync();
        var raised = new WorkflowException
        {
            Id = "EX-1", Reason = "unmapped-payer", Kind = "remittance", Reference = "835/T1", Blocking = true,
            CorrelationId = "c1", InstanceId = "remit:ACME:T1", Action = "map the payer",
        };

        await _a.AppendAsync(TopicRecords.For(ExceptionBook.Topic,
            new BusMessage(raised.Id, WorkflowException.MessageType, JsonSerializer.SerializeToUtf8Bytes(raised, EventJson.Options))));

        await book.CatchUpAsync();
        Assert.Equal("EX-1", Assert.Single(book.List(open: true)).Id);
        Assert.NotNull(await book.ResolveAsync("EX-1", CancellationToken.None));
    }

    [Fact]
    public async Task A_receipt_issued_by_one_instance_is_answered_by_another()
    {
        await using var busB = await EmbeddedTopicBus.OpenAsync(_b, BusTopology.LoadEmbedded());
        var ingestion = new IngestionService(_b, busB, [], new PayloadProtector(null), _tokenizer, TimeProvider.System, NullLogger<IngestionService>.Instance);
        await ingestion.StartAsync();
        var payload = Samples.Interchange(5);
        var sha256 = IdempotencyKeys.Sha256Hex(payload);
        var contentKey = IdempotencyKeys.ForContent("acme", sha256);
        var receipt = new Receipt
        {
            ReceiptId = "rcp_elsewhere", Vendor = "acme", Format = PayloadFormat.X12, Sha256 = sha256, Size = payload.Length,
            ReceivedAt = DateTimeOffset.UtcNow, Status = ReceiptStatus.Received,
        };

        await _a.AppendBatchAsync([
            ReceiptRecords.Raw(receipt, contentKey, payload),
            ReceiptRecords.Issued(receipt, new IssuedFacts("acme", PayloadFormat.X12, sha256, payload.Length, receipt.ReceivedAt, contentKey, null, null, false)),
            ReceiptRecords.Status(receipt.ReceiptId, ReceiptRecords.ReceiptPublished, new StatusFacts(null, 1, null)),
        ]);

        var found = await ingestion.FindReceiptAsync("rcp_elsewhere", "acme");
        Assert.Equal(ReceiptStatus.Published, found?.Status);
        Assert.Null(await ingestion.FindReceiptAsync("rcp_elsewhere", "beta"));

        // The same bytes sent again to this instance are a duplicate of the other instance's receipt.
        var again = await ingestion.IngestAsync("acme", PayloadFormat.X12, payload);
        Assert.True(again.Duplicate);
        Assert.Equal("rcp_elsewhere", again.Receipt.ReceiptId);
    }
}
