using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using HealthFlow.Ledger.Storage;

namespace HealthFlow.Ledger;

/// <summary>
/// The ledger on a blob store: segment blobs under <c>ledger/{partition}/</c>, one group-commit writer, and an
/// in-memory index (by position, stream and correlation id) rebuilt from the segments at start-up.
/// </summary>
/// <remarks>
/// <para>Group commit: appends queue on a channel; one loop takes everything queued (up to
/// <see cref="LedgerOptions.MaxBatchRecords"/>/<see cref="LedgerOptions.MaxBatchBytes"/>), encodes it and makes one
/// conditional append, so 64 concurrent writers cost one fsync, not 64.</para>
/// <para>One commit is in flight at a time: the loop takes the next batch only once the previous one is durable,
/// indexed and acknowledged. Callers that await their append before the next (the bus, workflows, the benchmark's
/// writers) are all in the commit being flushed, so there is nothing to encode during its fsync; overlapping would
/// cost a hand-over between threads per commit and separate the index and the acknowledgements from durability.
/// See docs/ARCHITECTURE.md, "Decisions".</para>
/// <para>Crash safety: at start-up the whole chain is walked. A partial record at the end of the newest segment
/// (a write the crash cut short, never acknowledged) is cut off: the ledger opens a new segment whose first
/// record says where the old one's valid bytes end. Any other damage leaves the ledger readable up to the
/// damage but refusing appends until <see cref="RepairAsync"/> runs.</para>
/// <para>Two writers on one partition: each append is conditional on the segment's length, so the loser gets a
/// conflict, reads what the winner wrote, re-links its batch after it and retries.</para>
/// </remarks>
public sealed class BlobLedger : ILedger, IAsyncDisposable
{
    private readonly IBlobStore _store;
    private readonly LedgerOptions _options;
    private readonly TimeProvider _clock;
    private readonly Channel<PendingAppend> _queue;
    private readonly Task _writer;
    private readonly CancellationTokenSource _stopping = new();
    private readonly LedgerIndex _index;
    // The callers of the commit being gathered and their encoded records, reused by every commit (writer loop only).
    private readonly List<PendingAppend> _batch = [];
    private readonly CommitBuffer _commit = new(1024 * 1024);

    // Writer state: touched only by the writer loop (and by OpenAsync before it starts).
    private int _segment;
    private long _segmentLength;
    private int _segmentAppends;
    private long _nextSeq;
    private byte[] _lastHash;
    private bool _segmentSealed;

    private LedgerFault? _fault;
    private TaskCompletionSource _appended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    // Waits on one stream each (WaitForAppendAsync(stream, …)), completed and removed by the first commit that indexes a
    // record of theirs.
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _streamWaits = new(StringComparer.Ordinal);

    private readonly bool _readOnly;

    // A scan reads ahead of its caller by up to 4 batches of 1,024 records: a few megabytes, and few hand-overs between threads.
    private const int ScanBatchRecords = 1024;
    private const int ScanBatchesAhead = 4;
    // An 835's record can be 300 KB: a batch also ends at 1 MB of records, so the batches in flight stay a few MB.
    private const int ScanBatchBytes = 1 << 20;
    // Other streams' records between two wanted ones are stepped over in the buffer below this many bytes, skipped unread above.
    private const long ScanGapBytes = 256 * 1024;

