using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using HealthFlow.Ledger.Storage;

namespace HealthFlow.Ledger;

/// <summary>How a segment's bytes end.</summary>
internal enum SegmentEnd
{
    /// <summary>Every byte belongs to a whole, valid record.</summary>
    Clean,
    /// <summary>The tail is a partial record or zero fill: a write that never completed.</summary>
    Torn,
    /// <summary>Bytes that are not a valid record (wrong hash, impossible length).</summary>
    Invalid,
}

/// <summary>What scanning one segment found after the last valid record.</summary>
internal sealed class SegmentScan
{
    public long ValidLength { get; set; }
    public long PhysicalLength { get; set; }
    public SegmentEnd End { get; set; }
    public string? Problem { get; set; }
}

/// <summary>
/// Reads a segment's records in order, in large chunks, and reports how the segment ends. The records of a chunk are
/// hash-checked and decoded together, in parts on several cores, straight from the chunk's buffer: each hash covers only
/// its own record's bytes (the stored previous hash included), so records can be checked in any order, and the first that
/// fails is still named exactly. Whether each record links to the one before it is its reader's check, in order.
/// </summary>
internal static class SegmentScanner
{
    private const int ChunkBytes = 1024 * 1024;
    // Below this many bytes of records, handing some of them to another thread costs more than it saves.
    private const int ParallelBytes = 64 * 1024;

    /// <summary>
    /// How many parts a chunk's records are checked and decoded in: a few per core, so that a core another process holds
    /// does not leave the rest waiting on its part.
    /// </summary>
    private static readonly int Parts = Environment.ProcessorCount == 1 ? 1 : 4 * Environment.ProcessorCount;

    /// <summary>Makes the record a view shows: for readers that keep records.</summary>
    public static readonly Func<LedgerRecordView, LedgerRecord> Records = static record => record.ToRecord();

