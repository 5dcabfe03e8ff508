using System.Buffers;
using System.Runtime.CompilerServices;
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
/// hash-checked and decoded together, in parts on several cores: each hash covers only its own record's bytes (the stored
/// previous hash included), so records can be checked in any order, and the first that fails is still named exactly.
/// Whether each record links to the one before it is its reader's check, in order.
/// </summary>
internal static class SegmentScanner
{
    private const int ChunkBytes = 1024 * 1024;
    // Below this many bytes of records, handing some of them to another thread costs more than it saves.
    private const int ParallelBytes = 64 * 1024;
    private static readonly int Parts = ReadAhead.Parts;

    /// <summary>
    /// The records of segment <paramref name="name"/> from byte <paramref name="from"/> up to <paramref name="to"/> (or its
    /// end), each verified and decoded; with a <paramref name="filter"/>, the records it does not ask for are stepped over
    /// unverified. <paramref name="result"/> says how the bytes scanned end.
    /// </summary>
    public static async IAsyncEnumerable<(LedgerRecord Record, long Offset, int Length)> ScanAsync(
        IBlobStore store, string name, long from, SegmentScan result, LedgerScanFilter? filter = null, long to = long.MaxValue,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
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
            var chunk = new Chunk();
            while (true)
            {
                var framed = chunk.Frame(buffer, position, filled, filter, out var status, out var problem);
                var (good, invalid) = chunk.Decode(buffer);
                (position, status, problem) = good < chunk.Frames.Count
                    ? (chunk.Frames[good].Start, RecordCodec.DecodeStatus.Invalid, invalid)
                    : (framed, status, problem);
                for (var i = 0; i < good; i++)
                    yield return (chunk.Take(i), bufferStart + chunk.Frames[i].Start, chunk.Frames[i].Length);
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
    private sealed class Chunk
    {
        private LedgerRecord?[] _records = [];
        // One per part: the parts decode at once.
        private readonly RecordCodec.RecentTexts[] _texts = [.. Enumerable.Range(0, Parts).Select(_ => new RecordCodec.RecentTexts())];
        private readonly (int Good, string? Problem)[] _results = new (int, string?)[Parts];

        public List<Frame> Frames { get; } = [];

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

        /// <summary>Verifies and decodes the framed records: how many, from the first, are good, and what is wrong with the next.</summary>
        public (int Good, string? Problem) Decode(byte[] buffer)
        {
            if (_records.Length < Frames.Count)
                _records = new LedgerRecord?[Math.Max(Frames.Count, 2 * _records.Length)];
            var bytes = Frames.Count == 0 ? 0 : Frames[^1].Start + Frames[^1].Length - Frames[0].Start;
            if (bytes < ParallelBytes || Parts == 1)
                return Decode(buffer, 0, 0, Frames.Count);
            Parallel.For(0, Parts, part => _results[part] = Decode(buffer, part, Frames.Count * part / Parts, Frames.Count * (part + 1) / Parts));
            return _results.MinBy(result => result.Good);
        }

        /// <summary>Decodes <see cref="Frames"/>[<paramref name="from"/>..<paramref name="to"/>): the first that fails and why, or all frames' count.</summary>
        private (int Good, string? Problem) Decode(byte[] buffer, int part, int from, int to)
        {
            for (var i = from; i < to; i++)
            {
                if (RecordCodec.TryDecodeFrame(buffer.AsSpan(Frames[i].Start, Frames[i].Length), _texts[part], out _records[i], out var problem) != RecordCodec.DecodeStatus.Ok)
                    return (i, problem);
            }
            return (Frames.Count, null);
        }

        /// <summary>Decoded record <paramref name="index"/>, no longer held here.</summary>
        public LedgerRecord Take(int index)
        {
            var record = _records[index]!;
            _records[index] = null;
            return record;
        }

        /// <summary>Forgets the frames and any records decoded past a failure.</summary>
        public void Clear()
        {
            Array.Clear(_records, 0, Frames.Count);
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
