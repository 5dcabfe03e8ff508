namespace HealthFlow.Hl7;

/// <summary>
/// One segment of a parsed message: a view over its text, fields located on demand.
/// </summary>
/// <remarks>
/// Field numbers follow HL7: on MSH, field 1 is the field separator itself and field 2 the encoding
/// characters, so MSH-9 is the ninth field as the standard counts it. Fields beyond the last one sent are empty.
/// </remarks>
public readonly struct Hl7Segment : IEquatable<Hl7Segment>
{
    private readonly Hl7Message? _message;
    private readonly string? _text;
    private readonly int _start;
    private readonly int _length;
    private readonly Hl7Delimiters _delimiters;

    internal Hl7Segment(Hl7Message message, int start, int length, int index, int occurrence)
    {
        _message = message;
        _text = message.Text;
        _start = start;
        _length = length;
        _delimiters = message.Delimiters;
        Index = index;
        Occurrence = occurrence;
    }

    /// <summary>Position of the segment in the message (0 = MSH).</summary>
    public int Index { get; }

    /// <summary>1 for the first segment with this id, 2 for the second...: the ERR-2 segment sequence.</summary>
    public int Occurrence { get; }

    /// <summary>The three-character segment id.</summary>
    public ReadOnlySpan<char> Id => _text is null ? [] : _text.AsSpan(_start, 3);

    /// <summary>The segment id as a string.</summary>
    public string IdText => new(Id);

    /// <summary>Z-segments are site-defined; HealthFlow keeps them but reads none by default.</summary>
    public bool IsZSegment => Id.Length == 3 && Id[0] == 'Z';

    /// <summary>The whole segment as written.</summary>
    public ReadOnlySpan<char> Raw => _text is null ? [] : _text.AsSpan(_start, _length);

    private bool IsHeader => Id is "MSH" or "BHS" or "FHS";

    /// <summary>Highest field number present.</summary>
    public int FieldCount
    {
        get
        {
            var separators = Raw.Count(_delimiters.Field);
            return IsHeader ? separators + 1 : separators;
        }
    }

    /// <summary>Field <paramref name="number"/> (HL7 numbering); empty when absent.</summary>
    public Hl7Field Field(int number)
    {
        if (_text is null || number < 1)
        {
            return default;
        }

        if (IsHeader && number == 1)
        {
            return new Hl7Field(_text, _start + 3, 1, _delimiters, literal: true);
        }

        // On MSH the separator after the id is MSH-1, so MSH-n is the (n-1)th separated piece.
        var ordinal = IsHeader ? number - 1 : number;
        var separators = _message!.FieldSeparators(Index);
        if (ordinal > separators.Length)
        {
            return default;
        }

        var fieldStart = separators[ordinal - 1] + 1;
        var fieldEnd = ordinal < separators.Length ? separators[ordinal] : _start + _length;
        return new Hl7Field(_text, fieldStart, fieldEnd - fieldStart, _delimiters, literal: IsHeader && number == 2);
    }

    /// <summary>Shorthand for <c>Field(field).Component(component)</c>, decoded.</summary>
    public string Value(int field, int component = 0, int subcomponent = 0)
    {
        var view = Field(field);
        if (component > 0)
        {
            view = view.Component(component);
        }

        if (subcomponent > 0)
        {
            view = view.Subcomponent(subcomponent);
        }

        return view.Value;
    }

    /// <summary>Location of this segment (or one of its fields) for ERR-2.</summary>
    public Hl7ErrorLocation Location(int field = 0, int repetition = 0, int component = 0, int subcomponent = 0) =>
        new(IdText, Occurrence, field, repetition, component, subcomponent);

    /// <inheritdoc />
    public override string ToString() => new(Id);

    /// <summary>Segments are equal when they cover the same characters of the same message.</summary>
    public bool Equals(Hl7Segment other) => ReferenceEquals(_text, other._text) && _start == other._start && _length == other._length;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Hl7Segment other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(_start, _length);

    /// <summary>Same segment.</summary>
    public static bool operator ==(Hl7Segment left, Hl7Segment right) => left.Equals(right);

    /// <summary>Different segments.</summary>
    public static bool operator !=(Hl7Segment left, Hl7Segment right) => !left.Equals(right);
}
