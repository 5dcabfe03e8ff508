namespace HealthFlow.Ledger;

/// <summary>
/// What a caller asks the ledger to append. The ledger adds the sequence number, time and hashes.
/// </summary>
/// <param name="Stream">Logical stream, e.g. <c>raw/acme</c>, <c>topic/remittances</c>; streams starting with '$' are the ledger's own.</param>
/// <param name="Type">Record type, e.g. <c>RawReceived</c>, <c>RemittanceReceived</c>.</param>
/// <param name="Key">The source's identity for this record (an idempotency key); empty when none.</param>
/// <param name="CorrelationId">The ingest receipt this record descends from.</param>
/// <param name="CausationId">The record or message that caused this one.</param>
/// <param name="Payload">Opaque bytes (JSON for events; raw payloads may be encrypted). Never logged.</param>
public sealed record LedgerEntry(
    string Stream,
    string Type,
    string Key,
    string CorrelationId,
    string CausationId,
    ReadOnlyMemory<byte> Payload);

/// <summary>
/// A durable ledger record. <see cref="Hash"/> is SHA-256 over the record's encoding up to and including
/// <see cref="PrevHash"/>, and <see cref="PrevHash"/> is the previous record's hash in the same partition,
/// so changing, removing or reordering any record breaks the chain from that point on.
/// </summary>
public sealed record LedgerRecord(
    long Seq,
    DateTimeOffset Time,
    string Stream,
    string Type,
    string Key,
    string CorrelationId,
    string CausationId,
    ReadOnlyMemory<byte> Payload,
    byte[] PrevHash,
    byte[] Hash);

/// <summary>Where a record lives: segment number, byte offset in the segment and encoded length.</summary>
public readonly record struct RecordLocation(int Segment, long Offset, int Length);

/// <summary>
/// A ledger record as <see cref="ILedger.ScanAsync{T}"/> passes it to its decoder: the record's fields, with the payload a span
/// over the bytes the scan read, valid only during that call. Reading a record this way copies nothing: its key is decoded
/// only when asked for, and <see cref="ToRecord"/> makes a <see cref="LedgerRecord"/> only for a reader that keeps one.
/// </summary>
public readonly ref struct LedgerRecordView
{
    private readonly LedgerRecord? _record;
    private readonly ReadOnlySpan<byte> _key;
    private readonly ReadOnlySpan<byte> _hashes; // previous hash, then hash

    /// <summary>A view of a record already in memory.</summary>
    public LedgerRecordView(LedgerRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        _record = record;
        (Seq, Time, Stream, Type, CorrelationId, CausationId) = (record.Seq, record.Time, record.Stream, record.Type, record.CorrelationId, record.CausationId);
        Payload = record.Payload.Span;
    }

    /// <summary>A view of a record's fields in its encoded frame (<see cref="RecordCodec"/>).</summary>
    internal LedgerRecordView(long seq, DateTimeOffset time, string stream, string type, ReadOnlySpan<byte> key, string correlationId, string causationId,
        ReadOnlySpan<byte> payload, ReadOnlySpan<byte> hashes)
    {
        (Seq, Time, Stream, Type, CorrelationId, CausationId) = (seq, time, stream, type, correlationId, causationId);
        Payload = payload;
        _key = key;
        _hashes = hashes;
    }

    public static implicit operator LedgerRecordView(LedgerRecord record) => new(record);

    public long Seq { get; }
    public DateTimeOffset Time { get; }
    public string Stream { get; }
    public string Type { get; }

    /// <summary>The record's key, decoded on each call: an idempotency key is seldom needed and seldom shared.</summary>
    public string Key => _record?.Key ?? System.Text.Encoding.UTF8.GetString(_key);

    public string CorrelationId { get; }
    public string CausationId { get; }

    /// <summary>The payload: the scan's bytes, to read during the call only.</summary>
    public ReadOnlySpan<byte> Payload { get; }

    /// <summary>The record as an object of its own, payload and hashes copied (the same object for a record in memory).</summary>
    public LedgerRecord ToRecord() => _record ?? new LedgerRecord(Seq, Time, Stream, Type, Key, CorrelationId, CausationId, Payload.ToArray(),
        _hashes[..RecordCodec.HashSize].ToArray(), _hashes[RecordCodec.HashSize..].ToArray());
}
