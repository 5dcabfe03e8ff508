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
        ulong mantissa = 0;
        var digits = 0;
        var point = -1;
        for (; i < value.Length; i++)
        {
            // Byte arithmetic wraps on purpose: anything below '0' becomes a large value and fails the digit test.
            var digit = unchecked((uint)(value[i] - (byte)'0'));
            if (digit <= 9)
            {
                // X12 R allows 18 digits; stopping there also keeps the ulong from overflowing.
                if (++digits > 18)
                {
                    return false;
                }

                mantissa = (mantissa * 10) + digit;
            }
            else if (value[i] == (byte)'.' && point < 0)
            {
                point = i;
            }
            else
            {
                return false;
            }
        }

        if (digits == 0)
        {
            return false;
        }

        var scale = point < 0 ? 0 : value.Length - point - 1;

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
