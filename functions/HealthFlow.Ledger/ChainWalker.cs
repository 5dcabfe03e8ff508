using System.Globalization;
using HealthFlow.Ledger.Storage;

namespace HealthFlow.Ledger;

/// <summary>What walking a partition's whole chain found.</summary>
internal sealed class ChainWalk
{
    public long NextSeq { get; set; }
    public byte[] LastHash { get; set; } = RecordCodec.Genesis;
    /// <summary>Segments that exist, in order; -1 when the partition is empty.</summary>
    public int LastSegment { get; set; } = -1;
    public long LastSegmentValidLength { get; set; }
    public long LastSegmentPhysicalLength { get; set; }
    public SegmentEnd LastSegmentEnd { get; set; }
    public bool LastSegmentSealed { get; set; }
    public int LastSegmentRecords { get; set; }
    public int SegmentCount { get; set; }
    /// <summary>
    /// What the next segment's opening record must say: the last good segment, where its valid records end
    /// and how many bytes after that are cut off.
    /// </summary>
    public int OpenPreviousSegment { get; set; } = -1;
    public long OpenPreviousLength { get; set; }
    public long OpenPreviousCut { get; set; }
    /// <summary>Set when the chain is broken and no repair covers the break.</summary>
    public LedgerFault? Fault { get; set; }
    /// <summary>Bytes cut off by torn-write recovery or accepted by a repair, for the verify report.</summary>
    public List<string> Notes { get; } = [];
}

