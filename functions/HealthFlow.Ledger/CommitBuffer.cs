using System.Buffers;

namespace HealthFlow.Ledger;

/// <summary>
/// Records encoded and hash-chained after a given chain position, ready for one conditional append. The write
/// loop keeps one and reuses it for every commit, so encoding a commit allocates only the records themselves.
/// </summary>
internal sealed class CommitBuffer(int initialCapacity = 4096)
{
    private readonly ArrayBufferWriter<byte> _bytes = new(initialCapacity);
    private readonly List<LedgerRecord> _records = [];
    private readonly List<int> _lengths = [];
    private DateTimeOffset _time;

    /// <summary>Sequence number of the first record: the chain position this buffer was encoded after.</summary>
    public long FirstSeq { get; private set; }

    /// <summary>The next record's sequence number once these records are durable.</summary>
    public long NextSeq => FirstSeq + _records.Count;

    /// <summary>Hash of the last record encoded (or of the record before the first, when empty).</summary>
    public byte[] LastHash { get; private set; } = RecordCodec.Genesis;

    public int Count => _records.Count;

    public IReadOnlyList<LedgerRecord> Records => _records;

    public ReadOnlyMemory<byte> Bytes => _bytes.WrittenMemory;

    /// <summary>Empties the buffer and chains what is added next after record <paramref name="seq"/> − 1.</summary>
    public void Start(long seq, byte[] prevHash, DateTimeOffset time)
    {
        _bytes.ResetWrittenCount();
        _records.Clear();
        _lengths.Clear();
        FirstSeq = seq;
        LastHash = prevHash;
        _time = time;
    }

    public void Add(LedgerEntry entry)
    {
        // Each record keeps its own hash array (records are handed out by the cache), so one allocation per record stays.
        var hash = new byte[RecordCodec.HashSize];
        var seq = NextSeq;
        _lengths.Add(RecordCodec.Encode(entry, seq, _time, LastHash, _bytes, hash));
        _records.Add(new LedgerRecord(seq, _time, entry.Stream, entry.Type, entry.Key, entry.CorrelationId, entry.CausationId,
            entry.Payload, LastHash, hash));
        LastHash = hash;
    }

    /// <summary>Indexes the records once they are durable at <paramref name="offset"/> of <paramref name="segment"/>.</summary>
    public void AddTo(LedgerIndex index, int segment, long offset) => index.AddRange(_records, _lengths, segment, offset);
}