    /// <summary>
    /// The records of segment <paramref name="name"/> from byte <paramref name="from"/> up to <paramref name="to"/> (or its
    /// end), each verified, then passed through <paramref name="decode"/> (on several threads at once, so it must be
    /// thread-safe); with a <paramref name="filter"/>, the records it does not ask for are stepped over unverified. Without
    /// <paramref name="checkHashes"/> (records this process has verified before) a record's hash is not computed again: its
    /// frame, version and field lengths are still checked.
    /// <paramref name="result"/> says how the bytes scanned end; what <paramref name="decode"/> throws for the first record
    /// that fails is thrown after the records before it.
    /// </summary>
    public static async IAsyncEnumerable<(T Item, long Seq, long Offset, int Length)> ScanAsync<T>(
        IBlobStore store, string name, long from, SegmentScan result, Func<LedgerRecordView, T> decode, LedgerScanFilter? filter = null, long to = long.MaxValue,
        bool checkHashes = true, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var info = await store.GetInfoAsync(name, cancellationToken) ?? throw new BlobNotFoundException(name);
        result.PhysicalLength = info.Length;
        var end = Math.Min(info.Length, to);
        // Pooled: a scan of a few streams reads a segment in many short stretches, each a call here.
        var rented = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        var buffer = rented;
        try
        {
            var bufferStart = from; // file offset of buffer[0]
            var filled = 0;
            var position = 0;       // index in buffer of the next record
            var chunk = new Chunk<T>();
            while (true)
            {
                var framed = chunk.Frame(buffer, position, filled, filter, out var status, out var problem);
                var (good, invalid, failure) = chunk.Decode(buffer, decode, checkHashes);
                (position, status, problem) = good < chunk.Frames.Count && failure is null
                    ? (chunk.Frames[good].Start, RecordCodec.DecodeStatus.Invalid, invalid)
                    : (framed, status, problem);
                for (var i = 0; i < good; i++)
                    yield return (chunk.Take(i), chunk.Seqs[i], bufferStart + chunk.Frames[i].Start, chunk.Frames[i].Length);
                failure?.Throw();
                chunk.Clear();
                var offset = bufferStart + position;
                if (status == RecordCodec.DecodeStatus.Invalid)
                {
                    result.ValidLength = offset;
                    result.End = IsZeroFill(buffer.AsSpan(position, filled - position)) && await RestIsZeroAsync(store, name, bufferStart + filled, end, cancellationToken)
                        ? SegmentEnd.Torn
                        : SegmentEnd.Invalid;
                    result.Problem = result.End == SegmentEnd.Torn ? "zero-filled tail" : problem;
                    yield break;
                }
                // Incomplete: move the partial record to the front and read more.
                var remaining = filled - position;
                if (bufferStart + filled >= end)
                {
                    result.ValidLength = offset;
                    result.End = remaining == 0 ? SegmentEnd.Clean : SegmentEnd.Torn;
                    result.Problem = remaining == 0 ? null : $"partial record of {remaining} bytes at the end";
                    yield break;
                }
                var needed = remaining >= 4 ? Math.Max(ChunkBytes, System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(buffer.AsSpan(position)) + 4) : ChunkBytes;
                var next = needed > buffer.Length ? new byte[needed] : buffer;
                Buffer.BlockCopy(buffer, position, next, 0, remaining);
                buffer = next;
                bufferStart += position;
                position = 0;
                filled = remaining;
                while (filled < buffer.Length && bufferStart + filled < end)
                {
                    var read = await store.ReadAsync(name, bufferStart + filled, buffer.AsMemory(filled, (int)Math.Min(buffer.Length - filled, end - bufferStart - filled)), cancellationToken);
                    if (read == 0)
                        break;
                    filled += read;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>A whole record frame in the buffer: where it starts and how long it is.</summary>
    private readonly record struct Frame(int Start, int Length);

    /// <summary>The records a scan has framed in its buffer, then verified and decoded; reused from one chunk to the next.</summary>
    private sealed class Chunk<T>
    {
        private T[] _items = [];
        // One per part: the parts decode at once.
        private readonly RecordCodec.RecentTexts[] _texts = [.. Enumerable.Range(0, Parts).Select(_ => new RecordCodec.RecentTexts())];
        private readonly (int Good, string? Problem, ExceptionDispatchInfo? Failure)[] _results = new (int, string?, ExceptionDispatchInfo?)[Parts];

        public List<Frame> Frames { get; } = [];

        /// <summary>Each decoded record's sequence number.</summary>
        public long[] Seqs { get; private set; } = [];

        /// <summary>
        /// Frames the whole records in <paramref name="buffer"/> from <paramref name="position"/> on that <paramref name="filter"/>
        /// asks for, stepping over the others; returns where the framing stopped and why (<see cref="RecordCodec.DecodeStatus.Incomplete"/>:
        /// read more; <see cref="RecordCodec.DecodeStatus.Invalid"/>: an impossible length).
        /// </summary>
        public int Frame(byte[] buffer, int position, int filled, LedgerScanFilter? filter, out RecordCodec.DecodeStatus status, out string? problem)
        {
            while (true)
            {
                var rest = buffer.AsSpan(position, filled - position);
                if (filter is not null && RecordCodec.CanSkip(rest, filter, out var skipped))
                {
                    position += skipped;
                    continue;
                }
                status = RecordCodec.TryFrame(rest, out var length, out problem);
                if (status != RecordCodec.DecodeStatus.Ok)
                    return position;
                Frames.Add(new Frame(position, length));
                position += length;
            }
        }

        /// <summary>
        /// Verifies the framed records and passes each good one through <paramref name="decode"/>: how many, from the first,
        /// are decoded, and what is wrong with the next (its bytes, or what its decode threw).
        /// </summary>
        public (int Good, string? Problem, ExceptionDispatchInfo? Failure) Decode(byte[] buffer, Func<LedgerRecordView, T> decode, bool checkHashes)
        {
            if (_items.Length < Frames.Count)
            {
                _items = new T[Math.Max(Frames.Count, 2 * _items.Length)];
                Seqs = new long[_items.Length];
            }
            var bytes = Frames.Count == 0 ? 0 : Frames[^1].Start + Frames[^1].Length - Frames[0].Start;
            if (bytes < ParallelBytes || Parts == 1)
                return Decode(buffer, decode, checkHashes, 0, 0, Frames.Count);
            Parallel.For(0, Parts, part => _results[part] = Decode(buffer, decode, checkHashes, part, PartStart(part, bytes), PartStart(part + 1, bytes)));
            return _results.MinBy(result => result.Good);
        }

        /// <summary>
        /// The first frame of part <paramref name="part"/>: parts hold about equal bytes, not equal counts, since checking and
        /// decoding cost follows bytes (an 835 of 300 KB among journals of 600 bytes would otherwise make one part outlast the rest).
        /// </summary>
        private int PartStart(int part, int bytes)
        {
            var target = Frames[0].Start + (int)((long)bytes * part / Parts);
            var (low, high) = (0, Frames.Count);
            while (low < high)
            {
                var middle = (low + high) >>> 1;
                (low, high) = Frames[middle].Start < target ? (middle + 1, high) : (low, middle);
            }
            return low;
        }

        /// <summary>Decodes <see cref="Frames"/>[<paramref name="from"/>..<paramref name="to"/>): the first that fails and why, or all frames' count.</summary>
        private (int Good, string? Problem, ExceptionDispatchInfo? Failure) Decode(byte[] buffer, Func<LedgerRecordView, T> decode, bool checkHashes, int part, int from, int to)
        {
            for (var i = from; i < to; i++)
            {
                if (RecordCodec.TryReadFrame(buffer.AsSpan(Frames[i].Start, Frames[i].Length), _texts[part], out var record, out var problem, checkHashes) != RecordCodec.DecodeStatus.Ok)
                    return (i, problem, null);
                Seqs[i] = record.Seq;
                try
                {
                    _items[i] = decode(record);
                }
                catch (Exception ex)
                {
                    return (i, null, ExceptionDispatchInfo.Capture(ex));
                }
            }
            return (Frames.Count, null, null);
        }

        /// <summary>Decoded item <paramref name="index"/>, no longer held here.</summary>
        public T Take(int index)
        {
            var item = _items[index];
            _items[index] = default!;
            return item;
        }

        /// <summary>Forgets the frames and any items decoded past a failure.</summary>
        public void Clear()
        {
            Array.Clear(_items, 0, Frames.Count);
            Frames.Clear();
        }
    }

    private static bool IsZeroFill(ReadOnlySpan<byte> bytes) => !bytes.ContainsAnyExcept((byte)0);

    private static async Task<bool> RestIsZeroAsync(IBlobStore store, string name, long from, long length, CancellationToken cancellationToken)
    {
        var buffer = new byte[ChunkBytes];
        while (from < length)
        {
            var read = await store.ReadAsync(name, from, buffer.AsMemory(0, (int)Math.Min(buffer.Length, length - from)), cancellationToken);
            if (read == 0)
                break;
            if (!IsZeroFill(buffer.AsSpan(0, read)))
                return false;
            from += read;
        }
        return true;
    }
}
