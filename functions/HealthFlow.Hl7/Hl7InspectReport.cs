using System.Globalization;
using System.Text.Json;
using HealthFlow.Hl7.Mllp;

namespace HealthFlow.Hl7;

/// <summary>
/// The JSON behind <c>healthflow hl7 inspect FILE</c>:
/// <c>{"accepted","ackCode","message":{...},"events":[{"type","idempotencyKey",...}],"errors":[...],"ack"}</c>.
/// </summary>
/// <remarks>
/// Only what the reader lets out is printed: patient tokens, never names, birth dates or raw identifiers.
/// A file may hold the message as plain text (CR, CRLF or LF line endings) or MLLP-framed; for a framed file the
/// first frame is inspected.
/// </remarks>
public static class Hl7InspectReport
{
    /// <summary>Reads <paramref name="file"/>, builds its ACK and writes the report.</summary>
    public static void Write(Utf8JsonWriter writer, ReadOnlySpan<byte> file, Func<string, string> tokenizer, DateTimeOffset now, Hl7ReadOptions? options = null)
    {
        var payload = Unframe(file);
        var result = Hl7Reader.Read(payload, tokenizer, options);
        Write(writer, result, Hl7AckBuilder.Build(result, now));
    }

    /// <summary>
    /// Writes a JSON array with one report per message in <paramref name="file"/>: every MLLP frame of a framed file,
    /// or every message of an HL7 log or batch file (a new message starts at each MSH segment; FHS/BHS/BTS/FTS batch
    /// envelope segments are skipped).
    /// </summary>
    public static void WriteAll(Utf8JsonWriter writer, ReadOnlySpan<byte> file, Func<string, string> tokenizer, DateTimeOffset now, Hl7ReadOptions? options = null)
    {
        writer.WriteStartArray();
        foreach (var message in SplitMessages(file))
        {
            var result = Hl7Reader.Read(message, tokenizer, options);
            Write(writer, result, Hl7AckBuilder.Build(result, now));
        }

        writer.WriteEndArray();
    }

    /// <summary>The messages in a file: MLLP frames when the file starts with a start block, else text split at each MSH.</summary>
    public static IReadOnlyList<byte[]> SplitMessages(ReadOnlySpan<byte> file)
    {
        var messages = new List<byte[]>();
        if (!file.IsEmpty && file[0] == MllpFrameDecoder.StartBlock)
        {
            var decoder = new MllpFrameDecoder(new MllpDecoderOptions { MaxFrameBytes = Math.Max(file.Length, 1) });
            var buffer = new System.Buffers.ReadOnlySequence<byte>(file.ToArray());
            while (true)
            {
                var decoded = decoder.Decode(ref buffer, isCompleted: true);
                if (decoded.Status == MllpDecodeStatus.EndOfStream)
                {
                    break;
                }

                if (decoded.Status == MllpDecodeStatus.Frame)
                {
                    messages.Add(System.Buffers.BuffersExtensions.ToArray(decoded.Payload));
                }
            }

            return messages;
        }

        var current = new List<byte>();
        var rest = file;
        while (!rest.IsEmpty)
        {
            var end = rest.IndexOfAny((byte)'\r', (byte)'\n');
            var line = end < 0 ? rest : rest[..(end + 1)];
            rest = rest[line.Length..];
            if (line.StartsWith("MSH"u8) && current.Count > 0)
            {
                messages.Add([.. current]);
                current.Clear();
            }

            if (line.StartsWith("FHS"u8) || line.StartsWith("BHS"u8) || line.StartsWith("BTS"u8) || line.StartsWith("FTS"u8))
            {
                continue;
            }

            current.AddRange(line);
        }

        if (current.Exists(b => b is not ((byte)'\r' or (byte)'\n' or (byte)' ')))
        {
            messages.Add([.. current]);
        }

        return messages;
    }

