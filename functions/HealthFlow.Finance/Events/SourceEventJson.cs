using System.Text.Json;
using HealthFlow.Finance.Journals;
using static HealthFlow.Finance.Events.WrittenJson;

namespace HealthFlow.Finance.Events;

/// <summary>
/// Reads canonical events from their JSON as <see cref="EventJson.Deserialize"/> does, with a hand-written
/// <see cref="Utf8JsonReader"/> loop for the two sources reconciliation reads by the million (<see cref="ClaimSubmitted"/>
/// and <see cref="RemittanceReceived"/>), several times faster than the polymorphic reflection serializer. Only the shape
/// the pipeline writes (<see cref="EventJson.Options"/>: the type first, these property names, each once, amounts as
/// numbers) takes the fast path; anything else (another spelling, an unknown property, an amount as a string, a null
/// where the serializer would decide, a missing required property, another event type) goes to the serializer, so the
/// result is always the one it gives.
/// </summary>
public static class SourceEventJson
{
    /// <summary>The event in <paramref name="json"/>, as <see cref="EventJson.Deserialize"/> reads it.</summary>
    /// <param name="json">The event's UTF-8 JSON.</param>
    /// <param name="strings">
    /// Where the low-cardinality strings of claims and 835s (kinds, payers, facilities, currencies, codes, receipt ids)
    /// come from, so that reading a million of them does not allocate each again; null to allocate them.
    /// </param>
    /// <exception cref="JsonException">Not a canonical event.</exception>
    /// <exception cref="NotSupportedException">An event type the serializer does not know.</exception>
    public static CanonicalEvent Deserialize(ReadOnlySpan<byte> json, Utf8StringPool? strings = null) => TryReadWritten(json, strings) ?? EventJson.Deserialize(json);

    /// <summary>
    /// A claim or an 835 in exactly the bytes the pipeline writes (<see cref="ExactReader"/>: derived properties in
    /// declaration order, then <c>topic</c>, <c>sessionKey</c> and the base ones; nulls left out), else null.
    /// </summary>
    internal static CanonicalEvent? TryReadExact(ReadOnlySpan<byte> json, Utf8StringPool? strings = null)
    {
        var bytes = new ExactReader(json);
        CanonicalEvent? read = bytes.Literal("{\"type\":\"ClaimSubmitted\""u8) ? ExactClaim(ref bytes, strings)
            : bytes.Literal("{\"type\":\"RemittanceReceived\""u8) ? ExactRemittance(ref bytes, strings)
            : null;
        return read is not null && bytes.Literal("}"u8) && bytes.AtEnd ? read : null;
    }

    /// <summary>What every event writes after its own properties: the two computed ones (skipped) and the base ones.</summary>
    private static bool ExactBase(ref ExactReader bytes, Utf8StringPool? strings, out string key, out string correlation, out string causation)
    {
        (key, correlation, causation) = ("", "", "");
        return bytes.Literal(",\"topic\":"u8) && bytes.SkipString() && bytes.Literal(",\"sessionKey\":"u8) && bytes.SkipString()
            && bytes.Literal(",\"idempotencyKey\":"u8) && bytes.String(null, out key)
            && bytes.Literal(",\"correlationId\":"u8) && bytes.String(strings, out correlation)
            && bytes.Literal(",\"causationId\":"u8) && bytes.String(strings, out causation);
    }

