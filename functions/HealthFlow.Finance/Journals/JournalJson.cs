using System.Globalization;
using System.Text.Json;
using HealthFlow.Finance.Events;

namespace HealthFlow.Finance.Journals;

/// <summary>
/// Reads a <see cref="Journal"/> from JSON. The shape the pipeline writes (<see cref="EventJson.Options"/>: these property
/// names, each once, amounts as numbers) is read by a hand-written <see cref="Utf8JsonReader"/> loop, several times faster
/// than the reflection serializer, which matters when reconciliation reads millions of journals; anything else (another
/// spelling, an unknown property, an amount as a string, a missing field) goes to <see cref="JsonSerializer"/>, so the
/// result is always the one it gives.
/// </summary>
public static class JournalJson
{
    /// <summary>The journal in <paramref name="json"/>, as <c>JsonSerializer.Deserialize&lt;Journal&gt;(json, EventJson.Options)</c> reads it.</summary>
    /// <exception cref="JsonException">Not a journal.</exception>
    public static Journal? Deserialize(ReadOnlySpan<byte> json) =>
        TryReadWritten(json) ?? JsonSerializer.Deserialize<Journal>(json, EventJson.Options);

    private static Journal? TryReadWritten(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                return null;
            string? id = null, key = null, entity = null, currency = null, kind = null, reversalOf = null, date = null;
            JournalSource? source = null;
            List<JournalLine>? lines = null;
            var seen = 0;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var ok = Property(ref reader, ref seen, "journalId"u8, 1) ? TryString(ref reader, out id) && id is not null
                    : Property(ref reader, ref seen, "idempotencyKey"u8, 2) ? TryString(ref reader, out key) && key is not null
                    : Property(ref reader, ref seen, "legalEntity"u8, 3) ? TryString(ref reader, out entity) && entity is not null
                    : Property(ref reader, ref seen, "currency"u8, 4) ? TryString(ref reader, out currency) && currency is not null
                    : Property(ref reader, ref seen, "postingDate"u8, 5) ? TryString(ref reader, out date) && date is not null
                    : Property(ref reader, ref seen, "kind"u8, 6) ? TryString(ref reader, out kind) && kind is not null
                    : Property(ref reader, ref seen, "reversalOf"u8, 7) ? TryString(ref reader, out reversalOf)
                    : Property(ref reader, ref seen, "source"u8, 8) ? TrySource(ref reader, out source)
                    : Property(ref reader, ref seen, "lines"u8, 9) && TryLines(ref reader, out lines);
                if (!ok)
                    return null;
            }
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read() || id is null || key is null || entity is null || currency is null
                || kind is null || source is null || lines is null
                || !DateOnly.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var postingDate))
                return null;
            return new Journal
            {
                JournalId = id,
                IdempotencyKey = key,
                LegalEntity = entity,
                Currency = currency,
                PostingDate = postingDate,
                Kind = kind,
                ReversalOf = reversalOf,
                Source = source,
                Lines = lines,
            };
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static bool TrySource(ref Utf8JsonReader reader, out JournalSource? source)
    {
        source = null;
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            return false;
        string? receipt = null, correlation = null;
        var seen = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var ok = Property(ref reader, ref seen, "receiptId"u8, 1) ? TryString(ref reader, out receipt)
                : Property(ref reader, ref seen, "correlationId"u8, 2) && TryString(ref reader, out correlation);
            if (!ok)
                return false;
        }
        if (seen != 0b11)
            return false;
        source = new JournalSource(receipt!, correlation!);
        return true;
    }

    private static bool TryLines(ref Utf8JsonReader reader, out List<JournalLine>? lines)
    {
        lines = null;
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
            return false;
        var read = new List<JournalLine>();
        while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            string? account = null, costCenter = null, facility = null, payer = null, memo = null;
            decimal debit = 0, credit = 0;
            var seen = 0;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var ok = Property(ref reader, ref seen, "account"u8, 1) ? TryString(ref reader, out account)
                    : Property(ref reader, ref seen, "debit"u8, 2) ? TryDecimal(ref reader, out debit)
                    : Property(ref reader, ref seen, "credit"u8, 3) ? TryDecimal(ref reader, out credit)
                    : Property(ref reader, ref seen, "costCenter"u8, 4) ? TryString(ref reader, out costCenter)
                    : Property(ref reader, ref seen, "facility"u8, 5) ? TryString(ref reader, out facility)
                    : Property(ref reader, ref seen, "payer"u8, 6) ? TryString(ref reader, out payer)
                    : Property(ref reader, ref seen, "memo"u8, 7) && TryString(ref reader, out memo);
                if (!ok)
                    return false;
            }
            if ((seen & 0b111) != 0b111)
                return false;
            read.Add(new JournalLine(account!, debit, credit, costCenter, facility, payer, memo));
        }
        if (reader.TokenType != JsonTokenType.EndArray)
            return false;
        lines = read;
        return true;
    }

    /// <summary>Whether the reader is on property <paramref name="name"/>, seen for the first time (bit <paramref name="bit"/> of <paramref name="seen"/>).</summary>
    private static bool Property(ref Utf8JsonReader reader, ref int seen, ReadOnlySpan<byte> name, int bit)
    {
        if (!reader.ValueTextEquals(name))
            return false;
        var mask = 1 << (bit - 1);
        if ((seen & mask) != 0)
            throw new JsonException("A property appears twice."); // the serializer decides what that means
        seen |= mask;
        return true;
    }

    private static bool TryString(ref Utf8JsonReader reader, out string? value)
    {
        value = null;
        if (!reader.Read())
            return false;
        if (reader.TokenType == JsonTokenType.Null)
            return true;
        if (reader.TokenType != JsonTokenType.String)
            return false;
        value = reader.GetString();
        return true;
    }

    private static bool TryDecimal(ref Utf8JsonReader reader, out decimal value)
    {
        value = 0;
        return reader.Read() && reader.TokenType == JsonTokenType.Number && reader.TryGetDecimal(out value);
    }
}
