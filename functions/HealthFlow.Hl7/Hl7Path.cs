using System.Globalization;

namespace HealthFlow.Hl7;

/// <summary>
/// An address in a message in the usual notation: <c>PV1-3.4</c>, <c>PID-3(2).1</c> (second repetition),
/// <c>FT1(2)-11.1.1</c> (second FT1 segment), <c>MSH-9.2</c>.
/// </summary>
/// <remarks>Invariants: segment id is 3 upper-case letters or digits; occurrence and field are at least 1; repetition, component and subcomponent are 0 (not narrowed) or more.</remarks>
public readonly record struct Hl7Path(string SegmentId, int SegmentOccurrence, int Field, int Repetition, int Component, int Subcomponent)
{
    /// <summary>Parses untrusted path text; false when it is not a path.</summary>
    public static bool TryParse(string? text, out Hl7Path path)
    {
        path = default;
        if (string.IsNullOrEmpty(text) || text.Length < 5)
        {
            return false;
        }

        var span = text.AsSpan();
        var id = span[..3];
        foreach (var c in id)
        {
            if (!char.IsAsciiLetterUpper(c) && !char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        span = span[3..];
        var occurrence = 1;
        if (!TryReadParenthesised(ref span, ref occurrence))
        {
            return false;
        }

        if (span.IsEmpty || span[0] != '-')
        {
            return false;
        }

        span = span[1..];
        if (!TryReadNumber(ref span, out var field))
        {
            return false;
        }

        var repetition = 0;
        if (!TryReadParenthesised(ref span, ref repetition))
        {
            return false;
        }

        var component = 0;
        var subcomponent = 0;
        if (!span.IsEmpty)
        {
            if (span[0] != '.')
            {
                return false;
            }

            span = span[1..];
            if (!TryReadNumber(ref span, out component))
            {
                return false;
            }

            if (!span.IsEmpty)
            {
                if (span[0] != '.')
                {
                    return false;
                }

                span = span[1..];
                if (!TryReadNumber(ref span, out subcomponent) || !span.IsEmpty)
                {
                    return false;
                }
            }
        }

        path = new Hl7Path(new string(id), occurrence, field, repetition, component, subcomponent);
        return true;
    }

    /// <summary>Parses a path the program itself wrote (a constant); a bad one is a bug.</summary>
    /// <exception cref="FormatException">The text is not a path.</exception>
    public static Hl7Path Parse(string text) =>
        TryParse(text, out var path) ? path : throw new FormatException($"'{text}' is not an HL7 path such as PV1-3.4.");

    /// <summary>The location of this path for ERR-2.</summary>
    public Hl7ErrorLocation ToLocation() => new(SegmentId, SegmentOccurrence, Field, Repetition, Component, Subcomponent);

    /// <inheritdoc />
    public override string ToString() => ToLocation().ToPath();

    private static bool TryReadParenthesised(ref ReadOnlySpan<char> span, ref int value)
    {
        if (span.IsEmpty || span[0] != '(')
        {
            return true;
        }

        var close = span.IndexOf(')');
        if (close < 2 || !int.TryParse(span[1..close], NumberStyles.None, CultureInfo.InvariantCulture, out value) || value < 1)
        {
            return false;
        }

        span = span[(close + 1)..];
        return true;
    }

    private static bool TryReadNumber(ref ReadOnlySpan<char> span, out int value)
    {
        var length = 0;
        while (length < span.Length && length < 6 && char.IsAsciiDigit(span[length]))
        {
            length++;
        }

        value = 0;
        if (length == 0 || !int.TryParse(span[..length], NumberStyles.None, CultureInfo.InvariantCulture, out value) || value < 1)
        {
            return false;
        }

        span = span[length..];
        return true;
    }
}
