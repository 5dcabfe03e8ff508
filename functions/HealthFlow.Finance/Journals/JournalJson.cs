using System.Text.Json;
using HealthFlow.Finance.Events;
using static HealthFlow.Finance.Events.WrittenJson;

namespace HealthFlow.Finance.Journals;

/// <summary>
/// Reads a <see cref="Journal"/> from JSON. The exact bytes the pipeline writes are matched directly
/// (<see cref="WrittenJson.ExactReader"/>); the shape it writes, in any order or spacing (<see cref="EventJson.Options"/>:
/// these property names, each once, amounts as numbers), is read by a hand-written <see cref="Utf8JsonReader"/> loop. Both
/// are several times faster than the reflection serializer, which matters when reconciliation and the read-model rebuild
/// read millions of journals; anything else (another spelling, an unknown property, an amount as a string, a missing
/// field) goes to <see cref="JsonSerializer"/>, so the result is always the one it gives.
/// </summary>
public static class JournalJson
{
    /// <summary>The journal in <paramref name="json"/>, as <c>JsonSerializer.Deserialize&lt;Journal&gt;(json, EventJson.Options)</c> reads it.</summary>
    /// <param name="json">The journal's UTF-8 JSON.</param>
    /// <param name="strings">
    /// Where the low-cardinality strings (legal entity, currency, kind, source, and each line's account and dimensions)
    /// come from, so that a reader keeping millions of journals holds one instance of each; null to allocate them.
    /// </param>
    /// <exception cref="JsonException">Not a journal.</exception>
    public static Journal? Deserialize(ReadOnlySpan<byte> json, Utf8StringPool? strings = null) =>
        TryReadExact(json, strings) ?? TryReadWritten(json, strings) ?? JsonSerializer.Deserialize<Journal>(json, EventJson.Options);

    /// <summary>A journal in exactly the bytes the pipeline writes (<see cref="ExactReader"/>): about half the cost of its token walk.</summary>
    internal static Journal? TryReadExact(ReadOnlySpan<byte> json, Utf8StringPool? strings = null)
    {
        var bytes = new ExactReader(json);
        if (!bytes.Literal("{\"journalId\":"u8) || !bytes.String(null, out var id)
            || !bytes.Literal(",\"idempotencyKey\":"u8) || !bytes.String(null, out var key)
            || !bytes.Literal(",\"legalEntity\":"u8) || !bytes.String(strings, out var entity)
            || !bytes.Literal(",\"currency\":"u8) || !bytes.String(strings, out var currency)
            || !bytes.Literal(",\"postingDate\":"u8) || !bytes.Date(out var date)
            || !bytes.Literal(",\"kind\":"u8) || !bytes.String(strings, out var kind)
            || !bytes.Optional(",\"reversalOf\":"u8, null, out var reversalOf)
            || !bytes.Literal(",\"source\":{\"receiptId\":"u8) || !bytes.String(strings, out var receipt)
            || !bytes.Literal(",\"correlationId\":"u8) || !bytes.String(strings, out var correlation)
            || !bytes.Literal("},\"lines\":"u8) || !bytes.List<JournalLine>(strings, ExactLine, out var lines)
            || !bytes.Literal("}"u8) || !bytes.AtEnd)
            return null;
        return new Journal
        {
            JournalId = id,
            IdempotencyKey = key,
            LegalEntity = entity,
            Currency = currency,
            PostingDate = date,
            Kind = kind,
            ReversalOf = reversalOf,
            Source = new JournalSource(receipt, correlation),
            Lines = lines,
        };
    }

    private static bool ExactLine(ref ExactReader bytes, Utf8StringPool? strings, out JournalLine line)
    {
        line = null!;
        if (!TryReadExactLine(ref bytes, strings, out var read))
            return false;
        line = new JournalLine(read.Account, read.Debit, read.Credit, read.CostCenter, read.Facility, read.Payer, read.Memo);
        return true;
    }

