using System.Buffers.Binary;
using System.Numerics;
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

    /// <summary>
    /// The first component of <paramref name="rest"/>, which moves on past it and its separator (empty once used up):
    /// reading a composite's components in order this way searches each byte once.
    /// </summary>
    public static ReadOnlySpan<byte> TakeComponent(ref ReadOnlySpan<byte> rest, byte separator)
    {
        var component = rest;
        var at = rest.IndexOf(separator);
        if (at < 0)
        {
            rest = default;
            return component;
        }

        rest = component[(at + 1)..];
        return component[..at];
    }

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
        var number = negative ? value[1..] : value;
        if (number.Length is > 0 and <= 8)
        {
            return TryParseEightBytes(number, negative, out result);
        }

        ulong mantissa = 0;
        var digits = 0;
        var i = 0;

        // Integer part, then (after at most one '.') the fraction: the point test is out of the digit loops.
        for (; i < number.Length; i++)
        {
            var digit = number[i] - '0';
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
        if (i < number.Length)
        {
            if (number[i] != (byte)'.')
            {
                return false;
            }

            scale = number.Length - i - 1;
            for (i++; i < number.Length; i++)
            {
                var digit = number[i] - '0';
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
    /// <see cref="TryParseDecimal"/> for the usual amount, 1–8 bytes after the sign ("1234.56"), with no loop:
    /// the bytes are one ulong, the point is found and squeezed out, the digits are checked and combined
    /// eight at a time (SWAR). Digit loops exit at a length that varies from value to value, which the branch
    /// predictor keeps getting wrong; this has no branch on the digits.
    /// </summary>
    private static bool TryParseEightBytes(ReadOnlySpan<byte> number, bool negative, out decimal result)
    {
        const ulong Ones = 0x0101_0101_0101_0101;
        const ulong HighBits = 0x8080_8080_8080_8080;
        const ulong HighNibbles = 0xF0F0_F0F0_F0F0_F0F0;
        const ulong Zeros = 0x3030_3030_3030_3030;
        result = 0m;
        var length = number.Length;
        var word = LoadLittleEndian(number);

        unchecked
        {
            // Byte i of the value is at bits 8i. The lowest byte equal to '.' (the exact one: only bytes above a match
            // can be false hits); the zero bytes above the value are not '.', so they never match. Without a point,
            // dot = 8 (tzcnt of 0 is 64). Amounts with a point and quantities without one alternate, so the point is
            // squeezed out by masks, not by a branch the predictor would keep missing.
            var dots = word ^ (Ones * '.');
            var dot = (int)(ulong.TrailingZeroCount((dots - Ones) & ~dots & HighBits) >> 3);
            var hasDot = dot < length ? 1 : 0;

            // Drop the '.' byte, if any: the bytes above it move down one place (below = all bytes when none).
            var below = ((1UL << (dot * 8)) - 1) | (ulong)(hasDot - 1L);
            word = (word & below) | ((word >> 8) & ~below);
            var scale = (length - dot - 1) & -hasDot;
            length -= hasDot;
            if (length == 0)
            {
                return false;
            }

            // Right-align the digits as the low-order end of an 8-digit number: '0' bytes in front (the low bytes).
            var padding = (8 - length) * 8;
            word = (word << padding) | (Zeros & ((1UL << padding) - 1));

            // Every byte '0'..'9': high nibble 3, and still 3 after adding 6 (':' to '?' would carry to 4).
            if ((word & HighNibbles) != Zeros || ((word + (Ones * 6)) & HighNibbles) != Zeros)
            {
                return false;
            }

            // Eight digits to a number in three multiply steps: pairs, quads, then the whole (Lemire's SWAR parse).
            var digits = word & 0x0F0F_0F0F_0F0F_0F0F;
            digits = (digits * 2561) >> 8;
            digits = ((digits & 0x00FF_00FF_00FF_00FF) * 6553601) >> 16;
            digits = ((digits & 0x0000_FFFF_0000_FFFF) * 42949672960001) >> 32;
            result = new decimal((int)(uint)digits, 0, 0, negative, (byte)scale);
        }

        return true;
    }

    /// <summary>
    /// Byte i of a 1–8 byte value at bits 8i: two overlapping little-endian reads instead of a loop (the overlapping
    /// bytes are the same bytes at the same positions, so OR-ing them changes nothing).
    /// </summary>
    public static ulong LoadLittleEndian(ReadOnlySpan<byte> value)
    {
        var length = value.Length;
        if (length >= 4)
        {
            ulong low = BinaryPrimitives.ReadUInt32LittleEndian(value);
            ulong high = BinaryPrimitives.ReadUInt32LittleEndian(value[(length - 4)..]);
            return low | (high << ((length - 4) * 8));
        }

        if (length >= 2)
        {
            ulong low = BinaryPrimitives.ReadUInt16LittleEndian(value);
            ulong high = BinaryPrimitives.ReadUInt16LittleEndian(value[(length - 2)..]);
            return low | (high << ((length - 2) * 8));
        }

        return value[0];
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
