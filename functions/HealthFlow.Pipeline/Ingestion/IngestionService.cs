using System.Collections.Concurrent;
using System.Diagnostics;
using HealthFlow.Finance;
using HealthFlow.Finance.Events;
using HealthFlow.Ledger;
using HealthFlow.Pipeline.Bus;
using Microsoft.Extensions.Logging;

namespace HealthFlow.Pipeline.Ingestion;

/// <summary>The answer to one ingest call: the receipt, and whether it is the original of an earlier identical send.</summary>
public sealed record IngestResult(Receipt Receipt, bool Duplicate);

/// <summary>
/// Accepts payloads from authenticated vendors: makes them durable, recognises re-sends, turns them into
/// canonical events on topics, and keeps each receipt's status. The same service runs under the local
/// runtime and the Functions app.
/// </summary>
/// <remarks>
/// Order of effects, which is what makes the receipt honest (invariant 1):
/// <list type="number">
/// <item>the raw payload and its <c>ReceiptIssued</c> record are committed to the ledger together (fsync'd);</item>
/// <item>only then is the payload parsed; events are published to their topics (at-least-once, keyed by
/// the source's idempotency key, so consumers drop repeats);</item>
/// <item>the final status (<c>ReceiptPublished</c> or <c>ReceiptRejected</c>) is committed.</item>
/// </list>
/// A crash after step 1 leaves a receipt in Received or Parsed; <see cref="StartAsync"/> finishes it.
/// </remarks>
public sealed partial class IngestionService
{
    private readonly ILedger _ledger;
    private readonly ITopicBus _bus;
    private readonly Dictionary<PayloadFormat, IPayloadProcessor> _processors;
    private readonly PayloadProtector _protector;
    private readonly PatientTokenizer _tokenizer;
    private readonly TimeProvider _clock;
    private readonly ILogger<IngestionService> _logger;
    private readonly ReceiptBook _book = new();
    // Keys of sends being committed right now, so two identical concurrent sends produce one receipt.
    private readonly ConcurrentDictionary<string, Task<Receipt>> _inFlight = new(StringComparer.Ordinal);

    public IngestionService(
        ILedger ledger, ITopicBus bus, IEnumerable<IPayloadProcessor> processors, PayloadProtector protector,
        PatientTokenizer tokenizer, TimeProvider clock, ILogger<IngestionService> logger)
    {
        _ledger = ledger;
        _bus = bus;
        _processors = processors.ToDictionary(p => p.Format);
        _protector = protector;
        _tokenizer = tokenizer;
        _clock = clock;
        _logger = logger;
    }

