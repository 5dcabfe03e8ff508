using System.Buffers.Text;
using System.Globalization;
using System.Text.Json;
using HealthFlow.Finance.Events;
using HealthFlow.Pipeline.Bus;
using HealthFlow.X12;
using Adjustment = HealthFlow.X12.Adjustment;
using ClaimPayment = HealthFlow.X12.ClaimPayment;

namespace HealthFlow.Pipeline.Ingestion.X12;

/// <summary>
/// Writes an 835's <see cref="RemittanceReceived"/> as JSON straight from the parsed <see cref="Remittance"/>: the bytes
/// <see cref="EventJson.Serialize"/> writes for <see cref="X12Processor.ToEvent"/>'s event of the same document, without
/// the event's objects in between.
/// </summary>
/// <remarks>
/// Why two: <see cref="X12Processor.ToEvent"/> states in the Finance model's terms what the event holds and is the
/// reference; this writer is the one path <see cref="X12Processor"/> takes, because for a large 835 building the
/// Finance objects of every claim and serialising them (decimals through the general formatter) took about half of
/// the processing time. RemittanceJsonTests holds the two byte-identical over every fixture, the corpus's 835s and
/// generated ones: a change to either is a change to both.
/// </remarks>
internal static class RemittanceJson
{
    private const string Topic = "remittances"; // RemittanceReceived.Topic

    // Property names as the serializer writes them (EventJson: camelCase, declared order, the base's last; the
    // overridden topic and session key are written, CanonicalEvent's JsonIgnore does not reach them).
    private static readonly JsonEncodedText Type = JsonEncodedText.Encode("type");
    private static readonly JsonEncodedText RemittanceReceivedType = JsonEncodedText.Encode(nameof(RemittanceReceived));
    private static readonly JsonEncodedText Payer = JsonEncodedText.Encode("payer");
    private static readonly JsonEncodedText PayerId = JsonEncodedText.Encode("payerId");
    private static readonly JsonEncodedText Payee = JsonEncodedText.Encode("payee");
    private static readonly JsonEncodedText PayeeNpi = JsonEncodedText.Encode("payeeNpi");
    private static readonly JsonEncodedText TraceNumber = JsonEncodedText.Encode("traceNumber");
    private static readonly JsonEncodedText PaymentMethod = JsonEncodedText.Encode("paymentMethod");
    private static readonly JsonEncodedText PaymentAmount = JsonEncodedText.Encode("paymentAmount");
    private static readonly JsonEncodedText Amount = JsonEncodedText.Encode("amount");
    private static readonly JsonEncodedText CurrencyName = JsonEncodedText.Encode("currency");
    private static readonly JsonEncodedText CurrencyValue = JsonEncodedText.Encode(X12Processor.Currency);
    private static readonly JsonEncodedText PaymentDate = JsonEncodedText.Encode("paymentDate");
    private static readonly JsonEncodedText Balanced = JsonEncodedText.Encode("balanced");
    private static readonly JsonEncodedText Difference = JsonEncodedText.Encode("difference");
    private static readonly JsonEncodedText Claims = JsonEncodedText.Encode("claims");
    private static readonly JsonEncodedText ProviderAdjustments = JsonEncodedText.Encode("providerAdjustments");
    private static readonly JsonEncodedText TopicName = JsonEncodedText.Encode("topic");
    private static readonly JsonEncodedText TopicValue = JsonEncodedText.Encode(Topic);
    private static readonly JsonEncodedText SessionKey = JsonEncodedText.Encode("sessionKey");
    private static readonly JsonEncodedText IdempotencyKey = JsonEncodedText.Encode("idempotencyKey");
    private static readonly JsonEncodedText CorrelationId = JsonEncodedText.Encode("correlationId");
    private static readonly JsonEncodedText CausationId = JsonEncodedText.Encode("causationId");
    private static readonly JsonEncodedText PatientControlNumber = JsonEncodedText.Encode("patientControlNumber");
    private static readonly JsonEncodedText Status = JsonEncodedText.Encode("status");
    private static readonly JsonEncodedText Charge = JsonEncodedText.Encode("charge");
    private static readonly JsonEncodedText Paid = JsonEncodedText.Encode("paid");
    private static readonly JsonEncodedText PatientResponsibility = JsonEncodedText.Encode("patientResponsibility");
    private static readonly JsonEncodedText PayerClaimControlNumber = JsonEncodedText.Encode("payerClaimControlNumber");
    private static readonly JsonEncodedText PatientToken = JsonEncodedText.Encode("patientToken");
    private static readonly JsonEncodedText Adjustments = JsonEncodedText.Encode("adjustments");
    private static readonly JsonEncodedText ServiceLines = JsonEncodedText.Encode("serviceLines");
    private static readonly JsonEncodedText RemarkCodes = JsonEncodedText.Encode("remarkCodes");
    private static readonly JsonEncodedText IsReversal = JsonEncodedText.Encode("isReversal");
    private static readonly JsonEncodedText IsDenial = JsonEncodedText.Encode("isDenial");
    private static readonly JsonEncodedText ProcedureCode = JsonEncodedText.Encode("procedureCode");
    private static readonly JsonEncodedText RevenueCode = JsonEncodedText.Encode("revenueCode");
    private static readonly JsonEncodedText Group = JsonEncodedText.Encode("group");
    private static readonly JsonEncodedText Reason = JsonEncodedText.Encode("reason");
    private static readonly JsonEncodedText Reference = JsonEncodedText.Encode("reference");

