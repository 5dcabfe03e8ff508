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

/// <summary>Reads a segment's records in order, in large chunks, and reports how the segment ends.</summary>
internal static class SegmentScanner
{
    private const int ChunkBytes = 1024 * 1024;

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
        while (true)
        {
            if (filter is not null && RecordCodec.CanSkip(buffer.AsSpan(position, filled - position), filter, out var skipped))
            {
                position += skipped;
                continue;
            }
            var status = RecordCodec.TryDecode(buffer.AsSpan(position, filled - position), out var record, out var consumed, out var problem);
            if (status == RecordCodec.DecodeStatus.Ok)
            {
                yield return (record!, bufferStart + position, consumed);
                position += consumed;
                continue;
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
