namespace HealthFlow.Hl7;

/// <summary>
/// A view over part of a message's text: a field, one repetition of it, a component or a subcomponent.
/// Nothing is copied or decoded until <see cref="Value"/> or <see cref="TryGetValue"/> is called.
/// </summary>
/// <remarks>
/// Narrowing follows HL7 addressing: <c>Component(n)</c> on a repeating field means the first repetition
/// (so <c>PID-3.1</c> is the first identifier), <c>Subcomponent(n)</c> on a field means component 1.
/// A position that is not present gives an empty view, never an exception. MSH-1 and MSH-2 are literal:
/// they are the delimiters themselves and are neither split nor unescaped.
/// </remarks>
public readonly struct Hl7Field : IEquatable<Hl7Field>
{
    private const byte FieldLevel = 0;
    private const byte RepetitionLevel = 1;
    private const byte ComponentLevel = 2;
    private const byte SubcomponentLevel = 3;

    private readonly string? _text;
    private readonly int _start;
    private readonly int _length;
    private readonly Hl7Delimiters _delimiters;
    private readonly byte _level;
    private readonly bool _literal;

    internal Hl7Field(string text, int start, int length, Hl7Delimiters delimiters, byte level = FieldLevel, bool literal = false)
    {
        _text = text;
        _start = start;
        _length = length;
        _delimiters = delimiters;
        _level = level;
        _literal = literal;
    }

    /// <summary>The text as written, escapes included.</summary>
    public ReadOnlySpan<char> Raw => _text is null ? [] : _text.AsSpan(_start, _length);

    /// <summary>Nothing was sent for this position.</summary>
    public bool IsEmpty => _length == 0;

    /// <summary>The HL7 explicit null <c>""</c>: the sender says the value is to be deleted.</summary>
    public bool IsExplicitNull => Raw.SequenceEqual("\"\"");

    /// <summary>A value is present and is not the explicit null.</summary>
    public bool HasValue => !IsEmpty && !IsExplicitNull;

    /// <summary>Offset of this view in the message text (for error positions).</summary>
    public int Offset => _start;

    /// <summary>Number of repetitions (0 when empty); only meaningful on a whole field.</summary>
    public int RepetitionCount
    {
        get
        {
            if (IsEmpty)
            {
                return 0;
            }

            if (_literal || _level != FieldLevel)
            {
                return 1;
            }

            return Raw.Count(_delimiters.Repetition) + 1;
        }
    }

    /// <summary>Repetition <paramref name="number"/> (1-based) of this field.</summary>
    public Hl7Field Repetition(int number)
    {
        if (IsEmpty)
        {
            return Absent(RepetitionLevel);
        }

        if (_literal || _level != FieldLevel)
        {
            return number == 1 ? this : default;
        }

        return Piece(_delimiters.Repetition, number, RepetitionLevel);
    }

    /// <summary>Component <paramref name="number"/> (1-based); of the first repetition when called on a whole field.</summary>
    public Hl7Field Component(int number)
    {
        if (IsEmpty)
        {
            return Absent(ComponentLevel);
        }

        if (_literal)
        {
            return number == 1 ? this : default;
        }

        return _level switch
        {
            FieldLevel => Repetition(1).Component(number),
            RepetitionLevel => Piece(_delimiters.Component, number, ComponentLevel),
            _ => number == 1 ? this : default,
        };
    }

    /// <summary>Subcomponent <paramref name="number"/> (1-based); of component 1 when called on a field or repetition.</summary>
    public Hl7Field Subcomponent(int number)
    {
        if (IsEmpty)
        {
            return Absent(SubcomponentLevel);
        }

        if (_literal)
        {
            return number == 1 ? this : default;
        }

        return _level switch
        {
            FieldLevel or RepetitionLevel => Component(1).Subcomponent(number),
            ComponentLevel => Piece(_delimiters.Subcomponent, number, SubcomponentLevel),
            _ => number == 1 ? this : default,
        };
    }

    /// <summary>The decoded value; malformed escapes stay literal. Use <see cref="TryGetValue"/> where a malformed escape must be reported.</summary>
    public string Value => _literal ? new string(Raw) : Hl7Escaping.Decode(Raw, _delimiters);

    /// <summary>Decodes the value; false when an escape sequence is malformed (unterminated, empty or bad hex).</summary>
    public bool TryGetValue(out string value)
    {
        if (_literal)
        {
            value = new string(Raw);
            return true;
        }

        return Hl7Escaping.TryDecode(Raw, _delimiters, out value);
    }

    /// <inheritdoc />
    public override string ToString() => Value;

    /// <summary>Views are equal when they cover the same characters of the same message text.</summary>
    public bool Equals(Hl7Field other) =>
        ReferenceEquals(_text, other._text) && _start == other._start && _length == other._length && _level == other._level;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Hl7Field other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(_start, _length, _level);

    /// <summary>Same view.</summary>
    public static bool operator ==(Hl7Field left, Hl7Field right) => left.Equals(right);

    /// <summary>Different views.</summary>
    public static bool operator !=(Hl7Field left, Hl7Field right) => !left.Equals(right);

    // An absent position narrows to absent positions; it keeps the level so narrowing always terminates.
    private static Hl7Field Absent(byte level) => new(string.Empty, 0, 0, Hl7Delimiters.Standard, level);

    private Hl7Field Piece(char separator, int number, byte level)
    {
        if (number < 1 || _text is null)
        {
            return Absent(level);
        }

        var span = Raw;
        var offset = 0;
        for (var i = 1; i < number; i++)
        {
            var next = span[offset..].IndexOf(separator);
            if (next < 0)
            {
                return Absent(level);
            }

            offset += next + 1;
        }

        var end = span[offset..].IndexOf(separator);
        var length = end < 0 ? span.Length - offset : end;
        return new Hl7Field(_text, _start + offset, length, _delimiters, level);
    }
}