    /// <summary>Writes the report for a result and its ACK.</summary>
    public static void Write(Utf8JsonWriter writer, Hl7ReadResult result, string ack)
    {
        writer.WriteStartObject();
        writer.WriteBoolean("accepted", result.IsAccepted);
        writer.WriteString("ackCode", Hl7AckBuilder.AckCodeText(result.AckCode));
        if (result.Header is { } header)
        {
            writer.WriteStartObject("message");
            writer.WriteString("type", header.MessageType);
            writer.WriteString("structure", header.MessageStructure);
            writer.WriteString("version", header.Version);
            writer.WriteString("controlId", header.ControlId);
            writer.WriteString("sendingApplication", header.SendingApplication.Key);
            writer.WriteString("sendingFacility", header.SendingFacility.Key);
            writer.WriteString("idempotencyKey", header.IdempotencyKey);
            if (result.Message is { } typed)
            {
                writer.WriteString("encounterId", typed.Visit.EncounterId);
                writer.WriteString("facility", typed.Visit.Facility);
                writer.WriteString("patientClass", typed.Visit.PatientClass);
                WriteTokens(writer, typed.PatientTokens);
                if (typed is Hl7DftMessage dft)
                {
                    writer.WriteNumber("transactionCount", dft.Transactions.Count);
                }
            }

            if (result.Parsed is { } parsed)
            {
                writer.WriteStartArray("segments");
                for (var i = 0; i < parsed.SegmentCount; i++)
                {
                    writer.WriteStringValue(parsed.SegmentIdAt(i));
                }

                writer.WriteEndArray();
            }

            writer.WriteEndObject();
        }

        writer.WriteStartArray("events");
        foreach (var fact in result.Facts)
        {
            WriteFact(writer, fact);
        }

        writer.WriteEndArray();
        writer.WriteStartArray("errors");
        foreach (var error in result.Errors)
        {
            writer.WriteStartObject();
            writer.WriteNumber("code", (int)error.Code);
            writer.WriteString("codeText", error.CodeText);
            writer.WriteString("severity", error.Severity.ToString());
            if (error.Location is { } location)
            {
                writer.WriteString("location", location.ToString());
                writer.WriteString("path", location.ToPath());
            }

            writer.WriteString("diagnostic", error.Diagnostic);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteString("ack", ack);
        writer.WriteEndObject();
    }

    private static void WriteFact(Utf8JsonWriter writer, Hl7Fact fact)
    {
        writer.WriteStartObject();
        writer.WriteString("type", fact.Type.ToString());
        writer.WriteString("idempotencyKey", fact.IdempotencyKey);
        writer.WriteString("facility", fact.Facility);
        writer.WriteString("encounterId", fact.EncounterId);
        writer.WriteString("occurredAt", fact.OccurredAt);
        WriteTokens(writer, fact.PatientTokens);
        switch (fact)
        {
            case Hl7EncounterFact encounter:
                writer.WriteString("patientClass", encounter.PatientClass);
                writer.WriteString("hospitalService", encounter.HospitalService);
                writer.WriteString("attendingProviderId", encounter.AttendingProviderId);
                writer.WriteString("dischargeDisposition", encounter.DischargeDisposition);
                if (encounter.AdmittedAt is { } admitted)
                {
                    writer.WriteString("admittedAt", admitted);
                }

                if (encounter.DischargedAt is { } discharged)
                {
                    writer.WriteString("dischargedAt", discharged);
                }

                break;
            case Hl7ChargeFact charge:
                // Money as a JSON string keeps the exact decimal (no binary floating point on the way).
                writer.WriteString("amount", charge.Amount.ToString(CultureInfo.InvariantCulture));
                writer.WriteString("currency", charge.Currency);
                writer.WriteString("quantity", charge.Quantity.ToString(CultureInfo.InvariantCulture));
                writer.WriteString("departmentCode", charge.DepartmentCode);
                writer.WriteString("chargeCode", charge.ChargeCode);
                writer.WriteString("procedureCode", charge.ProcedureCode);
                writer.WriteString("revenueCode", charge.RevenueCode);
                writer.WriteString("transactionId", charge.Transaction.TransactionId);
                break;
            default:
                break;
        }

        writer.WriteEndObject();
    }

    private static void WriteTokens(Utf8JsonWriter writer, IReadOnlyList<Hl7PatientIdentifierToken> tokens)
    {
        writer.WriteStartArray("patientTokens");
        foreach (var token in tokens)
        {
            writer.WriteStartObject();
            writer.WriteString("token", token.Token);
            writer.WriteString("assigningAuthority", token.AssigningAuthority);
            writer.WriteString("identifierType", token.IdentifierTypeCode);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    private static ReadOnlySpan<byte> Unframe(ReadOnlySpan<byte> file)
    {
        if (file.IsEmpty || file[0] != MllpFrameDecoder.StartBlock)
        {
            return file;
        }

        var end = file.IndexOf(MllpFrameDecoder.EndBlock);
        return end < 0 ? file[1..] : file[1..end];
    }
}
