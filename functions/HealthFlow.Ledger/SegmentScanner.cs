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
/// hash-checked together before any is decoded: each hash covers only its own record's bytes (the stored previous hash
/// included), so they can be checked in any order, on several cores, and the first that fails is still named exactly.
/// Whether each record links to the one before it is its reader's check, in order.
/// </summary>
internal static class SegmentScanner
{
    private const int ChunkBytes = 1024 * 1024;
    // Below this many bytes of records, handing some of their hashes to another thread costs more than it saves.
    private const int ParallelVerifyBytes = 64 * 1024;

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
        var buffer = new byte[ChunkBytes];
        var bufferStart = from; // file offset of buffer[0]
        var filled = 0;
        var position = 0;       // index in buffer of the next record
        var frames = new List<Frame>();
        var texts = new RecordCodec.RecentTexts();
        while (true)
        {
            var framed = FrameRecords(buffer, position, filled, filter, frames, out var status, out var problem);
            var verified = CountVerified(buffer, frames);
            (position, status, problem) = verified < frames.Count ? (frames[verified].Start, RecordCodec.DecodeStatus.Invalid, RecordCodec.HashMismatch) : (framed, status, problem);
            for (var i = 0; i < verified; i++)
            {
                var frame = frames[i];
                if (RecordCodec.TryDecodeVerified(buffer.AsSpan(frame.Start, frame.Length), texts, out var record, out var invalid) != RecordCodec.DecodeStatus.Ok)
                {
                    (position, status, problem) = (frame.Start, RecordCodec.DecodeStatus.Invalid, invalid);
                    break;
                }
                yield return (record!, bufferStart + frame.Start, frame.Length);
            }
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

    /// <summary>A whole record frame in the buffer: where it starts and how long it is.</summary>
    private readonly record struct Frame(int Start, int Length);

    /// <summary>
    /// Fills <paramref name="frames"/> with the whole records in <paramref name="buffer"/> from <paramref name="position"/> on
    /// that <paramref name="filter"/> asks for, stepping over the others; returns where the framing stopped and why
    /// (<see cref="RecordCodec.DecodeStatus.Incomplete"/>: read more; <see cref="RecordCodec.DecodeStatus.Invalid"/>: an impossible length).
    /// </summary>
    private static int FrameRecords(byte[] buffer, int position, int filled, LedgerScanFilter? filter, List<Frame> frames,
        out RecordCodec.DecodeStatus status, out string? problem)
    {
        frames.Clear();
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
            frames.Add(new Frame(position, length));
            position += length;
        }
    }

    /// <summary>How many of <paramref name="frames"/>, from the first, have hashes that match: the index of the first that does not.</summary>
    private static int CountVerified(byte[] buffer, List<Frame> frames)
    {
        var bytes = frames.Count == 0 ? 0 : frames[^1].Start + frames[^1].Length - frames[0].Start;
        if (bytes < ParallelVerifyBytes || Environment.ProcessorCount == 1)
            return FirstMismatch(buffer, frames, 0, frames.Count);
        // A few parts per core, so that a core another process holds does not leave the rest waiting on its part.
        var parts = 4 * Environment.ProcessorCount;
        var firsts = new int[parts];
        Parallel.For(0, parts, part => firsts[part] = FirstMismatch(buffer, frames, frames.Count * part / parts, frames.Count * (part + 1) / parts));
        return firsts.Min();
    }

    /// <summary>The first of <paramref name="frames"/>[<paramref name="from"/>..<paramref name="to"/>) whose hash does not match; their count when all do.</summary>
    private static int FirstMismatch(byte[] buffer, List<Frame> frames, int from, int to)
    {
        for (var i = from; i < to; i++)
        {
            if (!RecordCodec.HashMatches(buffer.AsSpan(frames[i].Start, frames[i].Length)))
                return i;
        }
        return frames.Count;
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
