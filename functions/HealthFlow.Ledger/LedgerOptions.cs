namespace HealthFlow.Ledger;

/// <summary>Tuning of one ledger partition. Defaults suit both stores; see docs/PERFORMANCE.md for measurements.</summary>
public sealed class LedgerOptions
{
    /// <summary>Partition name: one hash chain, one writer at a time. Segments live under <c>ledger/{Partition}/</c>.</summary>
    public string Partition { get; init; } = "p0";

    /// <summary>A segment is sealed and a new one opened when it would grow past this many bytes.</summary>
    public long SegmentMaxBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>
    /// A segment is sealed after this many appends (group commits). Azure append blobs take at most 50,000
    /// appended blocks, and each commit is one block.
    /// </summary>
    public int SegmentMaxAppends { get; init; } = 49_000;

    /// <summary>Most records one group commit takes from the queue.</summary>
    public int MaxBatchRecords { get; init; } = 4096;

    /// <summary>A group commit stops taking records once it holds this many bytes (Azure's classic append block size).</summary>
    public int MaxBatchBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>Appends waiting for a commit beyond which callers wait (back-pressure).</summary>
    public int QueueCapacity { get; init; } = 65_536;

    /// <summary>Recent records kept in memory so subscribers read what was just written without I/O.</summary>
    public int CacheRecords { get; init; } = 65_536;

    /// <summary>Only payloads up to this size are cached.</summary>
    public int CachePayloadMaxBytes { get; init; } = 64 * 1024;

    /// <summary>
    /// True where other processes append to this partition too (the Functions app: every instance writes the same
    /// ledger), so <see cref="ILedger.RefreshAsync"/> reads their appends. False where this process is the only writer
    /// (the local runtime owns its data folder), and a refresh has nothing to read.
    /// </summary>
    public bool SharedWithOtherWriters { get; init; }

    /// <summary>
    /// Whether <see cref="ILedger.ScanAsync(long, LedgerScanFilter?, CancellationToken)"/> checks each record's hash again. Opening
    /// walks the whole chain and checks every record's hash and link, and records another writer appends are checked as
    /// a refresh reads them in, so a scan only re-reads bytes this process has verified; it always checks their framing,
    /// version, field lengths and sequence numbers against the index. True (the default) also catches bytes changed on
    /// disk since the open, which a long-running process (<c>healthflow serve</c>) needs. False suits a batch command that
    /// opens the ledger, scans it once and exits (<c>healthflow reconcile</c>, <c>healthflow rebuild</c>): its scan follows
    /// the walk that verified the same bytes by seconds. <c>healthflow ledger verify</c> checks every hash either way.
    /// </summary>
    public bool ScansCheckHashes { get; init; } = true;

    internal string SegmentPrefix => $"ledger/{Partition}/";

    internal string SegmentName(int segment) => $"{SegmentPrefix}{segment:D10}.seg";
}