    /// <summary>
    /// A journal line's fields in exactly the bytes the pipeline writes, without a <see cref="JournalLine"/>: for readers
    /// that keep only some of them (reconciliation's <see cref="Reconciliation.DailyReconciliation.Prepare(ReadOnlySpan{byte}, Utf8StringPool)"/>).
    /// </summary>
    internal static bool TryReadExactLine(ref ExactReader bytes, Utf8StringPool? strings, out ExactLineFields line)
    {
        line = default;
        if (!bytes.Literal("{\"account\":"u8) || !bytes.String(strings, out var account)
            || !bytes.Literal(",\"debit\":"u8) || !bytes.Decimal(out var debit)
            || !bytes.Literal(",\"credit\":"u8) || !bytes.Decimal(out var credit)
            || !bytes.Optional(",\"costCenter\":"u8, strings, out var costCenter)
            || !bytes.Optional(",\"facility\":"u8, strings, out var facility)
            || !bytes.Optional(",\"payer\":"u8, strings, out var payer)
            || !bytes.Optional(",\"memo\":"u8, strings, out var memo)
            || !bytes.Literal("}"u8))
            return false;
        line = new ExactLineFields(account, debit, credit, costCenter, facility, payer, memo);
        return true;
    }

    /// <summary>The fields of a journal line <see cref="TryReadExactLine"/> read.</summary>
    internal readonly record struct ExactLineFields(string Account, decimal Debit, decimal Credit, string? CostCenter, string? Facility, string? Payer, string? Memo);

    internal static Journal? TryReadWritten(ReadOnlySpan<byte> json, Utf8StringPool? strings = null)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                return null;
            string? id = null, key = null, entity = null, currency = null, kind = null, reversalOf = null;
            DateOnly? date = null;
            JournalSource? source = null;
            List<JournalLine>? lines = null;
            var seen = 0;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var ok = Property(ref reader, ref seen, "journalId"u8, 1) ? TryString(ref reader, null, out id) && id is not null
                    : Property(ref reader, ref seen, "idempotencyKey"u8, 2) ? TryString(ref reader, null, out key) && key is not null
                    : Property(ref reader, ref seen, "legalEntity"u8, 3) ? TryString(ref reader, strings, out entity) && entity is not null
                    : Property(ref reader, ref seen, "currency"u8, 4) ? TryString(ref reader, strings, out currency) && currency is not null
                    : Property(ref reader, ref seen, "postingDate"u8, 5) ? TryDate(ref reader, out date)
                    : Property(ref reader, ref seen, "kind"u8, 6) ? TryString(ref reader, strings, out kind) && kind is not null
                    : Property(ref reader, ref seen, "reversalOf"u8, 7) ? TryString(ref reader, null, out reversalOf)
                    : Property(ref reader, ref seen, "source"u8, 8) ? TrySource(ref reader, strings, out source)
                    : Property(ref reader, ref seen, "lines"u8, 9) && TryList(ref reader, strings, TryLine, out lines);
                if (!ok)
                    return null;
            }
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read() || id is null || key is null || entity is null || currency is null
                || kind is null || source is null || lines is null || date is not { } postingDate)
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

    private static bool TrySource(ref Utf8JsonReader reader, Utf8StringPool? strings, out JournalSource? source)
    {
        source = null;
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            return false;
        string? receipt = null, correlation = null;
        var seen = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var ok = Property(ref reader, ref seen, "receiptId"u8, 1) ? TryString(ref reader, strings, out receipt)
                : Property(ref reader, ref seen, "correlationId"u8, 2) && TryString(ref reader, strings, out correlation);
            if (!ok)
                return false;
        }
        if (seen != 0b11)
            return false;
        source = new JournalSource(receipt!, correlation!);
        return true;
    }

    private static bool TryLine(ref Utf8JsonReader reader, Utf8StringPool? strings, out JournalLine? line)
    {
        line = null;
        string? account = null, costCenter = null, facility = null, payer = null, memo = null;
        decimal debit = 0, credit = 0;
        var seen = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var ok = Property(ref reader, ref seen, "account"u8, 1) ? TryString(ref reader, strings, out account)
                : Property(ref reader, ref seen, "debit"u8, 2) ? TryDecimal(ref reader, out debit)
                : Property(ref reader, ref seen, "credit"u8, 3) ? TryDecimal(ref reader, out credit)
                : Property(ref reader, ref seen, "costCenter"u8, 4) ? TryString(ref reader, strings, out costCenter)
                : Property(ref reader, ref seen, "facility"u8, 5) ? TryString(ref reader, strings, out facility)
                : Property(ref reader, ref seen, "payer"u8, 6) ? TryString(ref reader, strings, out payer)
                : Property(ref reader, ref seen, "memo"u8, 7) && TryString(ref reader, strings, out memo);
            if (!ok)
                return false;
        }
        if ((seen & 0b111) != 0b111)
            return false;
        line = new JournalLine(account!, debit, credit, costCenter, facility, payer, memo);
        return true;
    }
}