    private static ClaimSubmitted? ExactClaim(ref ExactReader bytes, Utf8StringPool? strings)
    {
        if (!bytes.Literal(",\"claimId\":"u8) || !bytes.String(null, out var claimId)
            || !bytes.Literal(",\"claimKind\":"u8) || !bytes.String(strings, out var claimKind)
            || !bytes.Optional(",\"facility\":"u8, strings, out var facility)
            || !bytes.Optional(",\"encounterId\":"u8, null, out var encounter)
            || !bytes.Optional(",\"billingProviderNpi\":"u8, strings, out var npi)
            || !bytes.Literal(",\"payer\":"u8) || !bytes.String(strings, out var payer)
            || !bytes.Optional(",\"patientToken\":"u8, null, out var patient)
            || !bytes.Literal(",\"totalCharge\":"u8) || !bytes.Money(strings, out var total)
            || !bytes.Optional(",\"frequencyCode\":"u8, strings, out var frequency)
            || !bytes.Literal(",\"diagnosisCodes\":"u8) || !bytes.Strings(strings, out var diagnoses)
            || !bytes.Literal(",\"lines\":"u8) || !bytes.List<ClaimLine>(strings, ExactClaimLine, out var lines)
            || !ExactBase(ref bytes, strings, out var key, out var correlation, out var causation))
            return null;
        return new ClaimSubmitted
        {
            IdempotencyKey = key,
            CorrelationId = correlation,
            CausationId = causation,
            ClaimId = claimId,
            ClaimKind = claimKind,
            Facility = facility,
            EncounterId = encounter,
            BillingProviderNpi = npi,
            Payer = payer,
            PatientToken = patient,
            TotalCharge = total,
            FrequencyCode = frequency,
            DiagnosisCodes = diagnoses,
            Lines = lines,
        };
    }

    private static bool ExactClaimLine(ref ExactReader bytes, Utf8StringPool? strings, out ClaimLine line)
    {
        line = null!;
        if (!bytes.Literal("{\"number\":"u8) || !bytes.Int32(out var number)
            || !bytes.Optional(",\"revenueCode\":"u8, strings, out var revenue)
            || !bytes.Optional(",\"procedureCode\":"u8, strings, out var procedure)
            || !bytes.Literal(",\"quantity\":"u8) || !bytes.Decimal(out var quantity)
            || !bytes.Literal(",\"charge\":"u8) || !bytes.Money(strings, out var charge)
            || !bytes.OptionalDate(",\"serviceDate\":"u8, out var date)
            || !bytes.Literal("}"u8))
            return false;
        line = new ClaimLine(number, revenue, procedure, quantity, charge, date);
        return true;
    }

    private static RemittanceReceived? ExactRemittance(ref ExactReader bytes, Utf8StringPool? strings)
    {
        if (!bytes.Literal(",\"payer\":"u8) || !bytes.String(strings, out var payer)
            || !bytes.Optional(",\"payerId\":"u8, strings, out var payerId)
            || !bytes.Literal(",\"payee\":"u8) || !bytes.String(strings, out var payee)
            || !bytes.Optional(",\"payeeNpi\":"u8, strings, out var payeeNpi)
            || !bytes.Literal(",\"traceNumber\":"u8) || !bytes.String(null, out var trace)
            || !bytes.Optional(",\"paymentMethod\":"u8, strings, out var method)
            || !bytes.Literal(",\"paymentAmount\":"u8) || !bytes.Money(strings, out var amount)
            || !bytes.OptionalDate(",\"paymentDate\":"u8, out var date)
            || !bytes.Literal(",\"balanced\":"u8) || !bytes.Bool(out var balanced)
            || !bytes.Literal(",\"difference\":"u8) || !bytes.Decimal(out var difference)
            || !bytes.Literal(",\"claims\":"u8) || !bytes.List<ClaimPayment>(strings, ExactClaimPayment, out var claims)
            || !bytes.Literal(",\"providerAdjustments\":"u8) || !bytes.List<ProviderAdjustment>(strings, ExactProviderAdjustment, out var adjustments)
            || !ExactBase(ref bytes, strings, out var key, out var correlation, out var causation))
            return null;
        return new RemittanceReceived
        {
            IdempotencyKey = key,
            CorrelationId = correlation,
            CausationId = causation,
            Payer = payer,
            PayerId = payerId,
            Payee = payee,
            PayeeNpi = payeeNpi,
            TraceNumber = trace,
            PaymentMethod = method,
            PaymentAmount = amount,
            PaymentDate = date,
            Balanced = balanced,
            Difference = difference,
            Claims = claims,
            ProviderAdjustments = adjustments,
        };
    }

