using System.Buffers.Binary;

namespace HealthFlow.X12;

/// <summary>
/// Reuses the string of short, repetitive values (codes such as "CO", "45", "HC", "99213") so reading a large
/// remittance does not allocate one string per code. Values longer than 8 bytes are not cached.
/// </summary>
/// <remarks>
/// Direct-mapped (one slot per hash, a collision simply replaces the slot): lookups cost a few nanoseconds and
/// memory is fixed at <see cref="Slots"/> entries whatever the input.
/// </remarks>
internal sealed class CodeCache
{
    private const int Slots = 4096;
    private const int DateSlots = 64;
    private readonly ulong[] _keys = new ulong[Slots];
    private readonly string?[] _strings = new string?[Slots];
    private readonly ulong[] _dateKeys = new ulong[DateSlots];
    private readonly DateOnly[] _dates = new DateOnly[DateSlots];

    public string? Get(ReadOnlySpan<byte> value) => Get(value, 0);

    /// <summary>As <see cref="Get(ReadOnlySpan{byte})"/>, writing <paramref name="separator"/> bytes as ':' (0 = none).</summary>
    public string? Get(ReadOnlySpan<byte> value, byte separator)
    {
        if (value.IsEmpty)
        {
            return null;
        }

        if (value.Length > 8)
        {
            return Create(value, separator);
        }

        // Key = the bytes themselves plus the length in the top byte, so it identifies the value exactly.
        var key = (ulong)value.Length << 56 | (ulong)separator << 48;
        var packed = X12Text.LoadLittleEndian(value);

        // Up to 8 bytes of content; when all 8 are used the length/separator marker overlaps, so mix instead.
        key = value.Length == 8 ? packed ^ 0x9E37_79B9_7F4A_7C15UL ^ separator : key | packed;
        var slot = (int)(unchecked(key * 0x9E37_79B9_7F4A_7C15UL) >> 52);
        var cached = _strings[slot];
        // Up to 6 bytes (7 without a separator) the key holds value, separator and length without overlap, so an
        // equal key is the same value and the character comparison is skipped.
        var keyIsExact = value.Length < 7 || (value.Length == 7 && separator == 0);
        if (cached is not null && _keys[slot] == key && (keyIsExact || Matches(cached, value, separator)))
        {
            return cached;
        }

        var text = Create(value, separator);
        _keys[slot] = key;
        _strings[slot] = text;
        return text;
    }

    /// <summary>
    /// <see cref="X12Text.TryParseDate"/> remembering the last valid dates: a remittance repeats a handful of
    /// dates (service, statement, payment) thousands of times. Only valid dates are stored, keyed by their 8 bytes.
    /// </summary>
    public bool TryParseDate(ReadOnlySpan<byte> value, out DateOnly date)
    {
        if (value.Length != 8)
        {
            return X12Text.TryParseDate(value, out date);
        }

        var key = BinaryPrimitives.ReadUInt64LittleEndian(value);

        // Multiplicative hash to 6 bits; the multiplication wraps on purpose.
        var slot = (int)(unchecked(key * 0x9E37_79B9_7F4A_7C15UL) >> 58);

        // Key 0 (eight NUL bytes) is never a valid date, so the zeroed, unused slots never match.
        if (key != 0 && _dateKeys[slot] == key)
        {
            date = _dates[slot];
            return true;
        }

        if (!X12Text.TryParseDate(value, out date))
        {
            return false;
        }

        _dateKeys[slot] = key;
        _dates[slot] = date;
        return true;
    }

    private static string Create(ReadOnlySpan<byte> value, byte separator)
    {
        Span<char> chars = value.Length <= 256 ? stackalloc char[value.Length] : new char[value.Length];
        for (var i = 0; i < value.Length; i++)
        {
            chars[i] = separator != 0 && value[i] == separator ? ':' : (char)value[i];
        }

        return new string(chars);
    }

    private static bool Matches(string cached, ReadOnlySpan<byte> value, byte separator)
    {
        if (cached.Length != value.Length)
        {
            return false;
        }

        for (var i = 0; i < value.Length; i++)
        {
            var expected = separator != 0 && value[i] == separator ? ':' : (char)value[i];
            if (cached[i] != expected)
            {
                return false;
            }
        }

        return true;
    }
}