/// <summary>
/// Walks every segment of a partition from the first record, checking what the ledger promises: segments
/// numbered without gaps, each opened by a record that says where the previous one's valid bytes end, every
/// record's hash, and every link (sequence number and previous hash). Used by start-up (to rebuild the
/// in-memory index and find the tail) and by <c>healthflow ledger verify</c>.
/// </summary>
internal static class ChainWalker
{
    public static async Task<ChainWalk> WalkAsync(
        IBlobStore store, LedgerOptions options, Action<LedgerRecord, RecordLocation>? onRecord, CancellationToken cancellationToken = default)
    {
        var walk = new ChainWalk();
        var segments = new List<(int Index, string Name)>();
        await foreach (var blob in store.ListAsync(options.SegmentPrefix, cancellationToken))
        {
            var file = blob.Name[options.SegmentPrefix.Length..];
            if (file.EndsWith(".seg", StringComparison.Ordinal) && int.TryParse(file[..^4], NumberStyles.None, CultureInfo.InvariantCulture, out var index))
                segments.Add((index, blob.Name));
        }
        segments.Sort((a, b) => a.Index.CompareTo(b.Index));
        walk.SegmentCount = segments.Count;
        if (segments.Count == 0)
            return walk;

        var expectedSeq = 0L;
        var prevHash = RecordCodec.Genesis;
        // The last point proven good: segment, offset after its last valid record, and its physical length.
        var goodSegment = -1;
        var goodLength = 0L;
        var goodPhysical = 0L;
        var resumingFromRepair = false;
        var position = 0;
        while (position < segments.Count)
        {
            var (index, name) = segments[position];
            var isLast = position == segments.Count - 1;
            LedgerFault? fault = null;
            if (!resumingFromRepair && index != goodSegment + 1)
                fault = new LedgerFault(options.SegmentName(goodSegment + 1), 0, null, "segment is missing");

            if (fault is null)
            {
                var scan = new SegmentScan();
                var records = 0;
                var sealedSegment = false;
                await foreach (var (record, _, offset, length) in SegmentScanner.ScanAsync(store, name, 0, scan, SegmentScanner.Records, cancellationToken: cancellationToken))
                {
                    if (records == 0)
                    {
                        var opening = SystemRecords.ReadOpening(record);
                        if (opening is null || opening.Segment != index || opening.PreviousSegment != goodSegment
                            || opening.PreviousSegmentLength != goodLength || opening.CutBytes != goodPhysical - goodLength
                            || (resumingFromRepair && opening.Repair is null))
                        {
                            fault = goodPhysical != goodLength
                                ? new LedgerFault(options.SegmentName(goodSegment), goodLength, null, "bytes after the last valid record are not accounted for by the next segment")
                                : new LedgerFault(name, offset, record.Seq, "segment does not open where the previous one ends");
                            break;
                        }
                        if (opening.CutBytes > 0)
                            walk.Notes.Add($"{options.SegmentName(goodSegment)}: {opening.CutBytes} bytes after offset {goodLength} cut off ({opening.Repair ?? "torn write recovered at start-up"})");
                        resumingFromRepair = false;
                        goodSegment = index;
                        goodPhysical = scan.PhysicalLength;
                    }
                    if (record.Seq != expectedSeq || !record.PrevHash.AsSpan().SequenceEqual(prevHash))
                    {
                        fault = new LedgerFault(name, offset, record.Seq,
                            record.Seq != expectedSeq ? $"expected record {expectedSeq} here" : "previous-hash link does not match the record before it");
                        break;
                    }
                    onRecord?.Invoke(record, new RecordLocation(index, offset, length));
                    expectedSeq++;
                    prevHash = record.Hash;
                    records++;
                    sealedSegment = record.Stream == SystemRecords.Stream && record.Type == SystemRecords.SegmentSealed;
                    goodLength = offset + length;
                }
                if (fault is null && records == 0)
                {
                    // Created, then the process died before the opening record: only the newest segment may be so.
                    if (isLast && scan.PhysicalLength == 0)
                    {
                        walk.LastSegment = index;
                        walk.LastSegmentEnd = SegmentEnd.Clean;
                        walk.NextSeq = expectedSeq;
                        walk.LastHash = prevHash;
                        walk.OpenPreviousSegment = goodSegment;
                        walk.OpenPreviousLength = goodLength;
                        walk.OpenPreviousCut = goodPhysical - goodLength;
                        return walk;
                    }
                    fault = new LedgerFault(name, 0, null, scan.Problem ?? "segment has no opening record");
                }
                if (fault is null && isLast && scan.End == SegmentEnd.Invalid)
                    fault = new LedgerFault(name, scan.ValidLength, expectedSeq, scan.Problem ?? "invalid bytes");
                if (fault is null)
                {
                    if (isLast)
                    {
                        walk.LastSegment = index;
                        walk.LastSegmentValidLength = scan.ValidLength;
                        walk.LastSegmentPhysicalLength = scan.PhysicalLength;
                        walk.LastSegmentEnd = scan.End;
                        walk.LastSegmentSealed = sealedSegment;
                        walk.LastSegmentRecords = records;
                    }
                    position++;
                    continue;
                }
            }

            // A break: go on only where an operator's repair reopened the chain from the last good point.
            var resumeAt = await FindRepairAsync(store, segments, position, goodSegment, goodLength, expectedSeq, prevHash, cancellationToken);
            if (resumeAt < 0)
            {
                walk.Fault = fault;
                walk.NextSeq = expectedSeq;
                walk.LastHash = prevHash;
                walk.OpenPreviousSegment = goodSegment;
                walk.OpenPreviousLength = goodLength;
                walk.OpenPreviousCut = goodPhysical - goodLength;
                walk.LastSegment = segments[^1].Index;
                return walk;
            }
            walk.Notes.Add($"repaired break at {fault}; {resumeAt - position} segment(s) from {segments[position].Name} abandoned");
            resumingFromRepair = true;
            position = resumeAt;
        }
        walk.NextSeq = expectedSeq;
        walk.LastHash = prevHash;
        walk.OpenPreviousSegment = goodSegment;
        walk.OpenPreviousLength = goodLength;
        walk.OpenPreviousCut = goodPhysical - goodLength;
        return walk;
    }

    private static async Task<int> FindRepairAsync(
        IBlobStore store, List<(int Index, string Name)> segments, int from, int goodSegment, long goodLength,
        long expectedSeq, byte[] prevHash, CancellationToken cancellationToken)
    {
        for (var candidate = from + 1; candidate < segments.Count; candidate++)
        {
            var scan = new SegmentScan();
            await foreach (var (record, _, _, _) in SegmentScanner.ScanAsync(store, segments[candidate].Name, 0, scan, SegmentScanner.Records, cancellationToken: cancellationToken))
            {
                var opening = SystemRecords.ReadOpening(record);
                if (opening is { Repair: not null } && opening.PreviousSegment == goodSegment && opening.PreviousSegmentLength == goodLength
                    && record.Seq == expectedSeq && record.PrevHash.AsSpan().SequenceEqual(prevHash))
                    return candidate;
                break;
            }
        }
        return -1;
    }
}
