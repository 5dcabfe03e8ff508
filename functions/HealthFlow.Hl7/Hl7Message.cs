namespace HealthFlow.Hl7;

/// <summary>
/// A structurally valid ER7 message: the text, its delimiters and where each segment lies.
/// Only the segment boundaries are computed at parse time; fields are found and decoded when read.
/// </summary>
/// <remarks>
/// Invariants (established by <see cref="Hl7Parser"/>): the first segment is MSH; every segment id is three
/// upper-case letters or digits followed by the field separator or the end of the segment; no segment contains
/// a control character other than tab. Z-segments and unknown segments are kept in order.
/// </remarks>
public sealed class Hl7Message
{
    private readonly (int Start, int Length)[] _segments;

    // Field separator offsets per segment, built the first time a field of that segment is read, so reading
    // PV1-44 does not rescan 43 fields. Racing threads build identical arrays; the last write wins harmlessly.
    private readonly int[]?[] _fieldSeparators;

    internal Hl7Message(string text, Hl7Delimiters delimiters, (int Start, int Length)[] segments)
    {
        Text = text;
        Delimiters = delimiters;
        _segments = segments;
        _fieldSeparators = new int[]?[segments.Length];
    }

    /// <summary>The message text as received (may hold PHI: never log it).</summary>
    public string Text { get; }

    /// <summary>The delimiters declared in MSH-1 and MSH-2.</summary>
    public Hl7Delimiters Delimiters { get; }

    /// <summary>Number of segments, MSH included.</summary>
    public int SegmentCount => _segments.Length;

    /// <summary>The MSH segment.</summary>
    public Hl7Segment Header => Segment(0);

    /// <summary>Segment at position <paramref name="index"/> (0 = MSH).</summary>
    public Hl7Segment Segment(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, _segments.Length);
        var (start, length) = _segments[index];
        var id = Text.AsSpan(start, 3);
        var occurrence = 1;
        for (var i = 0; i < index; i++)
        {
            if (Text.AsSpan(_segments[i].Start, 3).SequenceEqual(id))
            {
                occurrence++;
            }
        }

        return new Hl7Segment(this, start, length, index, occurrence);
    }

    /// <summary>Absolute offsets of the field separators of segment <paramref name="index"/>, in order.</summary>
    internal int[] FieldSeparators(int index)
    {
        if (_fieldSeparators[index] is { } cached)
        {
            return cached;
        }

        var (start, length) = _segments[index];
        var span = Text.AsSpan(start, length);
        var separator = Delimiters.Field;
        var offsets = new int[span.Count(separator)];
        var position = 0;
        for (var count = 0; count < offsets.Length; count++)
        {
            position += span[position..].IndexOf(separator);
            offsets[count] = start + position;
            position++;
        }

        _fieldSeparators[index] = offsets;
        return offsets;
    }

    /// <summary>The id of the segment at <paramref name="index"/>, empty when there is none.</summary>
    public ReadOnlySpan<char> SegmentIdAt(int index) =>
        index >= 0 && index < _segments.Length ? Text.AsSpan(_segments[index].Start, 3) : [];

    /// <summary>The <paramref name="occurrence"/>th segment (1-based) with id <paramref name="id"/>.</summary>
    public bool TryGetSegment(ReadOnlySpan<char> id, int occurrence, out Hl7Segment segment)
    {
        var seen = 0;
        for (var i = 0; i < _segments.Length; i++)
        {
            var (start, length) = _segments[i];
            if (Text.AsSpan(start, 3).SequenceEqual(id) && ++seen == occurrence)
            {
                segment = new Hl7Segment(this, start, length, i, seen);
                return true;
            }
        }

        segment = default;
        return false;
    }

    /// <summary>The first segment with id <paramref name="id"/>.</summary>
    public bool TryGetSegment(ReadOnlySpan<char> id, out Hl7Segment segment) => TryGetSegment(id, 1, out segment);

    /// <summary>All segments with id <paramref name="id"/>, in order.</summary>
    public IEnumerable<Hl7Segment> SegmentsWithId(string id)
    {
        var seen = 0;
        for (var i = 0; i < _segments.Length; i++)
        {
            var (start, length) = _segments[i];
            if (Text.AsSpan(start, 3).SequenceEqual(id))
            {
                yield return new Hl7Segment(this, start, length, i, ++seen);
            }
        }
    }

    /// <summary>The view at <paramref name="path"/>; empty when the segment or position is absent.</summary>
    public Hl7Field GetField(Hl7Path path)
    {
        if (!TryGetSegment(path.SegmentId, path.SegmentOccurrence, out var segment))
        {
            return default;
        }

        var field = segment.Field(path.Field);
        if (path.Repetition > 0)
        {
            field = field.Repetition(path.Repetition);
        }

        if (path.Component > 0)
        {
            field = field.Component(path.Component);
        }

        if (path.Subcomponent > 0)
        {
            field = field.Subcomponent(path.Subcomponent);
        }

        return field;
    }

    /// <summary>The decoded value at a constant path such as <c>"PV1-3.4"</c>; empty when absent.</summary>
    /// <exception cref="FormatException"><paramref name="path"/> is not a path (a bug in the caller).</exception>
    public string GetValue(string path) => GetField(Hl7Path.Parse(path)).Value;
}
