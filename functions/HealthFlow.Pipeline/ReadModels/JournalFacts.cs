using System.Globalization;
using System.Text;
using System.Text.Json;
using HealthFlow.Finance.Journals;

namespace HealthFlow.Pipeline.ReadModels;

/// <summary>
/// What the read models need of a <see cref="Journal"/> record, read straight off its JSON (the file-ERP format the
/// workflows record): one forward pass of <see cref="Utf8JsonReader"/>, unknown properties skipped, about two thirds of
/// the CPU of a full deserialization (docs/PERFORMANCE.md, "Read-model rebuild").
/// </summary>
internal sealed record JournalFacts(string JournalId, string IdempotencyKey, string Kind, string LegalEntity, string Currency, DateOnly PostingDate,
    string? ReversalOf, string CorrelationId, IReadOnlyList<JournalLine> Lines)
{
    public static JournalFacts Read(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        string? journalId = null, key = null, kind = null, legalEntity = null, currency = null, reversalOf = null, correlationId = null;
        DateOnly? postingDate = null;
        var lines = new List<JournalLine>(2);
        Expect(ref reader, JsonTokenType.StartObject);
        while (Next(ref reader) == JsonTokenType.PropertyName)
        {
            var name = reader.ValueSpan;
            reader.Read();
            if (name.SequenceEqual("journalId"u8))
                journalId = reader.GetString();
            else if (name.SequenceEqual("idempotencyKey"u8))
                key = reader.GetString();
            else if (name.SequenceEqual("kind"u8))
                kind = reader.GetString();
            else if (name.SequenceEqual("legalEntity"u8))
                legalEntity = reader.GetString();
            else if (name.SequenceEqual("currency"u8))
                currency = reader.GetString();
            else if (name.SequenceEqual("postingDate"u8))
                postingDate = DateOnly.ParseExact(Encoding.UTF8.GetString(reader.ValueSpan), "yyyy-MM-dd", CultureInfo.InvariantCulture);
            else if (name.SequenceEqual("reversalOf"u8))
                reversalOf = reader.GetString();
            else if (name.SequenceEqual("source"u8))
                correlationId = ReadCorrelation(ref reader);
            else if (name.SequenceEqual("lines"u8))
                ReadLines(ref reader, lines);
            else
                reader.Skip();
        }

        return new JournalFacts(journalId ?? Missing("journalId"), key ?? Missing("idempotencyKey"), kind ?? Missing("kind"), legalEntity ?? Missing("legalEntity"),
            currency ?? Missing("currency"), postingDate ?? throw new InvalidDataException("A journal record has no postingDate."), reversalOf, correlationId ?? Missing("source.correlationId"), lines);
    }

    private static string? ReadCorrelation(ref Utf8JsonReader reader)
    {
        string? correlationId = null;
        while (Next(ref reader) == JsonTokenType.PropertyName)
        {
            var isCorrelation = reader.ValueTextEquals("correlationId"u8);
            reader.Read();
            if (isCorrelation)
                correlationId = reader.GetString();
            else
                reader.Skip();
        }

        return correlationId;
    }

    private static void ReadLines(ref Utf8JsonReader reader, List<JournalLine> lines)
    {
        while (Next(ref reader) == JsonTokenType.StartObject)
        {
            string? account = null, facility = null, payer = null;
            decimal debit = 0m, credit = 0m;
            while (Next(ref reader) == JsonTokenType.PropertyName)
            {
                var name = reader.ValueSpan;
                reader.Read();
                if (name.SequenceEqual("account"u8))
                    account = reader.GetString();
                else if (name.SequenceEqual("debit"u8))
                    debit = reader.GetDecimal();
                else if (name.SequenceEqual("credit"u8))
                    credit = reader.GetDecimal();
                else if (name.SequenceEqual("facility"u8))
                    facility = reader.GetString();
                else if (name.SequenceEqual("payer"u8))
                    payer = reader.GetString();
                else
                    reader.Skip();
            }

            lines.Add(new JournalLine(account ?? Missing("lines[].account"), debit, credit, Facility: facility, Payer: payer));
        }
    }

    private static JsonTokenType Next(ref Utf8JsonReader reader) =>
        reader.Read() ? reader.TokenType : throw new InvalidDataException("A journal record's JSON ends early.");

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type)
    {
        if (Next(ref reader) != type)
            throw new InvalidDataException($"A journal record's JSON has {reader.TokenType} where {type} belongs.");
    }

    private static string Missing(string property) => throw new InvalidDataException($"A journal record has no {property}.");
}
