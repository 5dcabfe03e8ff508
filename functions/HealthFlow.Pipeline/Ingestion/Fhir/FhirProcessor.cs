using System.Text;
using HealthFlow.Fhir;
using HealthFlow.Finance;
using HealthFlow.Finance.Events;

namespace HealthFlow.Pipeline.Ingestion.Fhir;

/// <summary>
/// FHIR R4 resources and Bundles to canonical events, with the OperationOutcome as the acknowledgement:
/// information issues when accepted (202), the errors when rejected (422). Transaction Bundles are
/// all-or-nothing; batch Bundles post the entries that are valid and report the others.
/// </summary>
/// <remarks>
/// Idempotency keys come from the source: <c>fhir:{Type}/{id}/_history/{versionId}#{event}</c>, or a content hash
/// of the resource when it has no id or version. Facility and encounter ids are the referenced resources' ids.
/// </remarks>
public sealed class FhirProcessor : IPayloadProcessor
{
    public const string AckContentType = "application/fhir+json";

    public PayloadFormat Format => PayloadFormat.Fhir;

    public ProcessingResult Process(ReadOnlyMemory<byte> payload, ProcessingContext context)
    {
        var result = FhirReader.Read(payload.Span, context.Tokenize);
        var acknowledgement = new Acknowledgement(AckContentType, Encoding.UTF8.GetString(OperationOutcomeWriter.ToUtf8Bytes(result.Outcome)));
        if (!result.Accepted)
            return ProcessingResult.Reject([.. result.Outcome.Issues.Where(i => i.IsError).Select(i => i.Expression is null ? i.Diagnostics : $"{i.Expression}: {i.Diagnostics}")], acknowledgement);

        // Charges name their encounter; the encounter names the facility (serviceProvider) when it is in the same Bundle.
        var facilityOfEncounter = result.AcceptedResources.OfType<FhirEncounter>()
            .Where(e => e.ServiceProvider?.Key is not null)
            .GroupBy(e => e.Reference)
            .ToDictionary(g => g.Key, g => IdOf(g.First().ServiceProvider!.Key)!, StringComparer.Ordinal);
        var events = FhirEventFacts.From(result).Select(fact => Map(fact, facilityOfEncounter, context)).OfType<CanonicalEvent>().ToList();
        return ProcessingResult.Accept(events, acknowledgement);
    }

    private static CanonicalEvent? Map(FhirEventFact fact, Dictionary<string, string> facilityOfEncounter, ProcessingContext context)
    {
        var key = "fhir:" + fact.IdempotencyKey;
        var causation = "fhir:" + fact.Source.IdempotencyKey;
        var encounterId = IdOf(fact.EncounterReference);
        switch (fact.Type)
        {
            case FhirEventTypes.EncounterAdmitted:
                return new EncounterAdmitted
                {
                    IdempotencyKey = key, CorrelationId = context.ReceiptId, CausationId = causation,
                    Facility = IdOf(fact.Organization) ?? "unknown-facility", EncounterId = encounterId ?? fact.Source.Id ?? fact.Source.IdempotencyKey,
                    PatientToken = fact.PatientToken, PatientClass = fact.Code, AdmittedAt = fact.OccurredOn?.Instant,
                };
            case FhirEventTypes.EncounterDischarged:
                return new EncounterDischarged
                {
                    IdempotencyKey = key, CorrelationId = context.ReceiptId, CausationId = causation,
                    Facility = IdOf(fact.Organization) ?? "unknown-facility", EncounterId = encounterId ?? fact.Source.Id ?? fact.Source.IdempotencyKey,
                    PatientToken = fact.PatientToken, DischargedAt = fact.OccurredOn?.Instant, DischargeDisposition = fact.Code,
                };
            case FhirEventTypes.ChargePosted or FhirEventTypes.ChargeCredited when fact.Amount is { } amount:
                var facility = fact.EncounterReference is { } encounter && facilityOfEncounter.TryGetValue(encounter, out var known) ? known : "unknown-facility";
                var money = new Money(amount.Value, amount.Currency);
                ChargeEvent charge = fact.Type == FhirEventTypes.ChargeCredited
                    ? new ChargeCredited { IdempotencyKey = key, CorrelationId = context.ReceiptId, CausationId = causation, Facility = facility, EncounterId = encounterId ?? "unknown-encounter", ChargeId = fact.Source.Reference, Amount = money }
                    : new ChargePosted { IdempotencyKey = key, CorrelationId = context.ReceiptId, CausationId = causation, Facility = facility, EncounterId = encounterId ?? "unknown-encounter", ChargeId = fact.Source.Reference, Amount = money };
                return charge with
                {
                    Department = IdOf(fact.Organization),
                    ProcedureCode = fact.Code,
                    RevenueCode = fact.RevenueCode,
                    ServiceDate = fact.OccurredOn?.Date,
                    ReversesChargeId = fact.Type == FhirEventTypes.ChargeCredited ? fact.Source.Reference : null,
                };
            case FhirEventTypes.ClaimSubmitted when fact.Amount is { } total:
                return new ClaimSubmitted
                {
                    IdempotencyKey = key, CorrelationId = context.ReceiptId, CausationId = causation,
                    ClaimId = fact.Source.Id ?? fact.Source.IdempotencyKey, ClaimKind = "FHIR", Facility = IdOf(fact.Organization),
                    EncounterId = encounterId, Payer = IdOf(fact.Payer) ?? "unknown-payer", PatientToken = fact.PatientToken,
                    TotalCharge = new Money(total.Value, total.Currency),
                };
            case FhirEventTypes.ClaimAdjudicated:
                return new ClaimAdjudicated
                {
                    IdempotencyKey = key, CorrelationId = context.ReceiptId, CausationId = causation,
                    ClaimId = IdOf(fact.ClaimReference) ?? fact.Source.Id ?? fact.Source.IdempotencyKey, Payer = IdOf(fact.Payer) ?? "unknown-payer",
                    Outcome = fact.Code ?? "complete", Payment = fact.Amount is { } paid ? new Money(paid.Value, paid.Currency) : null,
                };
            case FhirEventTypes.PaymentReceived when fact.Amount is { } payment:
                return new PaymentReceived
                {
                    IdempotencyKey = key, CorrelationId = context.ReceiptId, CausationId = causation,
                    Payer = IdOf(fact.Payer) ?? IdOf(fact.Organization) ?? "unknown-payer", PaymentId = fact.Source.Id ?? fact.Source.IdempotencyKey,
                    Amount = new Money(payment.Value, payment.Currency), PaymentDate = fact.OccurredOn?.Date,
                };
            default:
                return null; // a fact without the amount its event needs was already reported by validation
        }
    }

    /// <summary>"Organization/hosp-1" → "hosp-1"; other keys unchanged.</summary>
    private static string? IdOf(string? reference)
    {
        if (reference is null)
            return null;
        var slash = reference.LastIndexOf('/');
        return slash >= 0 && slash < reference.Length - 1 ? reference[(slash + 1)..] : reference;
    }
}