    /// <summary>The event of <paramref name="remittance"/>, written by <paramref name="writer"/>, with its envelope.</summary>
    public static WrittenEvent Write(EventWriter writer, Remittance remittance, string key, string correlation, string causation)
    {
        var payer = remittance.PayerId ?? remittance.PayerName ?? "unknown-payer";
        var trace = remittance.TraceNumber ?? "";
        var session = $"{payer}|{trace}";
        var body = writer.Write((remittance, payer, trace, session, key, correlation, causation),
            static (json, e) => WriteEvent(json, e.remittance, e.payer, e.trace, e.session, e.key, e.correlation, e.causation));
        return new(Topic, new BusMessage(key, nameof(RemittanceReceived), body, session, correlation, causation));
    }

    private static void WriteEvent(Utf8JsonWriter json, Remittance remittance, string payer, string trace, string session, string key, string correlation, string causation)
    {
        json.WriteStartObject();
        json.WriteString(Type, RemittanceReceivedType);
        json.WriteString(Payer, payer);
        Optional(json, PayerId, remittance.PayerId);
        json.WriteString(Payee, remittance.PayeeName ?? remittance.PayeeId ?? "unknown-payee");
        Optional(json, PayeeNpi, remittance.PayeeIdQualifier == "XX" ? remittance.PayeeId : null);
        json.WriteString(TraceNumber, trace);
        Optional(json, PaymentMethod, remittance.PaymentMethod);
        json.WriteStartObject(PaymentAmount);
        Number(json, Amount, remittance.PaymentAmount);
        json.WriteString(CurrencyName, CurrencyValue);
        json.WriteEndObject();
        if (remittance.PaymentDate is { } date)
            Date(json, PaymentDate, date);
        var difference = remittance.Difference;
        json.WriteBoolean(Balanced, difference == 0m);
        Number(json, Difference, difference);
        json.WriteStartArray(Claims);
        foreach (var claim in remittance.Claims)
            WriteClaim(json, claim);
        json.WriteEndArray();
        json.WriteStartArray(ProviderAdjustments);
        foreach (var adjustment in remittance.ProviderAdjustments)
        {
            json.WriteStartObject();
            json.WriteString(Reason, adjustment.Reason);
            Optional(json, Reference, adjustment.Reference);
            Number(json, Amount, adjustment.Amount);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteString(TopicName, TopicValue);
        json.WriteString(SessionKey, session);
        json.WriteString(IdempotencyKey, key);
        json.WriteString(CorrelationId, correlation);
        json.WriteString(CausationId, causation);
        json.WriteEndObject();
    }

    private static void WriteClaim(Utf8JsonWriter json, ClaimPayment claim)
    {
        json.WriteStartObject();
        json.WriteString(PatientControlNumber, claim.PatientControlNumber);
        json.WriteString(Status, claim.Status);
        Number(json, Charge, claim.Charge);
        Number(json, Paid, claim.Paid);
        Number(json, PatientResponsibility, claim.PatientResponsibility ?? 0m);
        Optional(json, PayerClaimControlNumber, claim.PayerClaimControlNumber);
        Optional(json, PatientToken, claim.Patient?.IdToken ?? claim.Patient?.NameToken);
        WriteAdjustments(json, claim.Adjustments);
        json.WriteStartArray(ServiceLines);
        foreach (var line in claim.ServiceLines)
        {
            json.WriteStartObject();
            Optional(json, ProcedureCode, line.ProcedureCode);
            Optional(json, RevenueCode, line.RevenueCode);
            Number(json, Charge, line.Charge);
            Number(json, Paid, line.Paid);
            WriteAdjustments(json, line.Adjustments);
            WriteStrings(json, RemarkCodes, line.RemarkCodes);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        WriteStrings(json, RemarkCodes, claim.RemarkCodes);
        json.WriteBoolean(Balanced, claim.IsBalanced);
        json.WriteBoolean(IsReversal, claim.IsReversal);
        json.WriteBoolean(IsDenial, claim.IsDenied);
        json.WriteEndObject();
    }

    private static void WriteAdjustments(Utf8JsonWriter json, IReadOnlyList<Adjustment> adjustments)
    {
        json.WriteStartArray(Adjustments);
        for (var i = 0; i < adjustments.Count; i++)
        {
            var adjustment = adjustments[i];
            json.WriteStartObject();
            json.WriteString(Group, adjustment.Group);
            json.WriteString(Reason, adjustment.Reason);
            Number(json, Amount, adjustment.Amount);
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }

    private static void WriteStrings(Utf8JsonWriter json, JsonEncodedText name, IReadOnlyList<string> values)
    {
        json.WriteStartArray(name);
        for (var i = 0; i < values.Count; i++)
            json.WriteStringValue(values[i]);
        json.WriteEndArray();
    }

    /// <summary>A string property left out when null, as the serializer's <c>WhenWritingNull</c> does.</summary>
    private static void Optional(Utf8JsonWriter json, JsonEncodedText name, string? value)
    {
        if (value is not null)
            json.WriteString(name, value);
    }

    /// <summary>A date as the serializer writes a <see cref="DateOnly"/>: <c>yyyy-MM-dd</c>.</summary>
    private static void Date(Utf8JsonWriter json, JsonEncodedText name, DateOnly date)
    {
        Span<byte> text = stackalloc byte[10];
        date.TryFormat(text, out var written, "O", CultureInfo.InvariantCulture);
        json.WriteString(name, text[..written]);
    }

    private static void Number(Utf8JsonWriter json, JsonEncodedText name, decimal value)
    {
        Span<byte> text = stackalloc byte[MaxDecimalLength];
        if (TryFormat(value, text, out var written))
        {
            json.WritePropertyName(name);
            json.WriteRawValue(text[..written], skipInputValidation: true);
        }
        else
        {
            json.WriteNumber(name, value);
        }
    }

    /// <summary>The longest decimal <see cref="TryFormat"/> writes: a sign, <c>0.</c> and the 28 digits of the largest scale.</summary>
    internal const int MaxDecimalLength = 31;

    /// <summary>
    /// A decimal as <see cref="Utf8JsonWriter.WriteNumberValue(decimal)"/> writes it (all digits of its scale, no exponent),
    /// for the values an 835 holds: 64-bit digits and not negative zero; false for any other, which the writer then formats.
    /// The general formatter was about a tenth of the processing time of a large 835.
    /// </summary>
    internal static bool TryFormat(decimal value, Span<byte> text, out int written)
    {
        written = 0;
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(value, bits);
        var digits = unchecked(((ulong)(uint)bits[1] << 32) | (uint)bits[0]);
        var negative = bits[3] < 0;
        var scale = (bits[3] >> 16) & 0xFF;
        if (bits[2] != 0 || (negative && digits == 0) || text.Length < MaxDecimalLength)
            return false;

        var at = 0;
        if (negative)
            text[at++] = (byte)'-';
        Span<byte> number = stackalloc byte[20];
        Utf8Formatter.TryFormat(digits, number, out var count);
        if (count > scale)
        {
            number[..(count - scale)].CopyTo(text[at..]);
            at += count - scale;
        }
        else
        {
            text[at++] = (byte)'0';
        }

        if (scale > 0)
        {
            text[at++] = (byte)'.';
            for (var zeros = scale - count; zeros > 0; zeros--)
                text[at++] = (byte)'0';
            number[Math.Max(0, count - scale)..count].CopyTo(text[at..]);
            at += Math.Min(count, scale);
        }

        written = at;
        return true;
    }
}