    private BlobLedger(IBlobStore store, LedgerOptions options, TimeProvider clock, ChainWalk walk, LedgerIndex index, bool readOnly = false)
    {
        _readOnly = readOnly;
        _store = store;
        _options = options;
        _clock = clock;
        _index = index;
        _segment = walk.LastSegment;
        _segmentLength = walk.LastSegmentValidLength;
        _segmentAppends = walk.LastSegmentRecords;
        _nextSeq = walk.NextSeq;
        _lastHash = walk.LastHash;
        _segmentSealed = walk.LastSegmentSealed;
        _fault = walk.Fault;
        _queue = Channel.CreateBounded<PendingAppend>(new BoundedChannelOptions(options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>The chain break found at start-up, or null when the chain verifies.</summary>
    public LedgerFault? Fault => _fault;

    /// <summary>Notes from start-up: torn tails cut off, repairs honoured.</summary>
    public IReadOnlyList<string> RecoveryNotes { get; private set; } = [];

    public long Head => _index.Count;

    public bool HasOtherWriters => _options.SharedWithOtherWriters;

    // Every record a scan can return was verified by this process: by the walk at open or as it was read in (a refresh).
    private bool ScansCheckHashes => _options.ScansCheckHashes || _fault is not null;

    /// <summary>
    /// Opens (or creates) a partition: walks and verifies its chain, rebuilds the index, cuts a torn tail.
    /// A broken chain does not stop the open: <see cref="Fault"/> says where, and appends are refused.
    /// </summary>
    public static async Task<BlobLedger> OpenAsync(IBlobStore store, LedgerOptions? options = null, TimeProvider? clock = null, CancellationToken cancellationToken = default)
    {
        options ??= new LedgerOptions();
        clock ??= TimeProvider.System;
        var index = new LedgerIndex(options.CacheRecords, options.CachePayloadMaxBytes);
        var walk = await ChainWalker.WalkAsync(store, options, (record, location) => index.Add(record, location, cache: false), cancellationToken);
        var ledger = new BlobLedger(store, options, clock, walk, index) { RecoveryNotes = walk.Notes };
        if (walk.Fault is null)
        {
            if (walk.LastSegment < 0)
                await ledger.OpenSegmentAsync(0, new SegmentOpening(0, -1, 0, 0, null), cancellationToken);
            else if (walk.LastSegmentEnd == SegmentEnd.Torn)
            {
                await ledger.OpenSegmentAsync(walk.LastSegment + 1,
                    new SegmentOpening(walk.LastSegment + 1, walk.LastSegment, walk.LastSegmentValidLength, walk.LastSegmentPhysicalLength - walk.LastSegmentValidLength, null),
                    cancellationToken);
                ledger.RecoveryNotes = [.. walk.Notes, $"torn tail of {walk.LastSegmentPhysicalLength - walk.LastSegmentValidLength} bytes cut off {options.SegmentName(walk.LastSegment)} at offset {walk.LastSegmentValidLength}"];
            }
            else if (walk.LastSegmentRecords == 0)
                await ledger.OpenSegmentAsync(walk.LastSegment, new SegmentOpening(walk.LastSegment, walk.OpenPreviousSegment, walk.OpenPreviousLength, walk.OpenPreviousCut, null), cancellationToken);
        }
        return ledger;
    }

    /// <summary>
    /// Opens a partition for reading only (inspection, verification, tests next to a running writer): walks
    /// and indexes the chain as it is, writes nothing; appends throw. Records appended later are not seen.
    /// </summary>
    public static async Task<BlobLedger> OpenReadOnlyAsync(IBlobStore store, LedgerOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new LedgerOptions();
        var index = new LedgerIndex(options.CacheRecords, options.CachePayloadMaxBytes);
        var walk = await ChainWalker.WalkAsync(store, options, (record, location) => index.Add(record, location, cache: false), cancellationToken);
        return new BlobLedger(store, options, TimeProvider.System, walk, index, readOnly: true) { RecoveryNotes = walk.Notes };
    }

    /// <summary>
    /// The documented repair for a broken chain: accepts the loss of everything after the last good record
    /// (the damaged bytes stay in place for forensics) and reopens the chain in a new segment whose first record
    /// names the break and the operator's reason. Verification then reports the repair instead of failing.
    /// </summary>
    public static async Task<LedgerFault?> RepairAsync(IBlobStore store, string reason, LedgerOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new LedgerOptions();
        var walk = await ChainWalker.WalkAsync(store, options, null, cancellationToken);
        if (walk.Fault is null)
            return null;
        var segment = walk.LastSegment + 1;
        var name = options.SegmentName(segment);
        if (!await store.CreateIfAbsentAsync(name, cancellationToken))
            throw new InvalidOperationException($"{name} already exists; is a writer running?");
        var opening = new SegmentOpening(segment, walk.OpenPreviousSegment, walk.OpenPreviousLength, walk.OpenPreviousCut, $"repair: {reason}");
        var commit = new CommitBuffer();
        commit.Start(walk.NextSeq, walk.LastHash, DateTimeOffset.UtcNow);
        commit.Add(SystemRecords.Opened(opening));
        var result = await store.AppendAsync(name, 0, commit.Bytes, cancellationToken);
        if (result.Status != AppendStatus.Appended)
            throw new InvalidOperationException($"Could not write the repair record to {name}: {result.Status}.");
        return walk.Fault;
    }

    public ValueTask<long> AppendAsync(LedgerEntry entry, CancellationToken cancellationToken = default) =>
        AppendBatchAsync([entry], cancellationToken);

    public ValueTask<long> AppendBatchAsync(IReadOnlyList<LedgerEntry> entries, CancellationToken cancellationToken = default)
    {
        if (_readOnly)
            return ValueTask.FromException<long>(new InvalidOperationException("This ledger was opened read-only."));
        if (_fault is { } fault)
            return ValueTask.FromException<long>(new LedgerBrokenException(fault));
        if (entries.Count == 0)
            throw new ArgumentException("Nothing to append.", nameof(entries));
        var pending = new PendingAppend(entries);
        // Usually the queue has room, and the caller awaits the commit's own task: no async state machine per append.
        return _queue.Writer.TryWrite(pending)
            ? new ValueTask<long>(pending.Task.WaitAsync(cancellationToken))
            : EnqueueAsync(pending, cancellationToken);
    }

    private async ValueTask<long> EnqueueAsync(PendingAppend pending, CancellationToken cancellationToken)
    {
        await _queue.Writer.WriteAsync(pending, cancellationToken);
        return await pending.Task.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// A refresh is a request without entries on the writer loop, which owns the tail: the loop catches up for every
    /// request it took, or its commit does (a commit after another writer's append conflicts and catches up first).
    /// </summary>
    public async ValueTask<long> RefreshAsync(CancellationToken cancellationToken = default)
    {
        if (!HasOtherWriters)
            return Head;
        await EnqueueAsync(new PendingAppend([]), cancellationToken);
        return Head;
    }

    public async ValueTask<LedgerRecord> ReadAsync(long seq, CancellationToken cancellationToken = default)
    {
        if (_index.TryGetCached(seq, out var cached))
            return cached;
        if (seq >= Head && HasOtherWriters)
            await RefreshAsync(cancellationToken); // a record another instance wrote, named by a message (a claim-check)
        var location = _index.Locate(seq);
        var bytes = new byte[location.Length];
        var name = _options.SegmentName(location.Segment);
        var filled = 0;
        while (filled < bytes.Length)
        {
            var read = await _store.ReadAsync(name, location.Offset + filled, bytes.AsMemory(filled), cancellationToken);
            if (read == 0)
                throw new InvalidDataException($"{name} ends before record {seq} at offset {location.Offset}.");
            filled += read;
        }
        return RecordCodec.TryDecode(bytes, out var record, out _, out var problem) == RecordCodec.DecodeStatus.Ok
            ? record!
            : throw new InvalidDataException($"{name} at offset {location.Offset} (record {seq}): {problem ?? "incomplete"}; run healthflow ledger verify.");
    }

    public async IAsyncEnumerable<LedgerRecord> ReadAllAsync(long fromSeq = 0, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        for (var seq = fromSeq; seq < Head; seq++)
            yield return await ReadAsync(seq, cancellationToken);
    }

    public async IAsyncEnumerable<LedgerRecord> ReadStreamAsync(string stream, long fromSeq = 0, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var seq in _index.SeqsOfStream(stream, fromSeq))
            yield return await ReadAsync(seq, cancellationToken);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// A scan that starts on recent records (a follower catching up after each commit) runs on the caller's thread: they
    /// are in memory, no I/O. Any other runs ahead of its caller on another thread, so that reading, verifying and decoding
    /// the records overlaps what the caller does with them.
    /// </remarks>
    public IAsyncEnumerable<LedgerRecord> ScanAsync(long fromSeq = 0, LedgerScanFilter? filter = null, CancellationToken cancellationToken = default) =>
        ScanAsync(fromSeq, filter, SegmentScanner.Records, cancellationToken);

    /// <inheritdoc/>
    public async IAsyncEnumerable<T> ScanAsync<T>(long fromSeq, LedgerScanFilter? filter, Func<LedgerRecordView, T> decode, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(decode);
        var head = Head;
        var from = Math.Max(0, fromSeq);
        var scan = from >= head || _index.TryGetCached(from, out _)
            ? ScanInOrderAsync(from, head, filter, decode, cancellationToken).Select(read => read.Item)
            : ReadAhead.EnumerateAsync(stop => ScanInOrderAsync(from, head, filter, decode, stop), ScanBatchRecords, ScanBatchesAhead, ScanBatchBytes, cancellationToken);
        await foreach (var item in scan)
            yield return item;
    }

    /// <summary>
    /// Records <paramref name="seq"/> to <paramref name="head"/> - 1 that <paramref name="filter"/> asks for, decoded, on the
    /// caller's thread, each with its size in bytes.
    /// </summary>
    /// <remarks>
    /// With streams named, only the stretches of segments that hold them are read: the index knows where each stream's
    /// records lie, and a day's reconciliation reads its claims apart from twice as many bytes of journals, and the reverse.
    /// </remarks>
    private async IAsyncEnumerable<(T Item, int Size)> ScanInOrderAsync<T>(long seq, long head, LedgerScanFilter? filter, Func<LedgerRecordView, T> decode,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var runs = filter is { Streams.Count: > 0 } ? _index.StreamRuns(filter.Streams, seq, head, ScanGapBytes) : [(seq, head)];
        foreach (var (from, end) in runs)
        {
            await foreach (var read in ScanRangeAsync(from, end, filter, decode, cancellationToken))
                yield return read;
        }
    }

    /// <summary>Records <paramref name="seq"/> to <paramref name="head"/> - 1 that <paramref name="filter"/> asks for, read in order and decoded.</summary>
    private async IAsyncEnumerable<(T Item, int Size)> ScanRangeAsync<T>(long seq, long head, LedgerScanFilter? filter, Func<LedgerRecordView, T> decode,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (seq < head)
        {
            // Recent records are in memory (a follower catching up after each commit reads only those): no I/O for them.
            if (_index.TryGetCached(seq, out var cached))
            {
                if (filter is null || filter.Matches(cached.Stream, cached.Type))
                    yield return (decode(cached), cached.Payload.Length);
                seq++;
                continue;
            }

            // The index says which bytes of the segment hold records seq..run.EndSeq-1: a torn tail cut off at start-up,
            // segments abandoned by a repair and a commit still being written lie outside them.
            var run = _index.SegmentRun(seq, head);
            var name = _options.SegmentName(run.Segment);
            var scan = new SegmentScan();
            await foreach (var (item, recordSeq, offset, length) in SegmentScanner.ScanAsync(_store, name, run.Offset, scan, decode, filter, run.EndOffset, ScansCheckHashes, cancellationToken))
            {
                if (recordSeq < seq || recordSeq >= run.EndSeq)
                    throw new InvalidDataException($"{name} at offset {offset} holds record {recordSeq} where records {seq} to {run.EndSeq - 1} were indexed; run healthflow ledger verify.");
                seq = recordSeq + 1;
                yield return (item, length);
            }
            if (scan.End != SegmentEnd.Clean || scan.ValidLength != run.EndOffset)
                throw new InvalidDataException($"{name} at offset {scan.ValidLength}: {scan.Problem ?? "ends early"}; run healthflow ledger verify.");
            seq = run.EndSeq;
        }
    }

    public async IAsyncEnumerable<LedgerRecord> ReadCorrelationAsync(string correlationId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var seq in _index.SeqsOfCorrelation(correlationId))
            yield return await ReadAsync(seq, cancellationToken);
    }

    public Task WaitForAppendAsync(long head, CancellationToken cancellationToken = default)
    {
        var signal = Volatile.Read(ref _appended);
        return Head > head ? Task.CompletedTask : signal.Task.WaitAsync(cancellationToken);
    }

    public Task WaitForAppendAsync(string stream, long fromSeq, CancellationToken cancellationToken = default)
    {
        // Registered before the index is looked at: a commit indexes its records before it completes the waits of their
        // streams, so a record is either found here or completes this wait.
        var signal = _streamWaits.GetOrAdd(stream, static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        return _index.HasRecordOf(stream, fromSeq) ? Task.CompletedTask : signal.Task.WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer;
        _stopping.Dispose();
    }

    private async Task WriteLoopAsync()
    {
        var released = 0;
        while (await _queue.Reader.WaitToReadAsync())
        {
            _batch.Clear();
            _commit.Start(_nextSeq, _lastHash, _clock.GetUtcNow());
            try
            {
                // The callers the previous commit released append again from thread-pool continuations, which may not
                // all have run yet. While they are still arriving, yield so they run and join this commit: with N
                // writers each commit then carries about N records, not N/2 (two half batches alternating). Records
                // are encoded and hashed as they are taken, so with a second core free that overlaps the stragglers'
                // arrival. A lone writer does not pay for the hop.
                while (TakeQueued() > 0 && _batch.Count < released && !BatchIsFull)
                    await Task.Yield();
                if (_fault is { } fault)
                    throw new LedgerBrokenException(fault);
                var first = _commit.Count > 0 ? await CommitBatchAsync(CancellationToken.None) : await CatchUpOnlyAsync();
                foreach (var pending in _batch)
                {
                    pending.TrySetResult(first);
                    first += pending.Entries.Count;
                }
                released = _batch.Count;
            }
            catch (Exception ex)
            {
                released = 0;
                foreach (var pending in _batch)
                    pending.TrySetException(ex);
                // After an I/O failure we cannot know what reached the store; re-read the tail before the next commit.
                if (ex is not LedgerBrokenException)
                    await ResynchroniseAfterFailureAsync();
            }
        }
    }

    private bool BatchIsFull => _commit.Count >= _options.MaxBatchRecords || _commit.Bytes.Length >= _options.MaxBatchBytes;

    /// <summary>Takes queued appends into the batch, encoding them, until the queue is empty or the batch full; returns how many.</summary>
    private int TakeQueued()
    {
        var taken = 0;
        while (!BatchIsFull && _queue.Reader.TryRead(out var pending))
        {
            _batch.Add(pending);
            Encode(pending);
            taken++;
        }
        return taken;
    }

    private void Encode(PendingAppend pending)
    {
        for (var i = 0; i < pending.Entries.Count; i++)
            _commit.Add(pending.Entries[i]);
    }

    /// <summary>Commits the batch as contiguous records in the current segment; returns the first sequence number.</summary>
    private async Task<long> CommitBatchAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_segmentSealed || _segmentAppends >= _options.SegmentMaxAppends
                || (_segmentLength + _commit.Bytes.Length > _options.SegmentMaxBytes && _segmentAppends > 1))
            {
                await RollOverAsync(cancellationToken);
                continue;
            }
            if (_commit.FirstSeq != _nextSeq)
            {
                // The chain moved on since the batch was encoded (a roll-over, another writer): link it after the new head.
                _commit.Start(_nextSeq, _lastHash, _clock.GetUtcNow());
                foreach (var pending in _batch)
                    Encode(pending);
            }
            var first = _commit.FirstSeq;
            if (await TryAppendAsync(_commit, cancellationToken) == AppendStatus.Appended)
                return first;
            await CatchUpAsync(cancellationToken);
        }
    }

    /// <summary>A batch of refresh requests only: reads other writers' appends; returns the head.</summary>
    private async Task<long> CatchUpOnlyAsync()
    {
        await CatchUpAsync(CancellationToken.None);
        return _nextSeq;
    }

    /// <summary>Seals the current segment (so a late writer's append to it conflicts) and opens the next.</summary>
    private async Task RollOverAsync(CancellationToken cancellationToken)
    {
        if (!_segmentSealed)
        {
            if (await TryAppendAsync(SystemRecords.Sealed(_segment), cancellationToken) != AppendStatus.Appended)
            {
                await CatchUpAsync(cancellationToken);
                return;
            }
            _segmentSealed = true;
        }
        var next = _segment + 1;
        await OpenSegmentAsync(next, new SegmentOpening(next, _segment, _segmentLength, 0, null), cancellationToken);
    }

    private async Task OpenSegmentAsync(int segment, SegmentOpening opening, CancellationToken cancellationToken)
    {
        var name = _options.SegmentName(segment);
        await _store.CreateIfAbsentAsync(name, cancellationToken);
        var info = await _store.GetInfoAsync(name, cancellationToken);
        if (info is { Length: > 0 })
        {
            // Another writer opened it first.
            await CatchUpAsync(cancellationToken);
            return;
        }
        _segment = segment;
        _segmentLength = 0;
        _segmentAppends = 0;
        _segmentSealed = false;
        if (await TryAppendAsync(SystemRecords.Opened(opening), cancellationToken) != AppendStatus.Appended)
            await CatchUpAsync(cancellationToken);
    }

    /// <summary>Appends one of the ledger's own records at the head, in a commit of its own.</summary>
    private Task<AppendStatus> TryAppendAsync(LedgerEntry entry, CancellationToken cancellationToken)
    {
        var commit = new CommitBuffer();
        commit.Start(_nextSeq, _lastHash, _clock.GetUtcNow());
        commit.Add(entry);
        return TryAppendAsync(commit, cancellationToken);
    }

    /// <summary>Appends <paramref name="commit"/> (encoded after the head) to the current segment if nobody else appended first.</summary>
    private async Task<AppendStatus> TryAppendAsync(CommitBuffer commit, CancellationToken cancellationToken)
    {
        var result = await _store.AppendAsync(_options.SegmentName(_segment), _segmentLength, commit.Bytes, cancellationToken);
        if (result.Status != AppendStatus.Appended)
            return result.Status;
        // One index update (one lock) per commit rather than per record: readers contend with the writer less.
        commit.AddTo(_index, _segment, _segmentLength);
        _nextSeq = commit.NextSeq;
        _lastHash = commit.LastHash;
        _segmentLength = result.Length;
        _segmentAppends++;
        Signal(commit.Records);
        return AppendStatus.Appended;
    }

    /// <summary>
    /// Reads what another writer appended since our last commit and links our state after it. A partial record
    /// at the end is another writer's append in flight, unless <paramref name="cutPartialTail"/> says it is the
    /// remains of our own failed write, which is then cut off by opening the next segment.
    /// </summary>
    private async Task CatchUpAsync(CancellationToken cancellationToken, bool cutPartialTail = false)
    {
        while (true)
        {
            var scan = new SegmentScan();
            await foreach (var (record, _, offset, length) in SegmentScanner.ScanAsync(_store, _options.SegmentName(_segment), _segmentLength, scan, SegmentScanner.Records, cancellationToken: cancellationToken))
            {
                if (record.Seq != _nextSeq || !record.PrevHash.AsSpan().SequenceEqual(_lastHash))
                {
                    _fault = new LedgerFault(_options.SegmentName(_segment), offset, record.Seq, "another writer's record does not link to ours");
                    throw new LedgerBrokenException(_fault);
                }
                _index.Add(record, new RecordLocation(_segment, offset, length), cache: true);
                _nextSeq++;
                _lastHash = record.Hash;
                _segmentLength = offset + length;
                _segmentAppends++;
                _segmentSealed = record.Stream == SystemRecords.Stream && record.Type == SystemRecords.SegmentSealed;
                SignalStream(record.Stream);
            }
            Signal();
            if (scan.End != SegmentEnd.Clean)
            {
                if (cutPartialTail)
                    await OpenSegmentAfterCutAsync(scan, cancellationToken);
                return;
            }
            var next = await _store.GetInfoAsync(_options.SegmentName(_segment + 1), cancellationToken);
            if (next is null)
                return;
            if (next.Value.Length == 0)
                return; // created but not yet opened: the roll-over in progress will open it
            // A writer seals a segment before it opens the next, so an unsealed one gained its seal after our scan read
            // its end: read it before moving on, or the next segment's first record would not link to ours.
            if (!_segmentSealed)
                continue;
            _segment++;
            _segmentLength = 0;
            _segmentAppends = 0;
            _segmentSealed = false;
        }
    }

    private async Task OpenSegmentAfterCutAsync(SegmentScan scan, CancellationToken cancellationToken)
    {
        var next = _segment + 1;
        await OpenSegmentAsync(next, new SegmentOpening(next, _segment, scan.ValidLength, scan.PhysicalLength - scan.ValidLength, null), cancellationToken);
    }

    private async Task ResynchroniseAfterFailureAsync()
    {
        try
        {
            await CatchUpAsync(CancellationToken.None, cutPartialTail: true);
        }
        catch (Exception ex) when (ex is IOException or LedgerBrokenException)
        {
            // The store is still failing or the chain is broken; the next commit reports it to its callers.
        }
    }

    private void Signal()
    {
        var previous = Interlocked.Exchange(ref _appended, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        previous.TrySetResult();
    }

    /// <summary><see cref="Signal()"/>, and the waits on the streams of <paramref name="records"/>, indexed by now.</summary>
    private void Signal(IReadOnlyList<LedgerRecord> records)
    {
        Signal();
        if (_streamWaits.IsEmpty)
            return;
        for (var i = 0; i < records.Count; i++)
            SignalStream(records[i].Stream);
    }

    private void SignalStream(string stream)
    {
        if (_streamWaits.TryRemove(stream, out var waiting))
            waiting.TrySetResult();
    }

    /// <summary>One caller's entries and the sequence number of the first, once durable.</summary>
    private sealed class PendingAppend : TaskCompletionSource<long>
    {
        public PendingAppend(IReadOnlyList<LedgerEntry> entries)
            : base(TaskCreationOptions.RunContinuationsAsynchronously)
        {
            // Refuse a record that cannot be encoded here, in its caller, rather than fail the commit it would share.
            for (var i = 0; i < entries.Count; i++)
                RecordCodec.CheckEncodable(entries[i]);
            Entries = entries;
        }

        public IReadOnlyList<LedgerEntry> Entries { get; }
    }
}
