namespace HealthFlow.Ledger;

/// <summary>
/// In-memory index of one partition: location by sequence number, sequence numbers by stream and by
/// correlation id, and a ring of recent records. Everything here can be rebuilt from the segments, which is
/// what start-up does.
/// </summary>
internal sealed class LedgerIndex(int cacheRecords, int cachePayloadMaxBytes)
{
    private readonly Lock _gate = new();
    private readonly List<RecordLocation> _locations = [];
    private readonly Dictionary<string, List<long>> _byStream = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<long>> _byCorrelation = new(StringComparer.Ordinal);
    private readonly LedgerRecord?[] _recent = new LedgerRecord?[Math.Max(1, cacheRecords)];
    private long _count;

    public long Count => Volatile.Read(ref _count);

    public void Add(LedgerRecord record, RecordLocation location, bool cache)
    {
        lock (_gate)
        {
            AddLocked(record, location, cache);
            Volatile.Write(ref _count, _locations.Count);
        }
    }

    private void AddLocked(LedgerRecord record, RecordLocation location, bool cache)
    {
        if (record.Seq != _locations.Count)
            throw new InvalidOperationException($"Index expected record {_locations.Count}, got {record.Seq}.");
        _locations.Add(location);
        AddTo(_byStream, record.Stream, record.Seq);
        if (record.CorrelationId.Length > 0)
            AddTo(_byCorrelation, record.CorrelationId, record.Seq);
        // The cache slot is read without the lock (TryGetCached), so publish the record with a release write.
        if (cache && record.Payload.Length <= cachePayloadMaxBytes)
            Volatile.Write(ref _recent[record.Seq % _recent.Length], record);
    }

    /// <summary>Adds one commit's records, written back to back from <paramref name="offset"/> of <paramref name="segment"/>, under one lock.</summary>
    public void AddRange(List<LedgerRecord> records, List<int> lengths, int segment, long offset)
    {
        lock (_gate)
        {
            for (var i = 0; i < records.Count; i++)
            {
                AddLocked(records[i], new RecordLocation(segment, offset, lengths[i]), cache: true);
                offset += lengths[i];
            }
            Volatile.Write(ref _count, _locations.Count);
        }
    }

    public bool TryGetCached(long seq, out LedgerRecord record)
    {
        var cached = Volatile.Read(ref _recent[seq % _recent.Length]);
        if (cached is not null && cached.Seq == seq)
        {
            record = cached;
            return true;
        }
        record = null!;
        return false;
    }

    public RecordLocation Locate(long seq)
    {
        lock (_gate)
        {
            return seq >= 0 && seq < _locations.Count
                ? _locations[(int)seq]
                : throw new ArgumentOutOfRangeException(nameof(seq), seq, $"The ledger holds records 0 to {_locations.Count - 1}.");
        }
    }

    /// <summary>
    /// Records <paramref name="seq"/> onwards that share its segment, below <paramref name="end"/>: the segment, the byte
    /// range they fill and the first sequence number after them.
    /// </summary>
    public (int Segment, long Offset, long EndOffset, long EndSeq) SegmentRun(long seq, long end)
    {
        lock (_gate)
        {
            var first = Locate(seq);
            // Segments only grow with sequence numbers: find the last record of this one by bisection.
            int low = (int)seq, high = (int)Math.Min(end, _locations.Count) - 1;
            while (low < high)
            {
                var middle = low + ((high - low + 1) / 2);
                if (_locations[middle].Segment == first.Segment)
                    low = middle;
                else
                    high = middle - 1;
            }
            var last = _locations[low];
            return (first.Segment, first.Offset, last.Offset + last.Length, low + 1L);
        }
    }

    /// <summary>
    /// Ranges of sequence numbers in [<paramref name="from"/>, <paramref name="end"/>) that hold every record of
    /// <paramref name="streams"/>, in order, leaving out each stretch of other streams' records that fills at least
    /// <paramref name="gapBytes"/> of a segment or crosses into another: a scan reads those ranges only.
    /// </summary>
    public List<(long From, long End)> StreamRuns(IReadOnlyList<string> streams, long from, long end, long gapBytes)
    {
        List<long>[] lists;
        int[] next;
        lock (_gate)
        {
            lists = [.. streams.Select(s => _byStream.GetValueOrDefault(s)).OfType<List<long>>()];
            next = [.. lists.Select(seqs => seqs.BinarySearch(from)).Select(at => at < 0 ? ~at : at)];
        }
        var runs = new List<(long From, long End)>();
        long runFrom = -1, last = -1;
        var done = false;
        while (!done)
        {
            // A slice at a time under the lock, so that appends are not held up for a whole day's records. The lists
            // only grow, so the positions stay valid between slices.
            lock (_gate)
            {
                for (var step = 0; step < 65536; step++)
                {
                    // The next record of any of the streams: a merge of their (ascending) lists.
                    var seq = long.MaxValue;
                    var list = -1;
                    for (var i = 0; i < lists.Length; i++)
                    {
                        if (next[i] < lists[i].Count && lists[i][next[i]] < seq)
                            (seq, list) = (lists[i][next[i]], i);
                    }
                    if (list < 0 || seq >= end)
                    {
                        done = true;
                        break;
                    }
                    next[list]++;
                    if (runFrom < 0)
                        runFrom = seq;
                    else if (seq > last + 1 && IsWideGap(last, seq, gapBytes))
                    {
                        runs.Add((runFrom, last + 1));
                        runFrom = seq;
                    }
                    last = seq;
                }
            }
        }
        if (runFrom >= 0)
            runs.Add((runFrom, last + 1));
        return runs;
    }

    private bool IsWideGap(long before, long after, long gapBytes)
    {
        var (first, second) = (_locations[(int)before], _locations[(int)after]);
        return first.Segment != second.Segment || second.Offset - (first.Offset + first.Length) >= gapBytes;
    }

    public long[] SeqsOfStream(string stream, long fromSeq)
    {
        lock (_gate)
        {
            if (!_byStream.TryGetValue(stream, out var seqs))
                return [];
            var start = seqs.BinarySearch(fromSeq);
            if (start < 0)
                start = ~start;
            return seqs.GetRange(start, seqs.Count - start).ToArray();
        }
    }

    /// <summary>True when <paramref name="stream"/> has a record at or after <paramref name="fromSeq"/>.</summary>
    public bool HasRecordOf(string stream, long fromSeq)
    {
        lock (_gate)
            return _byStream.TryGetValue(stream, out var seqs) && seqs[^1] >= fromSeq;
    }

    public long[] SeqsOfCorrelation(string correlationId)
    {
        lock (_gate)
        {
            return _byCorrelation.TryGetValue(correlationId, out var seqs) ? [.. seqs] : [];
        }
    }

    private static void AddTo(Dictionary<string, List<long>> index, string key, long seq)
    {
        if (!index.TryGetValue(key, out var seqs))
            index[key] = seqs = [];
        seqs.Add(seq);
    }
}
