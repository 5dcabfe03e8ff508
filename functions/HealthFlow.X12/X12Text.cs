using System.Text;

namespace HealthFlow.X12;

/// <summary>Small byte-level helpers shared by the reader, parsers and writers.</summary>
internal static class X12Text
{
    public static ReadOnlySpan<byte> Component(ReadOnlySpan<byte> element, byte separator, int component)
    {
        var rest = element;
        for (var i = 1; ; i++)
        {
            var at = rest.IndexOf(separator);
            if (i == component)
            {
                return at < 0 ? rest : rest[..at];
            }

            if (at < 0)
            {
                return default;
            }

            rest = rest[(at + 1)..];
        }
    }

    public static int ComponentCount(ReadOnlySpan<byte> element, byte separator) =>
        element.IsEmpty ? 0 : element.Count(separator) + 1;

    /// <summary>X12 text is ASCII in practice; Latin-1 maps every byte so junk never throws.</summary>
    public static string? ToStringOrNull(ReadOnlySpan<byte> value) =>
        value.IsEmpty ? null : Encoding.Latin1.GetString(value);

    public static string ToText(ReadOnlySpan<byte> value) => Encoding.Latin1.GetString(value);

    public static string TrimmedOrNull(ReadOnlySpan<byte> value)
    {
        var trimmed = value.Trim((byte)' ');
        return Encoding.Latin1.GetString(trimmed);
    }

    public static bool IsDigits(ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty)
        {
            return false;
        }

        foreach (var b in value)
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Parses an X12 R (decimal) value: optional '-', digits, optional '.', digits; at most 18 digits
    /// as the standard allows. The scale is kept, so 150000.00 stays 150000.00 (reports echo the file).
    /// </summary>
    public static bool TryParseDecimal(ReadOnlySpan<byte> value, out decimal result)
    {
        result = 0m;
        if (value.IsEmpty || value.Length > 20)
        {
            return false;
        }

        var negative = value[0] == (byte)'-';
        var i = negative ? 1 : 0;
        if (value.Length <= 19)
        {
            return TryParseShortDecimal(value, i, negative, out result);
        }

        ulong mantissa = 0;
        var digits = 0;

        // Integer part, then (after at most one '.') the fraction: the point test is out of the digit loops.
        for (; i < value.Length; i++)
        {
            var digit = value[i] - '0';
            if (digit is < 0 or > 9)
            {
                break;
            }

            // X12 R allows 18 digits; stopping there also keeps the ulong from overflowing.
            if (++digits > 18)
            {
                return false;
            }

            mantissa = (mantissa * 10) + (uint)digit;
        }

        var scale = 0;
        if (i < value.Length)
        {
            if (value[i] != (byte)'.')
            {
                return false;
            }

            scale = value.Length - i - 1;
            for (i++; i < value.Length; i++)
            {
                var digit = value[i] - '0';
                if (digit is < 0 or > 9 || ++digits > 18)
                {
                    return false;
                }

                mantissa = (mantissa * 10) + (uint)digit;
            }
        }

        if (digits == 0)
        {
            return false;
        }

        // decimal's constructor takes the 96-bit mantissa as int words; reinterpreting the bits is intended.
        result = new decimal(unchecked((int)(uint)mantissa), unchecked((int)(uint)(mantissa >> 32)), 0, negative, (byte)scale);
        return true;
    }

    /// <summary>
    /// <see cref="TryParseDecimal"/> for up to 19 bytes: at most 19 digits fit a ulong (max 9,999,999,999,999,999,999
    /// &lt; 2^64), so the digit loops need no count; the 18-digit limit is checked once from the lengths.
    /// </summary>
    private static bool TryParseShortDecimal(ReadOnlySpan<byte> value, int i, bool negative, out decimal result)
    {
        result = 0m;
        ulong mantissa = 0;
        var start = i;
        for (; i < value.Length; i++)
        {
            // Byte arithmetic wraps on purpose: anything below '0' becomes a large value and fails the digit test.
            var digit = unchecked((uint)(value[i] - '0'));
            if (digit > 9)
            {
                break;
            }

            // × 10 as (m << 3) + (m << 1): two shifts and adds instead of a checked 64-bit multiply. No bits are lost:
            // before the last digit m < 10^18, so m << 3 < 2^63.
            mantissa = (mantissa << 3) + (mantissa << 1) + digit;
        }

        var digits = i - start;
        var scale = 0;
        if (i < value.Length)
        {
            if (value[i] != (byte)'.')
            {
                return false;
            }

            scale = value.Length - i - 1;
            for (i++; i < value.Length; i++)
            {
                // As above: the wrap-around of bytes below '0' is intended.
                var digit = unchecked((uint)(value[i] - '0'));
                if (digit > 9)
                {
                    return false;
                }

                mantissa = (mantissa << 3) + (mantissa << 1) + digit;
            }

            digits += scale;
        }

        if (digits is 0 or > 18)
        {
            return false;
        }

        // decimal's constructor takes the 96-bit mantissa as int words; reinterpreting the bits is intended.
        result = new decimal(unchecked((int)(uint)mantissa), unchecked((int)(uint)(mantissa >> 32)), 0, negative, (byte)scale);
        return true;
    }

    public static bool TryParseInt(ReadOnlySpan<byte> value, out int result)
    {
        result = 0;
        if (value.IsEmpty || value.Length > 9)
        {
            return false;
        }

        foreach (var b in value)
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                return false;
            }

            result = (result * 10) + (b - (byte)'0');
        }

        return true;
    }

    /// <summary>The number, or 0 when the value is not a non-negative integer (callers that care use <see cref="TryParseInt"/>).</summary>
    public static int IntOrZero(ReadOnlySpan<byte> value) => TryParseInt(value, out var result) ? result : 0;

    /// <summary>CCYYMMDD.</summary>
    public static bool TryParseDate(ReadOnlySpan<byte> value, out DateOnly date)
    {
        date = default;
        if (value.Length != 8)
        {
            return false;
        }

        var year = 0;
        var month = 0;
        var day = 0;
        for (var i = 0; i < 8; i++)
        {
            var digit = value[i] - '0';
            if (digit is < 0 or > 9)
            {
                return false;
            }

            if (i < 4)
            {
                year = (year * 10) + digit;
            }
            else if (i < 6)
            {
                month = (month * 10) + digit;
            }
            else
            {
                day = (day * 10) + digit;
            }
        }

        if (year < 1 || month is < 1 or > 12 || day < 1 || (day > 28 && day > DateTime.DaysInMonth(year, month)))
        {
            return false;
        }

        date = new DateOnly(year, month, day);
        return true;
    }
}
