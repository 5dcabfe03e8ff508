using System.Text.Json;
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
        var text = reader.ValueSpan;
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
}
