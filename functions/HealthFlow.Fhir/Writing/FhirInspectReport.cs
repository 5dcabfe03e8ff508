using System.Globalization;
using System.Text.Json;

namespace HealthFlow.Fhir;

/// <summary>
/// One event line of the <c>healthflow fhir inspect</c> report. The Pipeline builds these from its Finance events;
/// <see cref="From(FhirEventFact, string)"/> builds them from the default facts. Invariant: no PHI (patients are tokens).
/// </summary>
public sealed record FhirInspectEvent(string Type, string IdempotencyKey, string CorrelationId)
{
    /// <summary><c>Type/id</c> of the source resource.</summary>
    public string? Resource { get; init; }

    /// <summary>Amount moved, when known.</summary>
    public decimal? Amount { get; init; }

    /// <summary>ISO 4217 currency of <see cref="Amount"/>.</summary>
    public string? Currency { get; init; }

    /// <summary>Patient token.</summary>
    public string? PatientToken { get; init; }

    /// <summary>Encounter reference.</summary>
    public string? Encounter { get; init; }

    /// <summary>Claim reference.</summary>
    public string? Claim { get; init; }

    /// <summary>Date/time of the event as sent.</summary>
    public string? OccurredOn { get; init; }

    /// <summary>Main code (class, charge code, claim type, outcome).</summary>
    public string? Code { get; init; }

    /// <summary>Facility, department or provider.</summary>
    public string? Organization { get; init; }

    /// <summary>Payer.</summary>
    public string? Payer { get; init; }

    /// <summary>An inspect line from a default fact.</summary>
    public static FhirInspectEvent From(FhirEventFact fact, string correlationId) =>
        new(fact.Type, fact.IdempotencyKey, correlationId)
        {
            Resource = fact.SourceReference,
            Amount = fact.Amount?.Value,
            Currency = fact.Amount?.Currency,
            PatientToken = fact.PatientToken,
            Encounter = fact.EncounterReference,
            Claim = fact.ClaimReference,
            OccurredOn = fact.OccurredOn?.Text,
            Code = fact.Code,
            Organization = fact.Organization,
            Payer = fact.Payer,
        };
}

/// <summary>
/// Writes the document <c>healthflow fhir inspect FILE</c> prints:
/// <c>{"accepted":bool,"events":[{"type","idempotencyKey","correlationId",…}],"outcome":{OperationOutcome}}</c>.
/// These names are read by acceptance checks; keep them.
/// </summary>
public static class FhirInspectReport
{
    /// <summary>Writes the report.</summary>
    public static void Write(Utf8JsonWriter writer, bool accepted, IEnumerable<FhirInspectEvent> events, OperationOutcome outcome)
    {
        writer.WriteStartObject();
        writer.WriteBoolean("accepted", accepted);
        writer.WriteStartArray("events");
        foreach (var e in events)
        {
            writer.WriteStartObject();
            writer.WriteString("type", e.Type);
            writer.WriteString("idempotencyKey", e.IdempotencyKey);
            writer.WriteString("correlationId", e.CorrelationId);
            WriteIfPresent(writer, "resource", e.Resource);
            if (e.Amount is { } amount)
            {
                // Money stays exact: written as a JSON number from the decimal's own digits.
                writer.WritePropertyName("amount");
                writer.WriteRawValue(amount.ToString(CultureInfo.InvariantCulture), skipInputValidation: true);
            }

            WriteIfPresent(writer, "currency", e.Currency);
            WriteIfPresent(writer, "patientToken", e.PatientToken);
            WriteIfPresent(writer, "encounter", e.Encounter);
            WriteIfPresent(writer, "claim", e.Claim);
            WriteIfPresent(writer, "occurredOn", e.OccurredOn);
            WriteIfPresent(writer, "code", e.Code);
            WriteIfPresent(writer, "organization", e.Organization);
            WriteIfPresent(writer, "payer", e.Payer);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WritePropertyName("outcome");
        OperationOutcomeWriter.Write(writer, outcome);
        writer.WriteEndObject();
    }

    /// <summary>The report for a read result using the default event facts, as UTF-8 JSON bytes.</summary>
    public static byte[] ToUtf8Bytes(FhirReadResult result, string correlationId, bool indented = true) =>
        ToUtf8Bytes(result.Accepted, FhirEventFacts.From(result).Select(f => FhirInspectEvent.From(f, correlationId)), result.Outcome, indented);

    /// <summary>The report as UTF-8 JSON bytes.</summary>
    public static byte[] ToUtf8Bytes(bool accepted, IEnumerable<FhirInspectEvent> events, OperationOutcome outcome, bool indented = true)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = indented }))
        {
            Write(writer, accepted, events, outcome);
        }

        return buffer.ToArray();
    }

    private static void WriteIfPresent(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }
}