    /// <summary>Rebuilds receipts from the ledger and finishes any whose processing a crash interrupted.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await _book.LoadAsync(_ledger, cancellationToken);
        foreach (var receipt in _book.Unfinished())
        {
            var raw = await _ledger.ReadStreamAsync(ReceiptRecords.RawStream, 0, cancellationToken)
                .FirstOrDefaultAsync(r => r.CorrelationId == receipt.ReceiptId, cancellationToken);
            if (raw is null)
                continue;
            LogResuming(receipt.ReceiptId, receipt.Status);
            await ProcessAsync(receipt, _protector.Unprotect(raw.Payload.Span), cancellationToken);
        }
    }

    /// <summary>The receipt with this id if it belongs to <paramref name="vendor"/>; other vendors' receipts do not exist for them.</summary>
    public Receipt? FindReceipt(string receiptId, string vendor) =>
        _book.TryGet(receiptId, out var receipt) && receipt.Vendor == vendor ? receipt : null;

    /// <summary>Receipts known, for health and metrics.</summary>
    public int ReceiptCount => _book.Count;

    public async Task<IngestResult> IngestAsync(string vendor, PayloadFormat format, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        var sha256 = IdempotencyKeys.Sha256Hex(payload.Span);
        var contentKey = IdempotencyKeys.ForContent(vendor, sha256);
        var interchangeKey = format == PayloadFormat.X12 ? IdempotencyKeys.ForInterchange(vendor, payload.Span) : null;
        string[] keys = interchangeKey is null ? [contentKey] : [contentKey, interchangeKey];

        if (FindOriginal(keys) is { } original)
            return new IngestResult(original, Duplicate: true);

        var claim = new TaskCompletionSource<Receipt>(TaskCreationOptions.RunContinuationsAsynchronously);
        var claimed = new List<string>();
        foreach (var key in keys)
        {
            if (_inFlight.TryAdd(key, claim.Task))
            {
                claimed.Add(key);
                continue;
            }
            // An identical send is being committed right now: answer with its receipt.
            Release(claimed, claim.Task);
            claim.TrySetCanceled(CancellationToken.None);
            var other = _inFlight.TryGetValue(key, out var pending) ? await pending : FindOriginal(keys);
            if (other is not null)
                return new IngestResult(other, Duplicate: true);
            return await IngestAsync(vendor, format, payload, cancellationToken);
        }

        Receipt receipt;
        try
        {
            if (FindOriginal(keys) is { } committedMeanwhile)
            {
                claim.TrySetResult(committedMeanwhile);
                return new IngestResult(committedMeanwhile, Duplicate: true);
            }
            receipt = new Receipt
            {
                ReceiptId = NewReceiptId(),
                Vendor = vendor,
                Format = format,
                Sha256 = sha256,
                Size = payload.Length,
                ReceivedAt = _clock.GetUtcNow(),
                Status = ReceiptStatus.Received,
                TraceId = Activity.Current?.TraceId.ToHexString(),
            };
            var facts = new IssuedFacts(vendor, format, sha256, payload.Length, receipt.ReceivedAt, contentKey, interchangeKey, receipt.TraceId, _protector.Encrypts);
            await _ledger.AppendBatchAsync(
                [ReceiptRecords.Raw(receipt, contentKey, _protector.Protect(payload.Span)), ReceiptRecords.Issued(receipt, facts)],
                cancellationToken);
            _book.Issue(receipt, contentKey, interchangeKey);
            claim.TrySetResult(receipt);
        }
        catch (Exception ex)
        {
            claim.TrySetException(ex);
            throw;
        }
        finally
        {
            Release(claimed, claim.Task);
        }

        using var scope = _logger.BeginScope(new Dictionary<string, object> { ["ReceiptId"] = receipt.ReceiptId, ["Vendor"] = vendor });
        LogStored(receipt.ReceiptId, vendor, format, payload.Length);
        return new IngestResult(await ProcessAsync(receipt, payload, cancellationToken), Duplicate: false);
    }

    private async Task<Receipt> ProcessAsync(Receipt receipt, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        ProcessingResult result;
        if (_processors.TryGetValue(receipt.Format, out var processor))
        {
            try
            {
                result = processor.Process(payload, new ProcessingContext(receipt.ReceiptId, receipt.Vendor, _tokenizer.Tokenize));
            }
            catch (Exception ex)
            {
                // A reader bug must not lose the payload or stop the service: the receipt is rejected and kept.
                LogProcessorFailed(ex, receipt.ReceiptId, receipt.Format);
                result = ProcessingResult.Reject([$"internal error while reading the payload ({ex.GetType().Name}); it is kept for replay"]);
            }
        }
        else
        {
            result = ProcessingResult.Reject([$"no reader for {receipt.Format} is configured"]);
        }

        if (!result.Accepted)
        {
            var rejected = new StatusFacts(result.Reasons, 0, result.Acknowledgement);
            await _ledger.AppendAsync(ReceiptRecords.Status(receipt.ReceiptId, ReceiptRecords.ReceiptRejected, rejected), cancellationToken);
            LogRejected(receipt.ReceiptId, result.Reasons.Count);
            return _book.Update(receipt.ReceiptId, r => ReceiptBook.Advance(r, ReceiptRecords.ReceiptRejected, rejected));
        }

        var parsed = new StatusFacts(null, result.Events.Count, result.Acknowledgement);
        if (result.Events.Count > 0)
        {
            await _ledger.AppendAsync(ReceiptRecords.Status(receipt.ReceiptId, ReceiptRecords.ReceiptParsed, parsed), cancellationToken);
            _book.Update(receipt.ReceiptId, r => ReceiptBook.Advance(r, ReceiptRecords.ReceiptParsed, parsed));
            foreach (var topic in result.Events.GroupBy(e => e.Topic))
                await _bus.PublishBatchAsync(topic.Key, [.. topic.Select(ToMessage)], cancellationToken);
        }
        await _ledger.AppendAsync(ReceiptRecords.Status(receipt.ReceiptId, ReceiptRecords.ReceiptPublished, parsed), cancellationToken);
        LogPublished(receipt.ReceiptId, result.Events.Count);
        return _book.Update(receipt.ReceiptId, r => ReceiptBook.Advance(r, ReceiptRecords.ReceiptPublished, parsed));
    }

    private static BusMessage ToMessage(CanonicalEvent @event) =>
        new(@event.IdempotencyKey, @event.EventType, EventJson.Serialize(@event), @event.SessionKey, @event.CorrelationId, @event.CausationId);

    private Receipt? FindOriginal(string[] keys)
    {
        foreach (var key in keys)
        {
            if (_book.FindByKey(key) is { } receipt)
                return receipt;
        }
        return null;
    }

    private void Release(List<string> keys, Task<Receipt> claim)
    {
        foreach (var key in keys)
            _inFlight.TryRemove(KeyValuePair.Create(key, claim));
        keys.Clear();
    }

    // Version 7 GUIDs sort by creation time, which keeps receipts in arrival order in listings.
    private static string NewReceiptId() => "rcp_" + Guid.CreateVersion7().ToString("N");

    [LoggerMessage(1001, LogLevel.Information, "Stored receipt {ReceiptId} from {Vendor}: {Format}, {Size} bytes")]
    private partial void LogStored(string receiptId, string vendor, PayloadFormat format, int size);

    [LoggerMessage(1002, LogLevel.Information, "Receipt {ReceiptId} published {EventCount} events")]
    private partial void LogPublished(string receiptId, int eventCount);

    [LoggerMessage(1003, LogLevel.Warning, "Receipt {ReceiptId} rejected with {ReasonCount} reasons")]
    private partial void LogRejected(string receiptId, int reasonCount);

    [LoggerMessage(1004, LogLevel.Error, "Reader for {Format} failed on receipt {ReceiptId}")]
    private partial void LogProcessorFailed(Exception exception, string receiptId, PayloadFormat format);

    [LoggerMessage(1005, LogLevel.Warning, "Resuming receipt {ReceiptId} left in status {Status} by an interrupted run")]
    private partial void LogResuming(string receiptId, ReceiptStatus status);
}
