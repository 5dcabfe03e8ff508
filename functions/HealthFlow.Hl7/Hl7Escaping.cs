using System.Text;
using System.Text.Unicode;

namespace HealthFlow.Hl7;

/// <summary>
/// HL7 escape sequences (v2.5 section 2.7): decoding what senders write and encoding what HealthFlow writes.
/// </summary>
/// <remarks>
/// Decoding: <c>\F\ \S\ \T\ \R\ \E\</c> map to the delimiters, <c>\P\</c> to the truncation character,
/// <c>\Xhh..\</c> to the bytes it spells (UTF-8 when valid, otherwise ISO-8859-1). Formatting escapes are
/// tolerated: <c>\.br\</c> and <c>\.sp\</c> become a line feed, <c>\H\ \N\</c>, other <c>\.xx\</c>
/// commands and the character-set (<c>\C..\ \M..\</c>) and local (<c>\Z..\</c>) escapes are dropped.
/// An unknown escape is kept literally (tolerance over rejection: it carries data we do not understand).
/// An escape without its closing escape character, an empty escape or bad hex is malformed.
/// </remarks>
public static class Hl7Escaping
{
    /// <summary>Decodes <paramref name="raw"/>; false when an escape sequence is malformed (then <paramref name="value"/> is a best effort that keeps the bad text literally).</summary>
    public static bool TryDecode(ReadOnlySpan<char> raw, Hl7Delimiters delimiters, out string value)
    {
        var first = raw.IndexOf(delimiters.Escape);
        if (first < 0)
        {
            value = raw.IsEmpty ? string.Empty : new string(raw);
            return true;
        }

        var wellFormed = true;
        var builder = new StringBuilder(raw.Length);
        builder.Append(raw[..first]);
        var rest = raw[first..];
        while (!rest.IsEmpty)
        {
            if (rest[0] != delimiters.Escape)
            {
                var next = rest.IndexOf(delimiters.Escape);
                var plain = next < 0 ? rest : rest[..next];
                builder.Append(plain);
                rest = rest[plain.Length..];
                continue;
            }

            var close = rest[1..].IndexOf(delimiters.Escape);
            if (close < 0)
            {
                wellFormed = false;
                builder.Append(rest);
                break;
            }

            var sequence = rest.Slice(1, close);
            if (!TryAppendEscape(sequence, delimiters, builder))
            {
                wellFormed = false;
                builder.Append(rest[..(close + 2)]);
            }

            rest = rest[(close + 2)..];
        }

        value = builder.ToString();
        return wellFormed;
    }

    /// <summary>Decodes leniently: malformed escapes stay as they were written.</summary>
    public static string Decode(ReadOnlySpan<char> raw, Hl7Delimiters delimiters)
    {
        _ = TryDecode(raw, delimiters, out var value);
        return value;
    }

    /// <summary>Escapes delimiter characters and line breaks in <paramref name="value"/> so it can be written as one component or field.</summary>
    public static string Encode(string value, Hl7Delimiters delimiters)
    {
        var needsEscape = false;
        foreach (var c in value)
        {
            if (delimiters.IsDelimiter(c) || c == delimiters.Truncation || c is '\r' or '\n' || char.IsControl(c))
            {
                needsEscape = true;
                break;
            }
        }

        if (!needsEscape)
        {
            return value;
        }

        var builder = new StringBuilder(value.Length + 8);
        var e = delimiters.Escape;
        foreach (var c in value)
        {
            if (c == delimiters.Field)
            {
                builder.Append(e).Append('F').Append(e);
            }
            else if (c == delimiters.Component)
            {
                builder.Append(e).Append('S').Append(e);
            }
            else if (c == delimiters.Subcomponent)
            {
                builder.Append(e).Append('T').Append(e);
            }
            else if (c == delimiters.Repetition)
            {
                builder.Append(e).Append('R').Append(e);
            }
            else if (c == e)
            {
                builder.Append(e).Append('E').Append(e);
            }
            else if (c == delimiters.Truncation)
            {
                builder.Append(e).Append('P').Append(e);
            }
            else if (c == '\n')
            {
                builder.Append(e).Append(".br").Append(e);
            }
            else if (char.IsControl(c))
            {
                // CR and other control characters would end a segment or break framing: spell them as hex.
                builder.Append(e).Append('X').Append(((int)c).ToString("X2", System.Globalization.CultureInfo.InvariantCulture)).Append(e);
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    private static bool TryAppendEscape(ReadOnlySpan<char> sequence, Hl7Delimiters delimiters, StringBuilder builder)
    {
        if (sequence.IsEmpty)
        {
            return false;
        }

        if (sequence.Length == 1)
        {
            switch (sequence[0])
            {
                case 'F': builder.Append(delimiters.Field); return true;
                case 'S': builder.Append(delimiters.Component); return true;
                case 'T': builder.Append(delimiters.Subcomponent); return true;
                case 'R': builder.Append(delimiters.Repetition); return true;
                case 'E': builder.Append(delimiters.Escape); return true;
                case 'P' when delimiters.Truncation is { } truncation: builder.Append(truncation); return true;
                case 'H' or 'N': return true; // highlighting on/off: presentation only
                default: break;
            }
        }

        switch (sequence[0])
        {
            case 'X':
                return TryAppendHex(sequence[1..], builder);
            case '.':
                // Formatted-text commands: keep line structure, drop layout.
                if (sequence.StartsWith(".br", StringComparison.Ordinal) || sequence.StartsWith(".sp", StringComparison.Ordinal))
                {
                    builder.Append('\n');
                }

                return true;
            case 'C' or 'M' or 'Z':
                // Character-set switches and locally defined escapes: no meaning for the fields we read.
                return true;
            default:
                // Unknown: keep literally, as a receiver should not lose data it does not understand.
                builder.Append(delimiters.Escape).Append(sequence).Append(delimiters.Escape);
                return true;
        }
    }

    private static bool TryAppendHex(ReadOnlySpan<char> hex, StringBuilder builder)
    {
        if (hex.IsEmpty || hex.Length % 2 != 0)
        {
            return false;
        }

        Span<byte> bytes = hex.Length <= 512 ? stackalloc byte[hex.Length / 2] : new byte[hex.Length / 2];
        if (Convert.FromHexString(hex, bytes, out _, out var written) != System.Buffers.OperationStatus.Done || written != bytes.Length)
        {
            return false;
        }

        builder.Append(Utf8.IsValid(bytes) ? Encoding.UTF8.GetString(bytes) : Encoding.Latin1.GetString(bytes));
        return true;
    }
}
