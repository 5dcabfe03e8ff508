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
