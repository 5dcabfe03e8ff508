using System.Buffers;
using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using HealthFlow.Finance.Journals;

namespace HealthFlow.Finance.Events;

/// <summary>
/// The field readers of the hand-written <see cref="Utf8JsonReader"/> loops (<see cref="SourceEventJson"/>,
/// <see cref="Journals.JournalJson"/>) that read the shape the pipeline writes. Each returns false for anything that shape
/// never holds, and its caller then leaves the whole document to the serializer.
/// </summary>
internal static class WrittenJson
{
    /// <summary>Whether the reader is on property <paramref name="name"/>, seen for the first time (bit <paramref name="bit"/> of <paramref name="seen"/>).</summary>
    public static bool Property(ref Utf8JsonReader reader, ref int seen, ReadOnlySpan<byte> name, int bit)
    {
        if (!reader.ValueTextEquals(name))
            return false;
        var mask = 1 << (bit - 1);
        if ((seen & mask) != 0)
            throw new JsonException("A property appears twice."); // the serializer decides what that means
        seen |= mask;
        return true;
    }

    /// <summary>Reads one object of an array, from its start to its end.</summary>
    public delegate bool ItemReader<T>(ref Utf8JsonReader reader, Utf8StringPool? strings, out T? item);

    /// <summary>An array of objects, each read by <paramref name="item"/> (which starts on the object's start).</summary>
    public static bool TryList<T>(ref Utf8JsonReader reader, Utf8StringPool? strings, ItemReader<T> item, out List<T>? list)
    {
        list = null;
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
            return false;
        var read = new List<T>();
        while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            if (!item(ref reader, strings, out var value) || reader.TokenType != JsonTokenType.EndObject)
                return false;
            read.Add(value!);
        }

