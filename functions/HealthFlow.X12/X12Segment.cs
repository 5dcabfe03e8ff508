using System.Text;

namespace HealthFlow.X12;

/// <summary>
/// One segment as it lies in the reader's buffer: its bytes (without terminator) and the offsets of its
/// element separators. Valid only until the reader moves on; copy what you keep.
/// </summary>
/// <remarks>
/// Element 0 is the segment id; elements are numbered from 1 as in the X12 standard (CLP01 = element 1).
/// An element beyond the last separator is empty, never an error: X12 drops trailing empty elements.
/// </remarks>
public readonly ref struct X12Segment
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly ReadOnlySpan<int> _separators;

    internal X12Segment(ReadOnlySpan<byte> data, ReadOnlySpan<int> separators, X12Delimiters delimiters, int position, uint emptyElements)
    {
        _data = data;
        _separators = separators;
        Delimiters = delimiters;
        Position = position;
        EmptyElements = emptyElements;
    }

    /// <summary>The delimiters in force for this segment.</summary>
    public X12Delimiters Delimiters { get; }

    /// <summary>1-based segment number within its interchange (ISA = 1).</summary>
    public int Position { get; }

    /// <summary>
    /// Bit n (1–31) set when element n is empty or absent, or may be: the reader sets every bit where it did not work
    /// this out, so a clear bit is a promise and a set bit is a question for <see cref="IsElementEmpty"/>.
    /// </summary>
    internal uint EmptyElements { get; }

    /// <summary>The raw bytes of the segment, without terminator or surrounding line breaks.</summary>
    public ReadOnlySpan<byte> Raw => _data;

    /// <summary>The segment id (element 0).</summary>
    public ReadOnlySpan<byte> Id => _separators.Length == 0 ? _data : _data[.._separators[0]];

    /// <summary>Number of data elements after the id, including empty ones before the last separator.</summary>
    public int ElementCount => _separators.Length;

    /// <summary>The segment id as a string (allocates; for errors and reports, not the hot path).</summary>
    public string IdText => Encoding.Latin1.GetString(Id);

    /// <summary>True when the segment id equals <paramref name="id"/> (ASCII).</summary>
    public bool Is(ReadOnlySpan<byte> id) => Id.SequenceEqual(id);

    /// <summary>Element <paramref name="index"/> (1-based); empty when absent.</summary>
    // Inlined: the builders call it for nearly every element they read, a call each otherwise.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<byte> Element(int index)
    {
        if (index <= 0)
        {
            return index == 0 ? Id : default;
        }

        if (index > _separators.Length)
        {
            return default;
        }

        var start = _separators[index - 1] + 1;
        var end = index < _separators.Length ? _separators[index] : _data.Length;
        return _data[start..end];
    }

    /// <summary>
    /// The raw stretch from the start of element <paramref name="from"/> to the end of element <paramref name="to"/>,
    /// separators included; both must be present (1 &lt;= from &lt;= to &lt;= <see cref="ElementCount"/>).
    /// </summary>
    internal ReadOnlySpan<byte> Elements(int from, int to)
    {
        var start = _separators[from - 1] + 1;
        var end = to < _separators.Length ? _separators[to] : _data.Length;
        return _data[start..end];
    }

    /// <summary>True when element <paramref name="index"/> (1-based) is absent or empty; cheaper than <see cref="Element"/>.</summary>
    internal bool IsElementEmpty(int index)
    {
        if (index > _separators.Length)
        {
            return true;
        }

        var end = index < _separators.Length ? _separators[index] : _data.Length;
        return end - _separators[index - 1] == 1;
    }

    /// <summary>Component <paramref name="component"/> (1-based) of element <paramref name="index"/>; empty when absent.</summary>
    public ReadOnlySpan<byte> Component(int index, int component) =>
        X12Text.Component(Element(index), Delimiters.Component, component);

    /// <summary>The element as a string, or null when empty (allocates).</summary>
    public string? Text(int index) => X12Text.ToStringOrNull(Element(index));

    /// <summary>The component as a string, or null when empty (allocates).</summary>
    public string? Text(int index, int component) => X12Text.ToStringOrNull(Component(index, component));
}
