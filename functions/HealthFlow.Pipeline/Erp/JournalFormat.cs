using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using HealthFlow.Finance.Journals;

namespace HealthFlow.Pipeline.Erp;

/// <summary>
/// The file-ERP journal format, shared by the file sink (<c>erp/journals.jsonl</c>, <c>erp/journals.csv</c>) and the
/// webhook body. ERP teams import these names and acceptance checks read them: change none.
/// </summary>
/// <remarks>
/// JSON, one object per journal: <c>{"journalId","idempotencyKey","legalEntity","currency","postingDate","kind",
/// "reversalOf","source":{"receiptId","correlationId"},"lines":[{"account","debit","credit","costCenter","facility",
/// "payer","memo"}]}</c>; every name is always present (absent values are <c>null</c>), amounts are JSON numbers with
/// the journal's decimals, dates <c>yyyy-MM-dd</c>. CSV: one row per line, the header row <see cref="CsvHeader"/>,
/// RFC 4180 (comma, CRLF, fields quoted when they hold a comma, quote, CR or LF; quotes doubled).
/// </remarks>
public static class JournalFormat
{
    /// <summary>The CSV header row (without its CRLF).</summary>
    public const string CsvHeader = "journalId,idempotencyKey,legalEntity,currency,postingDate,kind,reversalOf,receiptId,correlationId,lineNumber,account,debit,credit,costCenter,facility,payer,memo";

    /// <summary>Writes one journal as a JSON object.</summary>
    public static void WriteJson(Utf8JsonWriter writer, Journal journal)
    {
        writer.WriteStartObject();
        writer.WriteString("journalId", journal.JournalId);
        writer.WriteString("idempotencyKey", journal.IdempotencyKey);
        writer.WriteString("legalEntity", journal.LegalEntity);
        writer.WriteString("currency", journal.Currency);
        writer.WriteString("postingDate", Date(journal.PostingDate));
        writer.WriteString("kind", journal.Kind);
        WriteNullable(writer, "reversalOf", journal.ReversalOf);
        writer.WriteStartObject("source");
        writer.WriteString("receiptId", journal.Source.ReceiptId);
        writer.WriteString("correlationId", journal.Source.CorrelationId);
        writer.WriteEndObject();
        writer.WriteStartArray("lines");
        foreach (var line in journal.Lines)
        {
            writer.WriteStartObject();
            writer.WriteString("account", line.Account);
            writer.WriteNumber("debit", line.Debit);
            writer.WriteNumber("credit", line.Credit);
            WriteNullable(writer, "costCenter", line.CostCenter);
            WriteNullable(writer, "facility", line.Facility);
            WriteNullable(writer, "payer", line.Payer);
            WriteNullable(writer, "memo", line.Memo);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>One JSON line (UTF-8, ending with LF) per journal.</summary>
    public static byte[] ToJsonLines(IEnumerable<Journal> journals)
    {
        var buffer = new ArrayBufferWriter<byte>();
        foreach (var journal in journals)
        {
            using (var writer = new Utf8JsonWriter(buffer))
                WriteJson(writer, journal);
            buffer.Write("\n"u8);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>CSV rows (CRLF-terminated) for the lines of <paramref name="journals"/>, without the header.</summary>
    public static string ToCsvRows(IEnumerable<Journal> journals)
    {
        var text = new StringBuilder();
        foreach (var journal in journals)
        {
            for (var i = 0; i < journal.Lines.Count; i++)
            {
                var line = journal.Lines[i];
                AppendRow(text,
                [
                    journal.JournalId, journal.IdempotencyKey, journal.LegalEntity, journal.Currency, Date(journal.PostingDate),
                    journal.Kind, journal.ReversalOf, journal.Source.ReceiptId, journal.Source.CorrelationId,
                    (i + 1).ToString(CultureInfo.InvariantCulture), line.Account, Amount(line.Debit), Amount(line.Credit),
                    line.CostCenter, line.Facility, line.Payer, line.Memo,
                ]);
            }
        }

        return text.ToString();
    }

    /// <summary>Appends one RFC 4180 record and its CRLF.</summary>
    public static void AppendRow(StringBuilder text, IReadOnlyList<string?> fields)
    {
        for (var i = 0; i < fields.Count; i++)
        {
            if (i > 0)
                text.Append(',');
            var field = fields[i] ?? "";
            if (field.AsSpan().IndexOfAny(",\"\r\n") < 0)
            {
                text.Append(field);
                continue;
            }

            text.Append('"').Append(field.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
        }

        text.Append("\r\n");
    }

    /// <summary>Reads RFC 4180 records (the inverse of <see cref="AppendRow"/>); a record cut short at the end is not returned.</summary>
    public static IEnumerable<IReadOnlyList<string>> ParseCsv(string text)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var i = 0;
        while (i < text.Length)
        {
            if (text[i] == '"')
            {
                i++;
                while (true)
                {
                    if (i >= text.Length)
                        yield break; // unterminated quoted field: a torn tail
                    if (text[i] == '"')
                    {
                        if (i + 1 < text.Length && text[i + 1] == '"')
                        {
                            field.Append('"');
                            i += 2;
                            continue;
                        }

                        i++;
                        break;
                    }

                    field.Append(text[i++]);
                }
            }

            while (i < text.Length && text[i] is not (',' or '\r' or '\n'))
                field.Append(text[i++]);
            if (i >= text.Length)
                yield break; // no line end: a torn tail
            fields.Add(field.ToString());
            field.Clear();
            if (text[i] == ',')
            {
                i++;
                continue;
            }

            i += text[i] == '\r' && i + 1 < text.Length && text[i + 1] == '\n' ? 2 : 1;
            yield return fields.ToArray();
            fields.Clear();
        }
    }

    internal static string Date(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    internal static string Amount(decimal amount) => amount.ToString(CultureInfo.InvariantCulture);

    private static void WriteNullable(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null)
            writer.WriteNull(name);
        else
            writer.WriteString(name, value);
    }
}
