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
/// <item>the payload is read in memory (a pure step: no effect leaves the process, a reader bug becomes a
/// rejection);</item>
/// <item>the raw payload, its <c>ReceiptIssued</c> record and the status the reading earned are committed to the
/// ledger in one batch (one fsync, all or nothing): <c>ReceiptPublished</c> when there is nothing to publish,
/// <c>ReceiptRejected</c> for bad input (the raw payload is kept either way); when the bus lives in the ledger
/// (<see cref="ILedgerTopicBus"/>, the embedded runtime) the events go into the same commit as their topic records,
/// with <c>ReceiptPublished</c>: receipt, payload and events are durable together or not at all;</item>
/// <item>over a separate bus (Service Bus) the commit says <c>ReceiptParsed</c>; the events are then published
/// (at-least-once, keyed by the source's idempotency key, so consumers drop repeats) and <c>ReceiptPublished</c>
/// is committed.</item>
/// </list>
/// Nothing is answered before step 2 is durable. Reading before the commit, rather than after it, saves one
/// sequential commit per request (the 202 waits for one fsync, not two), which is what keeps p99 latency low at
/// 1,000 requests/s (docs/PERFORMANCE.md). It loses nothing: a crash before the commit means no answer was sent,
/// so the sender sends again. A crash after a <c>ReceiptParsed</c> commit leaves the receipt in Parsed;
/// <see cref="StartAsync"/> publishes its events again and finishes it (ledgers written by earlier versions may also
/// hold receipts left in Received, which it finishes the same way).
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
    private readonly LedgerCursor _cursor;
    // Keys of sends being committed right now, so two identical concurrent sends produce one receipt.
    private readonly ConcurrentDictionary<string, Task<Receipt>> _inFlight = new(StringComparer.Ordinal);

    public IngestionService(
        ILedger ledger, ITopicBus bus, IEnumerable<IPayloadProcessor> processors, PayloadProtector protector,
        PatientTokenizer tokenizer, TimeProvider clock, ILogger<IngestionService> logger)
    {
        _ledger = ledger;
        _cursor = new LedgerCursor(ledger);
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
        await CatchUpAsync(cancellationToken);
        foreach (var receipt in _book.Unfinished())
        {
            // By correlation id (indexed): only this receipt's records are read, not every raw payload.
            var raw = await _ledger.ReadCorrelationAsync(receipt.ReceiptId, cancellationToken)
                .FirstOrDefaultAsync(r => r.Stream == ReceiptRecords.RawStream, cancellationToken);
            if (raw is null)
                continue;
            LogResuming(receipt.ReceiptId, receipt.Status);
            await ProcessAsync(receipt, _protector.Unprotect(raw.Payload.Span), cancellationToken);
        }
    }

    /// <summary>The receipt with this id if it belongs to <paramref name="vendor"/>; other vendors' receipts do not exist for them.</summary>
    public async ValueTask<Receipt?> FindReceiptAsync(string receiptId, string vendor, CancellationToken cancellationToken = default)
    {
        await CatchUpAsync(cancellationToken); // issued, or finished after a crash, by another instance
        return _book.TryGet(receiptId, out var receipt) && receipt.Vendor == vendor ? receipt : null;
    }

    /// <summary>Reads the receipts recorded since the last catch-up: all of them at start, other instances' afterwards (<see cref="LedgerCursor"/>).</summary>
    private Task CatchUpAsync(CancellationToken cancellationToken) =>
        _cursor.CatchUpAsync(from => _book.LoadAsync(_ledger, from, cancellationToken), cancellationToken);

    /// <summary>Receipts known, for health and metrics.</summary>
    public int ReceiptCount => _book.Count;

    public async Task<IngestResult> IngestAsync(string vendor, PayloadFormat format, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        var sha256 = IdempotencyKeys.Sha256Hex(payload.Span);
        var contentKey = IdempotencyKeys.ForContent(vendor, sha256);
        var interchangeKey = format == PayloadFormat.X12 ? IdempotencyKeys.ForInterchange(vendor, payload.Span) : null;
        string[] keys = interchangeKey is null ? [contentKey] : [contentKey, interchangeKey];

        await CatchUpAsync(cancellationToken); // a re-send may have reached another instance first
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
        ProcessingResult result;
        try
        {
            if (FindOriginal(keys) is { } committedMeanwhile)
            {
                claim.TrySetResult(committedMeanwhile);
                return new IngestResult(committedMeanwhile, Duplicate: true);
            }
            var issued = new Receipt
            {
                ReceiptId = ReceiptIds.New(),
                Vendor = vendor,
                Format = format,
                Sha256 = sha256,
                Size = payload.Length,
                ReceivedAt = _clock.GetUtcNow(),
                Status = ReceiptStatus.Received,
                TraceId = Activity.Current?.TraceId.ToHexString(),
            };
            result = Read(issued, payload);
            var (statusType, statusFacts) = StatusAfterReading(result);
            var facts = new IssuedFacts(vendor, format, sha256, payload.Length, issued.ReceivedAt, contentKey, interchangeKey, issued.TraceId, _protector.Encrypts);
            List<LedgerEntry> records =
            [
                ReceiptRecords.Raw(issued, contentKey, _protector.Protect(payload.Span)),
                ReceiptRecords.Issued(issued, facts),
            ];
            if (statusType == ReceiptRecords.ReceiptParsed && _bus is ILedgerTopicBus ledgerBus)
            {
                // The bus lives in the ledger: the events are published by the same commit as the receipt.
                foreach (var topic in result.Events.GroupBy(e => e.Topic))
                    records.AddRange(await ledgerBus.PrepareBatchAsync(topic.Key, [.. topic.Select(e => e.Message)], CancellationToken.None));
                statusType = ReceiptRecords.ReceiptPublished;
            }
            records.Add(ReceiptRecords.Status(issued.ReceiptId, statusType, statusFacts));
            // Not cancellable once queued: if the sender hung up while the commit was in flight, the records may still be
            // durable, and the book must learn of them, or a re-send would get a second receipt.
            await _ledger.AppendBatchAsync(records, CancellationToken.None);
            receipt = ReceiptBook.Advance(issued, statusType, statusFacts);
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

        using var scope = _receiptScope(_logger, receipt.ReceiptId, vendor);
        if (receipt.Status == ReceiptStatus.Published)
        {
            // The common case gets one log line, not two: stored and published happened in the same commit.
            LogStoredAndPublished(receipt.ReceiptId, vendor, format, payload.Length, receipt.EventCount);
            return new IngestResult(receipt, Duplicate: false);
        }
        LogStored(receipt.ReceiptId, vendor, format, payload.Length);
        if (receipt.Status == ReceiptStatus.Rejected)
        {
            LogRejected(receipt.ReceiptId, receipt.Reasons.Count);
            return new IngestResult(receipt, Duplicate: false);
        }
        // The payload is durable and the receipt issued: finish publishing even if the sender has hung up.
        return new IngestResult(await PublishAsync(receipt, result, CancellationToken.None), Duplicate: false);
    }

    /// <summary>Runs the format's reader; a reader bug becomes a rejection, so the payload is still kept and the service keeps running.</summary>
    private ProcessingResult Read(Receipt receipt, ReadOnlyMemory<byte> payload)
    {
        if (!_processors.TryGetValue(receipt.Format, out var processor))
            return ProcessingResult.Reject([$"no reader for {receipt.Format} is configured"]);
        try
        {
            return processor.Process(payload, new ProcessingContext(receipt.ReceiptId, receipt.Vendor, _tokenizer.Tokenize));
        }
        catch (Exception ex)
        {
            LogProcessorFailed(ex, receipt.ReceiptId, receipt.Format);
            return ProcessingResult.Reject([$"internal error while reading the payload ({ex.GetType().Name}); it is kept for replay"]);
        }
    }

    /// <summary>The status committed with the raw payload: final unless there are events still to publish.</summary>
    private static (string Type, StatusFacts Facts) StatusAfterReading(ProcessingResult result) =>
        !result.Accepted ? (ReceiptRecords.ReceiptRejected, new StatusFacts(result.Reasons, 0, result.Acknowledgement))
        : result.Events.Count == 0 ? (ReceiptRecords.ReceiptPublished, new StatusFacts(null, 0, result.Acknowledgement))
        : (ReceiptRecords.ReceiptParsed, new StatusFacts(null, result.Events.Count, result.Acknowledgement));

    /// <summary>Publishes a parsed receipt's events, then commits <c>ReceiptPublished</c>.</summary>
    private async Task<Receipt> PublishAsync(Receipt receipt, ProcessingResult result, CancellationToken cancellationToken)
    {
        foreach (var topic in result.Events.GroupBy(e => e.Topic))
            await _bus.PublishBatchAsync(topic.Key, [.. topic.Select(e => e.Message)], cancellationToken);
        var published = new StatusFacts(null, result.Events.Count, result.Acknowledgement);
        await _ledger.AppendAsync(ReceiptRecords.Status(receipt.ReceiptId, ReceiptRecords.ReceiptPublished, published), cancellationToken);
        LogPublished(receipt.ReceiptId, result.Events.Count);
        return _book.Update(receipt.ReceiptId, r => ReceiptBook.Advance(r, ReceiptRecords.ReceiptPublished, published));
    }

    /// <summary>Finishes a receipt a crash left in Received or Parsed: reads the payload again and commits what follows.</summary>
    private async Task<Receipt> ProcessAsync(Receipt receipt, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var result = Read(receipt, payload);
        var (statusType, statusFacts) = StatusAfterReading(result);
        if (statusType == ReceiptRecords.ReceiptParsed)
        {
            if (receipt.Status == ReceiptStatus.Received)
            {
                await _ledger.AppendAsync(ReceiptRecords.Status(receipt.ReceiptId, statusType, statusFacts), cancellationToken);
                receipt = _book.Update(receipt.ReceiptId, r => ReceiptBook.Advance(r, statusType, statusFacts));
            }
            return await PublishAsync(receipt, result, cancellationToken);
        }
        await _ledger.AppendAsync(ReceiptRecords.Status(receipt.ReceiptId, statusType, statusFacts), cancellationToken);
        if (statusType == ReceiptRecords.ReceiptRejected)
            LogRejected(receipt.ReceiptId, result.Reasons.Count);
        else
            LogPublished(receipt.ReceiptId, 0);
        return _book.Update(receipt.ReceiptId, r => ReceiptBook.Advance(r, statusType, statusFacts));
    }

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

    [LoggerMessage(1006, LogLevel.Information, "Stored receipt {ReceiptId} from {Vendor}: {Format}, {Size} bytes; published {EventCount} events")]
    private partial void LogStoredAndPublished(string receiptId, string vendor, PayloadFormat format, int size, int eventCount);

    // A cached scope format instead of a dictionary per request; the same ReceiptId and Vendor scope values as before.
    private static readonly Func<ILogger, string, string, IDisposable?> _receiptScope =
        LoggerMessage.DefineScope<string, string>("{ReceiptId} {Vendor}");
}