    private static bool ExactClaimPayment(ref ExactReader bytes, Utf8StringPool? strings, out ClaimPayment payment)
    {
        payment = null!;
        if (!bytes.Literal("{\"patientControlNumber\":"u8) || !bytes.String(null, out var pcn)
            || !bytes.Literal(",\"status\":"u8) || !bytes.String(strings, out var status)
            || !bytes.Literal(",\"charge\":"u8) || !bytes.Decimal(out var charge)
            || !bytes.Literal(",\"paid\":"u8) || !bytes.Decimal(out var paid)
            || !bytes.Literal(",\"patientResponsibility\":"u8) || !bytes.Decimal(out var patientResponsibility)
            || !bytes.Optional(",\"payerClaimControlNumber\":"u8, null, out var payerControl)
            || !bytes.Optional(",\"patientToken\":"u8, null, out var patient)
            || !bytes.Literal(",\"adjustments\":"u8) || !bytes.List<Adjustment>(strings, ExactAdjustment, out var adjustments)
            || !bytes.Literal(",\"serviceLines\":"u8) || !bytes.List<ServiceLinePayment>(strings, ExactServiceLine, out var lines)
            || !bytes.Literal(",\"remarkCodes\":"u8) || !bytes.Strings(strings, out var remarks)
            || !bytes.Literal(",\"balanced\":"u8) || !bytes.Bool(out var balanced)
            // Computed from the status: written, and skipped when read.
            || !bytes.Literal(",\"isReversal\":"u8) || !bytes.Bool(out _)
            || !bytes.Literal(",\"isDenial\":"u8) || !bytes.Bool(out _)
            || !bytes.Literal("}"u8))
            return false;
        payment = new ClaimPayment
        {
            PatientControlNumber = pcn,
            Status = status,
            Charge = charge,
            Paid = paid,
            PatientResponsibility = patientResponsibility,
            PayerClaimControlNumber = payerControl,
            PatientToken = patient,
            Adjustments = adjustments,
            ServiceLines = lines,
            RemarkCodes = remarks,
            Balanced = balanced,
        };
        return true;
    }

    private static bool ExactServiceLine(ref ExactReader bytes, Utf8StringPool? strings, out ServiceLinePayment line)
    {
        line = null!;
        if (!bytes.Literal("{"u8) || !ExactServiceLineCodes(ref bytes, strings, out var procedure, out var revenue)
            || !bytes.Decimal(out var charge)
            || !bytes.Literal(",\"paid\":"u8) || !bytes.Decimal(out var paid)
            || !bytes.Literal(",\"adjustments\":"u8) || !bytes.List<Adjustment>(strings, ExactAdjustment, out var adjustments)
            || !bytes.Literal(",\"remarkCodes\":"u8) || !bytes.Strings(strings, out var remarks)
            || !bytes.Literal("}"u8))
            return false;
        line = new ServiceLinePayment(procedure, revenue, charge, paid, adjustments) { RemarkCodes = remarks };
        return true;
    }

    /// <summary>A service line's optional codes, up to and including the name of its first required property (<c>charge</c>).</summary>
    private static bool ExactServiceLineCodes(ref ExactReader bytes, Utf8StringPool? strings, out string? procedure, out string? revenue)
    {
        // The first property has no leading comma: whichever of the three comes first.
        procedure = revenue = null;
        if (bytes.Literal("\"procedureCode\":"u8))
        {
            if (!bytes.Literal("null"u8) && !bytes.String(strings, out procedure!))
                return false;
            return bytes.Optional(",\"revenueCode\":"u8, strings, out revenue) && bytes.Literal(",\"charge\":"u8);
        }
        if (bytes.Literal("\"revenueCode\":"u8))
            return (bytes.Literal("null"u8) || bytes.String(strings, out revenue!)) && bytes.Literal(",\"charge\":"u8);
        return bytes.Literal("\"charge\":"u8);
    }

    private static bool ExactAdjustment(ref ExactReader bytes, Utf8StringPool? strings, out Adjustment adjustment)
    {
        adjustment = null!;
        if (!bytes.Literal("{\"group\":"u8) || !bytes.String(strings, out var group)
            || !bytes.Literal(",\"reason\":"u8) || !bytes.String(strings, out var reason)
            || !bytes.Literal(",\"amount\":"u8) || !bytes.Decimal(out var amount)
            || !bytes.Literal("}"u8))
            return false;
        adjustment = new Adjustment(group, reason, amount);
        return true;
    }