        if (reader.TokenType != JsonTokenType.EndArray)
            return false;
        list = read;
        return true;
    }

    /// <summary>A string or null.</summary>
    public static bool TryString(ref Utf8JsonReader reader, out string? value) => TryString(ref reader, null, out value);

    /// <summary>A string or null; from <paramref name="strings"/> when it can hold it.</summary>
    public static bool TryString(ref Utf8JsonReader reader, Utf8StringPool? strings, out string? value)
    {
        value = null;
        if (!reader.Read())
            return false;
        if (reader.TokenType == JsonTokenType.Null)
            return true;
        if (reader.TokenType != JsonTokenType.String)
            return false;
        value = strings is not null && !reader.ValueIsEscaped && strings.TryGet(reader.ValueSpan, out var pooled) ? pooled : reader.GetString();
        return true;
    }

    public static bool TryDecimal(ref Utf8JsonReader reader, out decimal value)
    {
        value = 0;
        return reader.Read() && reader.TokenType == JsonTokenType.Number && reader.TryGetDecimal(out value);
    }

    public static bool TryBool(ref Utf8JsonReader reader, out bool value)
    {
        value = false;
        if (!reader.Read() || reader.TokenType is not (JsonTokenType.True or JsonTokenType.False))
            return false;
        value = reader.GetBoolean();
        return true;
    }

    /// <summary>A date written as the serializer writes it, <c>yyyy-MM-dd</c>, read off its bytes, or null.</summary>
    public static bool TryDate(ref Utf8JsonReader reader, out DateOnly? value)
    {
        value = null;
        if (!reader.Read())
            return false;
        if (reader.TokenType == JsonTokenType.Null)
            return true;
        if (reader.TokenType != JsonTokenType.String || reader.ValueIsEscaped)
            return false;
        if (!TryParseDate(reader.ValueSpan, out var date))
            return false;
        value = date;
        return true;
    }

    /// <summary>A date as the serializer writes it, <c>yyyy-MM-dd</c>.</summary>
    public static bool TryParseDate(ReadOnlySpan<byte> text, out DateOnly value)
    {
        value = default;
        if (text.Length != 10 || text[4] != '-' || text[7] != '-')
            return false;
        int year = Digits(text[..4]), month = Digits(text[5..7]), day = Digits(text[8..]);
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month))
            return false;
        value = new DateOnly(year, month, day);
        return true;
    }

    /// <summary>The number the ASCII digits spell; -1 when there is anything else.</summary>
    private static int Digits(ReadOnlySpan<byte> text)
    {
        var number = 0;
        foreach (var digit in text)
        {
            if (!char.IsAsciiDigit((char)digit))
                return -1;
            number = (number * 10) + (digit - '0');
        }
        return number;
    }

    /// <summary>
    /// Reads a document by matching, byte for byte, the one way the serializer writes it (<see cref="EventJson.Options"/>: no
    /// whitespace, properties in declaration order, nulls left out, strings without escapes, numbers without exponents):
    /// no token walk. Each method consumes what it matched, or returns false, and its caller then leaves the document to the
    /// token readers above. It never accepts what <see cref="Utf8JsonReader"/> would refuse.
    /// </summary>
    public ref struct ExactReader(ReadOnlySpan<byte> json)
    {
        // What ends a string it can read (a quote) or means it cannot (an escape, a control character JSON forbids).
        private static readonly SearchValues<byte> StringStops = SearchValues.Create([(byte)'"', (byte)'\\', .. Enumerable.Range(0, 0x20).Select(b => (byte)b)]);
        private ReadOnlySpan<byte> _rest = json;

        public readonly bool AtEnd => _rest.IsEmpty;

        /// <summary>Consumes <paramref name="text"/> if the document goes on with it.</summary>
        public bool Literal(ReadOnlySpan<byte> text)
        {
            if (!_rest.StartsWith(text))
                return false;
            _rest = _rest[text.Length..];
            return true;
        }

        /// <summary>A string (from <paramref name="strings"/> when it can hold it).</summary>
        public bool String(Utf8StringPool? strings, out string value)
        {
            value = "";
            if (_rest.IsEmpty || _rest[0] != (byte)'"')
                return false;
            var length = _rest[1..].IndexOfAny(StringStops);
            if (length < 0 || _rest[1 + length] != (byte)'"')
                return false;
            var utf8 = _rest.Slice(1, length);
            if (strings is null || !strings.TryGet(utf8, out value))
            {
                if (!Utf8.IsValid(utf8))
                    return false;
                value = Encoding.UTF8.GetString(utf8);
            }
            _rest = _rest[(length + 2)..];
            return true;
        }

        /// <summary>A string that is not kept (validated as <see cref="String"/> does, not allocated).</summary>
        public bool SkipString() => RawString(out _);

        /// <summary>A string's bytes between its quotes (no escapes in them), neither allocated nor checked to be UTF-8: the caller checks what it reads.</summary>
        public bool RawString(out ReadOnlySpan<byte> utf8)
        {
            utf8 = default;
            if (_rest.IsEmpty || _rest[0] != (byte)'"')
                return false;
            var length = _rest[1..].IndexOfAny(StringStops);
            if (length < 0 || _rest[1 + length] != (byte)'"')
                return false;
            utf8 = _rest.Slice(1, length);
            _rest = _rest[(length + 2)..];
            return true;
        }

        public bool Bool(out bool value)
        {
            value = Literal("true"u8);
            return value || Literal("false"u8);
        }

        /// <summary>An integer of JSON's grammar, <c>-?(0|[1-9][0-9]*)</c>.</summary>
        public bool Int32(out int value)
        {
            value = 0;
            var at = _rest.StartsWith("-"u8) ? 1 : 0;
            var digits = DigitsAt(at);
            if (digits == 0 || (digits > 1 && _rest[at] == (byte)'0') || (at + digits < _rest.Length && _rest[at + digits] is (byte)'.' or (byte)'e' or (byte)'E')
                || !Utf8Parser.TryParse(_rest[..(at + digits)], out value, out var used) || used != at + digits)
                return false;
            _rest = _rest[used..];
            return true;
        }

        /// <summary>Reads one item of an array.</summary>
        public delegate bool Item<T>(ref ExactReader bytes, Utf8StringPool? strings, out T item);

        /// <summary>An array, each item read by <paramref name="item"/>; an empty one shares <see cref="Array.Empty{T}"/>.</summary>
        public bool List<T>(Utf8StringPool? strings, Item<T> item, out IReadOnlyList<T> list)
        {
            list = [];
            if (!Literal("["u8))
                return false;
            List<T>? read = null;
            while (!Literal("]"u8))
            {
                if ((read is not null && !Literal(","u8)) || !item(ref this, strings, out var value))
                    return false;
                (read ??= []).Add(value);
            }
            if (read is not null)
                list = read;
            return true;
        }

        /// <summary>An array of strings (from <paramref name="strings"/> when it can hold them).</summary>
        public bool Strings(Utf8StringPool? strings, out IReadOnlyList<string> list) =>
            List(strings, static (ref ExactReader bytes, Utf8StringPool? pool, out string text) => bytes.String(pool, out text), out list);

        /// <summary>Money as the serializer writes it: <c>{"amount":…,"currency":"…"}</c>.</summary>
        public bool Money(Utf8StringPool? strings, out Money money)
        {
            money = default;
            if (!Literal("{\"amount\":"u8) || !Decimal(out var amount) || !Literal(",\"currency\":"u8) || !String(strings, out var currency) || !Literal("}"u8))
                return false;
            money = new Money(amount, currency);
            return true;
        }

        /// <summary>A <c>yyyy-MM-dd</c> date or nothing, as property <paramref name="name"/> if it comes next.</summary>
        public bool OptionalDate(ReadOnlySpan<byte> name, out DateOnly? value)
        {
            value = null;
            if (!Literal(name) || Literal("null"u8))
                return true;
            var read = Date(out var date);
            value = date;
            return read;
        }

        /// <summary>Property <paramref name="name"/> (its leading comma, name and colon) and its string or null, if it comes next; else null.</summary>
        public bool Optional(ReadOnlySpan<byte> name, Utf8StringPool? strings, out string? value)
        {
            value = null;
            if (!Literal(name) || Literal("null"u8))
                return true;
            var read = String(strings, out var text);
            value = text;
            return read;
        }

        /// <summary>A <c>yyyy-MM-dd</c> date in quotes.</summary>
        public bool Date(out DateOnly value)
        {
            value = default;
            if (_rest.Length < 12 || _rest[0] != (byte)'"' || _rest[11] != (byte)'"' || !TryParseDate(_rest[1..11], out value))
                return false;
            _rest = _rest[12..];
            return true;
        }

        /// <summary>A number of JSON's grammar without an exponent, <c>-?(0|[1-9][0-9]*)(\.[0-9]+)?</c>, as a decimal.</summary>
        public bool Decimal(out decimal value)
        {
            value = 0;
            var at = _rest.StartsWith("-"u8) ? 1 : 0;
            var integer = DigitsAt(at);
            if (integer == 0 || (integer > 1 && _rest[at] == (byte)'0'))
                return false;
            at += integer;
            if (at < _rest.Length && _rest[at] == (byte)'.')
            {
                var fraction = DigitsAt(at + 1);
                if (fraction == 0)
                    return false;
                at += 1 + fraction;
            }
            if (at < _rest.Length && (_rest[at] | 0x20) == (byte)'e')
                return false;
            if (!Utf8Parser.TryParse(_rest[..at], out value, out var used) || used != at)
                return false;
            _rest = _rest[at..];
            return true;
        }

        private readonly int DigitsAt(int at)
        {
            var digits = at < _rest.Length ? _rest[at..].IndexOfAnyExceptInRange((byte)'0', (byte)'9') : 0;
            return digits < 0 ? _rest.Length - at : digits;
        }
    }
}
