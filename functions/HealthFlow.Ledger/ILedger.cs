namespace HealthFlow.Ledger;

/// <summary>
/// HealthFlow's system of record: an append-only, hash-chained sequence of records in one partition.
/// </summary>
/// <remarks>
/// Invariants: an append that returned is durable; sequence numbers are dense from 0 and follow commit order;
/// a batch appended together is contiguous and committed in one write; every record's hash covers its bytes
/// and the previous record's hash. Reads never see a record before it is durable.
/// </remarks>
public interface ILedger
{
    /// <summary>Number of durable records, i.e. the sequence number the next record will get.</summary>
    long Head { get; }

    /// <summary>Appends one record; returns its sequence number once it is durable.</summary>
    /// <exception cref="LedgerBrokenException">The chain is broken and awaits repair.</exception>
    ValueTask<long> AppendAsync(LedgerEntry entry, CancellationToken cancellationToken = default);

    /// <summary>Appends records in one commit, contiguous and in order; returns the first sequence number.</summary>
    ValueTask<long> AppendBatchAsync(IReadOnlyList<LedgerEntry> entries, CancellationToken cancellationToken = default);

    /// <summary>Reads the record with sequence number <paramref name="seq"/> (below <see cref="Head"/>).</summary>
    ValueTask<LedgerRecord> ReadAsync(long seq, CancellationToken cancellationToken = default);

    /// <summary>Records from <paramref name="fromSeq"/> up to the head as it is when enumeration reaches it.</summary>
    IAsyncEnumerable<LedgerRecord> ReadAllAsync(long fromSeq = 0, CancellationToken cancellationToken = default);

    /// <summary>Records of one stream with sequence number at least <paramref name="fromSeq"/>, in order.</summary>
    IAsyncEnumerable<LedgerRecord> ReadStreamAsync(string stream, long fromSeq = 0, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records from <paramref name="fromSeq"/> up to the head as it is when the scan starts, in order, that
    /// <paramref name="filter"/> asks for (all when null): the same records, byte for byte, as <see cref="ReadAsync"/>
    /// returns for those positions. Reads the segments sequentially in large chunks and steps over the records the filter
    /// leaves out without decoding them, so a pass over most of the ledger (a rebuild, a reconciliation) costs a fraction of
    /// reading its records one by one; <see cref="ReadStreamAsync"/> suits a stream that is a small part of the ledger.
    /// </summary>
    /// <exception cref="InvalidDataException">A segment's bytes no longer hold the records indexed at start-up.</exception>
    IAsyncEnumerable<LedgerRecord> ScanAsync(long fromSeq = 0, LedgerScanFilter? filter = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// <see cref="ScanAsync(long, LedgerScanFilter?, CancellationToken)"/> with each record passed through <paramref name="decode"/>
    /// where the scan reads it: for records read from the store, straight from the bytes read, once checked (their hash too, unless
    /// <see cref="LedgerOptions.ScansCheckHashes"/> is off),
    /// ahead of the caller on other threads, several records at once, so that parsing payloads overlaps what the caller does
    /// with the previous ones and uses every core. The view is valid only during the call (<see cref="LedgerRecordView.ToRecord"/>
    /// keeps a record). <paramref name="decode"/> is called once per record, possibly concurrently and out of order, so it must be
    /// thread-safe; what it throws for the first record that fails is thrown to the caller after the records before.
    /// </summary>
    IAsyncEnumerable<T> ScanAsync<T>(long fromSeq, LedgerScanFilter? filter, Func<LedgerRecordView, T> decode, CancellationToken cancellationToken = default);

    /// <summary>Every record carrying <paramref name="correlationId"/>, in order.</summary>
    IAsyncEnumerable<LedgerRecord> ReadCorrelationAsync(string correlationId, CancellationToken cancellationToken = default);

    /// <summary>True when other processes append to this partition, so records arrive that this process did not write.</summary>
    bool HasOtherWriters { get; }

    /// <summary>
    /// Reads what other writers appended since this process last looked, so reads and <see cref="Head"/> include it;
    /// returns the head afterwards. Without other writers there is nothing to read and it returns at once.
    /// </summary>
    ValueTask<long> RefreshAsync(CancellationToken cancellationToken = default);

    /// <summary>Completes once <see cref="Head"/> is greater than <paramref name="head"/>.</summary>
    Task WaitForAppendAsync(long head, CancellationToken cancellationToken = default);

    /// <summary>
    /// Completes once <paramref name="stream"/> has a record with a sequence number at least <paramref name="fromSeq"/>:
    /// a follower of one stream (a topic's receivers) is not woken by every other stream's appends.
    /// </summary>
    Task WaitForAppendAsync(string stream, long fromSeq, CancellationToken cancellationToken = default);
}
