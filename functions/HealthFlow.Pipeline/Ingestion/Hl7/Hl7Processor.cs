using HealthFlow.Finance;
using HealthFlow.Finance.Events;
using HealthFlow.Hl7;

namespace HealthFlow.Pipeline.Ingestion.Hl7;

/// <summary>
/// HL7 v2 (ADT, DFT) to canonical events, with the original-mode ACK as the acknowledgement: AA when accepted,
/// AE/AR with ERR segments naming the field otherwise. The same processor serves <c>POST /api/hl7v2</c> and MLLP.
/// </summary>
public sealed class Hl7Processor(TimeProvider clock) : IPayloadProcessor
{
    public const string AckContentType = "x-application/hl7-v2+er7";

    public PayloadFormat Format => PayloadFormat.Hl7v2;

    public ProcessingResult Process(ReadOnlyMemory<byte> payload, ProcessingContext context)
    {
        var result = Hl7Reader.Read(payload.Span, context.Tokenize);
        var ack = new Acknowledgement(AckContentType, Hl7AckBuilder.Build(result, clock.GetUtcNow()));
        if (!result.IsAccepted)
            return ProcessingResult.Reject([.. result.Errors.Select(e => e.Diagnostic)], ack);
        return ProcessingResult.Accept([.. result.Facts.Select(f => Map(f, context))], ack);
    }

    /// <summary>One fact to its event; the causation is the message (sending facility + control id).</summary>
    public static CanonicalEvent Map(Hl7Fact fact, ProcessingContext context)
    {
        var patient = fact.PatientTokens.Count > 0 ? fact.PatientTokens[0].Token : null;
        var causation = "hl7:" + fact.MessageKey;
        var key = "hl7:" + fact.IdempotencyKey;
        return fact switch
        {
            Hl7EncounterFact { Type: Hl7FactType.EncounterAdmitted } e => new EncounterAdmitted
            {
                IdempotencyKey = key, CorrelationId = context.ReceiptId, CausationId = causation,
                Facility = e.Facility, EncounterId = e.EncounterId, PatientToken = patient,
                PatientClass = NullIfEmpty(e.PatientClass), AdmittedAt = e.AdmittedAt ?? e.OccurredAt,
                Department = NullIfEmpty(e.HospitalService), AttendingProvider = NullIfEmpty(e.AttendingProviderId),
            },
            Hl7EncounterFact { Type: Hl7FactType.EncounterDischarged } e => new EncounterDischarged
            {
                IdempotencyKey = key, CorrelationId = context.ReceiptId, CausationId = causation,
                Facility = e.Facility, EncounterId = e.EncounterId, PatientToken = patient,
                PatientClass = NullIfEmpty(e.PatientClass), DischargedAt = e.DischargedAt ?? e.OccurredAt,
                DischargeDisposition = NullIfEmpty(e.DischargeDisposition), Department = NullIfEmpty(e.HospitalService),
                AttendingProvider = NullIfEmpty(e.AttendingProviderId),
            },
            Hl7EncounterFact { Type: Hl7FactType.EncounterCancelled } e => new EncounterCancelled
            {
                IdempotencyKey = key, CorrelationId = context.ReceiptId, CausationId = causation,
                Facility = e.Facility, EncounterId = e.EncounterId, PatientToken = patient,
            },
            Hl7EncounterFact { Type: Hl7FactType.DischargeCancelled } e => new DischargeCancelled
            {
                IdempotencyKey = key, CorrelationId = context.ReceiptId, CausationId = causation,
                Facility = e.Facility, EncounterId = e.EncounterId, PatientToken = patient,
            },
            Hl7ChargeFact c => Charge(c, key, causation, context),
            _ => throw new InvalidOperationException($"No canonical event for HL7 fact {fact.Type}."),
        };
    }

    private static ChargeEvent Charge(Hl7ChargeFact charge, string key, string causation, ProcessingContext context)
    {
        // A credit usually arrives as a positive amount with FT1-6 = CD; the event type carries the direction.
        // FT1-11 (CP) rarely carries a currency; without one the amount is in US dollars, as every X12 amount is.
        var amount = new Money(Math.Abs(charge.Amount), charge.Currency.Length > 0 ? charge.Currency : "USD");
        ChargeEvent posted = charge.Type == Hl7FactType.ChargeCredited
            ? new ChargeCredited { IdempotencyKey = key, CorrelationId = context.ReceiptId, CausationId = causation, Facility = charge.Facility, EncounterId = charge.EncounterId, ChargeId = charge.IdempotencyKey, Amount = amount }
            : new ChargePosted { IdempotencyKey = key, CorrelationId = context.ReceiptId, CausationId = causation, Facility = charge.Facility, EncounterId = charge.EncounterId, ChargeId = charge.IdempotencyKey, Amount = amount };
        return posted with
        {
            Department = NullIfEmpty(charge.DepartmentCode),
            RevenueCode = NullIfEmpty(charge.RevenueCode),
            ProcedureCode = NullIfEmpty(charge.ProcedureCode),
            Quantity = charge.Quantity,
            ServiceDate = DateOnly.FromDateTime(charge.OccurredAt.Date),
        };
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}