    private static bool ExactProviderAdjustment(ref ExactReader bytes, Utf8StringPool? strings, out ProviderAdjustment adjustment)
    {
        adjustment = null!;
        if (!bytes.Literal("{\"reason\":"u8) || !bytes.String(strings, out var reason)
            || !bytes.Optional(",\"reference\":"u8, null, out var reference)
            || !bytes.Literal(",\"amount\":"u8) || !bytes.Decimal(out var amount)
            || !bytes.Literal("}"u8))
            return false;
        adjustment = new ProviderAdjustment(reason, reference, amount);
        return true;
    }

    /// <summary>The event when <paramref name="json"/> has the written shape of a claim or an 835, else null.</summary>
    internal static CanonicalEvent? TryReadWritten(ReadOnlySpan<byte> json, Utf8StringPool? strings = null) => TryReadExact(json, strings) ?? TryReadTokens(json, strings);

    /// <summary>The event when <paramref name="json"/> has the written shape of a claim or an 835 in any order or spacing, else null.</summary>
    internal static CanonicalEvent? TryReadTokens(ReadOnlySpan<byte> json, Utf8StringPool? strings = null)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject || !reader.Read() || !reader.ValueTextEquals("type"u8)
                || !reader.Read() || reader.TokenType != JsonTokenType.String)
                return null;
            CanonicalEvent? read = reader.ValueTextEquals("ClaimSubmitted"u8) ? ReadClaim(ref reader, strings)
                : reader.ValueTextEquals("RemittanceReceived"u8) ? ReadRemittance(ref reader, strings)
                : null;
            return read is not null && reader.TokenType == JsonTokenType.EndObject && !reader.Read() ? read : null;
        }
        catch (JsonException)
        {
            return null;
        }
        catch (InvalidOperationException)
        {
            return null; // e.g. a string that is not valid UTF-8: the serializer decides
        }
    }

    private static ClaimSubmitted? ReadClaim(ref Utf8JsonReader reader, Utf8StringPool? strings)
    {
        string? key = null, correlation = null, causation = null, claimId = null, claimKind = null, facility = null, encounter = null,
            npi = null, payer = null, patient = null, frequency = null;
        var total = default(Money);
        List<string>? diagnoses = null;
        List<ClaimLine>? lines = null;
        var seen = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var ok = Property(ref reader, ref seen, "idempotencyKey"u8, 1) ? TryString(ref reader, out key)
                : Property(ref reader, ref seen, "correlationId"u8, 2) ? TryString(ref reader, strings, out correlation)
                : Property(ref reader, ref seen, "causationId"u8, 3) ? TryString(ref reader, strings, out causation)
                : Property(ref reader, ref seen, "claimId"u8, 4) ? TryString(ref reader, out claimId)
                : Property(ref reader, ref seen, "claimKind"u8, 5) ? TryString(ref reader, strings, out claimKind)
                : Property(ref reader, ref seen, "payer"u8, 6) ? TryString(ref reader, strings, out payer)
                : Property(ref reader, ref seen, "totalCharge"u8, 7) ? TryMoney(ref reader, strings, out total)
                : Property(ref reader, ref seen, "facility"u8, 8) ? TryString(ref reader, strings, out facility)
                : Property(ref reader, ref seen, "encounterId"u8, 9) ? TryString(ref reader, out encounter)
                : Property(ref reader, ref seen, "billingProviderNpi"u8, 10) ? TryString(ref reader, strings, out npi)
                : Property(ref reader, ref seen, "patientToken"u8, 11) ? TryString(ref reader, out patient)
                : Property(ref reader, ref seen, "frequencyCode"u8, 12) ? TryString(ref reader, strings, out frequency)
                : Property(ref reader, ref seen, "diagnosisCodes"u8, 13) ? TryStrings(ref reader, strings, out diagnoses)
                : Property(ref reader, ref seen, "lines"u8, 14) ? TryList(ref reader, strings, TryClaimLine, out lines)
                : ReadOnly(ref reader, ref seen, 15);
            if (!ok)
                return null;
        }

        if ((seen & 0b111_1111) != 0b111_1111)
            return null; // a required property is missing: the serializer's error
        return new ClaimSubmitted
        {
            IdempotencyKey = key!,
            CorrelationId = correlation!,
            CausationId = causation!,
            ClaimId = claimId!,
            ClaimKind = claimKind!,
            Facility = facility,
            EncounterId = encounter,
            BillingProviderNpi = npi,
            Payer = payer!,
            PatientToken = patient,
            TotalCharge = total,
            FrequencyCode = frequency,
            DiagnosisCodes = diagnoses ?? [],
            Lines = lines ?? [],
        };
    }

    private static bool TryClaimLine(ref Utf8JsonReader reader, Utf8StringPool? strings, out ClaimLine? line)
    {
        line = null;
        string? revenue = null, procedure = null;
        int number = 0;
        decimal quantity = 0;
        var charge = default(Money);
        DateOnly? date = null;
        var seen = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var ok = Property(ref reader, ref seen, "number"u8, 1) ? reader.Read() && reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out number)
                : Property(ref reader, ref seen, "quantity"u8, 2) ? TryDecimal(ref reader, out quantity)
                : Property(ref reader, ref seen, "charge"u8, 3) ? TryMoney(ref reader, strings, out charge)
                : Property(ref reader, ref seen, "revenueCode"u8, 4) ? TryString(ref reader, strings, out revenue)
                : Property(ref reader, ref seen, "procedureCode"u8, 5) ? TryString(ref reader, strings, out procedure)
                : Property(ref reader, ref seen, "serviceDate"u8, 6) && TryDate(ref reader, out date);
            if (!ok)
                return false;
        }

        if ((seen & 0b111) != 0b111)
            return false;
        line = new ClaimLine(number, revenue, procedure, quantity, charge, date);
        return true;
    }

    private static RemittanceReceived? ReadRemittance(ref Utf8JsonReader reader, Utf8StringPool? strings)
    {
        string? key = null, correlation = null, causation = null, payer = null, payee = null, trace = null, payerId = null, payeeNpi = null, method = null;
        var amount = default(Money);
        var balanced = false;
        DateOnly? date = null;
        decimal difference = 0;
        List<ClaimPayment>? claims = null;
        List<ProviderAdjustment>? adjustments = null;
        var seen = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var ok = Property(ref reader, ref seen, "idempotencyKey"u8, 1) ? TryString(ref reader, out key)
                : Property(ref reader, ref seen, "correlationId"u8, 2) ? TryString(ref reader, strings, out correlation)
                : Property(ref reader, ref seen, "causationId"u8, 3) ? TryString(ref reader, strings, out causation)
                : Property(ref reader, ref seen, "payer"u8, 4) ? TryString(ref reader, strings, out payer)
                : Property(ref reader, ref seen, "payee"u8, 5) ? TryString(ref reader, strings, out payee)
                : Property(ref reader, ref seen, "traceNumber"u8, 6) ? TryString(ref reader, out trace)
                : Property(ref reader, ref seen, "paymentAmount"u8, 7) ? TryMoney(ref reader, strings, out amount)
                : Property(ref reader, ref seen, "balanced"u8, 8) ? TryBool(ref reader, out balanced)
                : Property(ref reader, ref seen, "payerId"u8, 9) ? TryString(ref reader, strings, out payerId)
                : Property(ref reader, ref seen, "payeeNpi"u8, 10) ? TryString(ref reader, strings, out payeeNpi)
                : Property(ref reader, ref seen, "paymentMethod"u8, 11) ? TryString(ref reader, strings, out method)
                : Property(ref reader, ref seen, "paymentDate"u8, 12) ? TryDate(ref reader, out date)
                : Property(ref reader, ref seen, "difference"u8, 13) ? TryDecimal(ref reader, out difference)
                : Property(ref reader, ref seen, "claims"u8, 14) ? TryList(ref reader, strings, TryClaimPayment, out claims)
                : Property(ref reader, ref seen, "providerAdjustments"u8, 15) ? TryList(ref reader, strings, TryProviderAdjustment, out adjustments)
                : ReadOnly(ref reader, ref seen, 16);
            if (!ok)
                return null;
        }

        if ((seen & 0b1111_1111) != 0b1111_1111)
            return null;
        return new RemittanceReceived
        {
            IdempotencyKey = key!,
            CorrelationId = correlation!,
            CausationId = causation!,
            Payer = payer!,
            PayerId = payerId,
            Payee = payee!,
            PayeeNpi = payeeNpi,
            TraceNumber = trace!,
            PaymentMethod = method,
            PaymentAmount = amount,
            PaymentDate = date,
            Balanced = balanced,
            Difference = difference,
            Claims = claims ?? [],
            ProviderAdjustments = adjustments ?? [],
        };
    }

    private static bool TryClaimPayment(ref Utf8JsonReader reader, Utf8StringPool? strings, out ClaimPayment? payment)
    {
        payment = null;
        string? pcn = null, status = null, payerControl = null, patient = null;
        decimal charge = 0, paid = 0, patientResponsibility = 0;
        var balanced = true;
        List<Adjustment>? adjustments = null;
        List<ServiceLinePayment>? lines = null;
        List<string>? remarks = null;
        var seen = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var ok = Property(ref reader, ref seen, "patientControlNumber"u8, 1) ? TryString(ref reader, out pcn)
                : Property(ref reader, ref seen, "status"u8, 2) ? TryString(ref reader, strings, out status)
                : Property(ref reader, ref seen, "charge"u8, 3) ? TryDecimal(ref reader, out charge)
                : Property(ref reader, ref seen, "paid"u8, 4) ? TryDecimal(ref reader, out paid)
                : Property(ref reader, ref seen, "patientResponsibility"u8, 5) ? TryDecimal(ref reader, out patientResponsibility)
                : Property(ref reader, ref seen, "payerClaimControlNumber"u8, 6) ? TryString(ref reader, out payerControl)
                : Property(ref reader, ref seen, "patientToken"u8, 7) ? TryString(ref reader, out patient)
                : Property(ref reader, ref seen, "adjustments"u8, 8) ? TryList(ref reader, strings, TryAdjustment, out adjustments)
                : Property(ref reader, ref seen, "serviceLines"u8, 9) ? TryList(ref reader, strings, TryServiceLine, out lines)
                : Property(ref reader, ref seen, "remarkCodes"u8, 10) ? TryStrings(ref reader, strings, out remarks)
                : Property(ref reader, ref seen, "balanced"u8, 11) ? TryBool(ref reader, out balanced)
                // Computed from the status: written, and skipped when read.
                : Property(ref reader, ref seen, "isReversal"u8, 12) ? TryBool(ref reader, out _)
                : Property(ref reader, ref seen, "isDenial"u8, 13) && TryBool(ref reader, out _);
            if (!ok)
                return false;
        }

        if ((seen & 0b1111) != 0b1111)
            return false;
        payment = new ClaimPayment
        {
            PatientControlNumber = pcn!,
            Status = status!,
            Charge = charge,
            Paid = paid,
            PatientResponsibility = patientResponsibility,
            PayerClaimControlNumber = payerControl,
            PatientToken = patient,
            Adjustments = adjustments ?? [],
            ServiceLines = lines ?? [],
            RemarkCodes = remarks ?? [],
            Balanced = balanced,
        };
        return true;
    }

    private static bool TryServiceLine(ref Utf8JsonReader reader, Utf8StringPool? strings, out ServiceLinePayment? line)
    {
        line = null;
        string? procedure = null, revenue = null;
        decimal charge = 0, paid = 0;
        List<Adjustment>? adjustments = null;
        List<string>? remarks = null;
        var seen = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var ok = Property(ref reader, ref seen, "charge"u8, 1) ? TryDecimal(ref reader, out charge)
                : Property(ref reader, ref seen, "paid"u8, 2) ? TryDecimal(ref reader, out paid)
                : Property(ref reader, ref seen, "adjustments"u8, 3) ? TryList(ref reader, strings, TryAdjustment, out adjustments)
                : Property(ref reader, ref seen, "procedureCode"u8, 4) ? TryString(ref reader, strings, out procedure)
                : Property(ref reader, ref seen, "revenueCode"u8, 5) ? TryString(ref reader, strings, out revenue)
                : Property(ref reader, ref seen, "remarkCodes"u8, 6) && TryStrings(ref reader, strings, out remarks);
            if (!ok)
                return false;
        }

        if ((seen & 0b111) != 0b111)
            return false;
        line = new ServiceLinePayment(procedure, revenue, charge, paid, adjustments!) { RemarkCodes = remarks ?? [] };
        return true;
    }

    private static bool TryAdjustment(ref Utf8JsonReader reader, Utf8StringPool? strings, out Adjustment? adjustment)
    {
        adjustment = null;
        string? group = null, reason = null;
        decimal amount = 0;
        var seen = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var ok = Property(ref reader, ref seen, "group"u8, 1) ? TryString(ref reader, strings, out group) && group is not null
                : Property(ref reader, ref seen, "reason"u8, 2) ? TryString(ref reader, strings, out reason) && reason is not null
                : Property(ref reader, ref seen, "amount"u8, 3) && TryDecimal(ref reader, out amount);
            if (!ok)
                return false;
        }

        if (seen != 0b111)
            return false;
        adjustment = new Adjustment(group!, reason!, amount);
        return true;
    }

    private static bool TryProviderAdjustment(ref Utf8JsonReader reader, Utf8StringPool? strings, out ProviderAdjustment? adjustment)
    {
        adjustment = null;
        string? reason = null, reference = null;
        decimal amount = 0;
        var seen = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var ok = Property(ref reader, ref seen, "reason"u8, 1) ? TryString(ref reader, strings, out reason) && reason is not null
                : Property(ref reader, ref seen, "amount"u8, 2) ? TryDecimal(ref reader, out amount)
                : Property(ref reader, ref seen, "reference"u8, 3) && TryString(ref reader, out reference);
            if (!ok)
                return false;
        }

        if ((seen & 0b11) != 0b11)
            return false;
        adjustment = new ProviderAdjustment(reason!, reference, amount);
        return true;
    }

    private static bool TryStrings(ref Utf8JsonReader reader, Utf8StringPool? strings, out List<string>? list)
    {
        list = null;
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
            return false;
        var read = new List<string>();
        while (reader.Read() && reader.TokenType == JsonTokenType.String)
            read.Add(strings is not null && !reader.ValueIsEscaped && strings.TryGet(reader.ValueSpan, out var pooled) ? pooled : reader.GetString()!);
        if (reader.TokenType != JsonTokenType.EndArray)
            return false;
        list = read;
        return true;
    }

    private static bool TryMoney(ref Utf8JsonReader reader, Utf8StringPool? strings, out Money money)
    {
        money = default;
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            return false;
        string? currency = null;
        decimal amount = 0;
        var seen = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var ok = Property(ref reader, ref seen, "amount"u8, 1) ? TryDecimal(ref reader, out amount)
                : Property(ref reader, ref seen, "currency"u8, 2) && TryString(ref reader, strings, out currency) && currency is not null;
            if (!ok)
                return false;
        }

        if (seen != 0b11 || reader.TokenType != JsonTokenType.EndObject)
            return false;
        money = new Money(amount, currency!);
        return true;
    }

    /// <summary>
    /// Whether the reader is on <c>topic</c> or <c>sessionKey</c> (bits <paramref name="bit"/> and the next): every event
    /// writes them, computed from its other properties, and the serializer skips them when reading.
    /// </summary>
    private static bool ReadOnly(ref Utf8JsonReader reader, ref int seen, int bit) =>
        (Property(ref reader, ref seen, "topic"u8, bit) || Property(ref reader, ref seen, "sessionKey"u8, bit + 1)) && reader.Read() && reader.TokenType is JsonTokenType.String or JsonTokenType.Null; // skipped, not allocated
}
