namespace HealthFlow.Hl7;

/// <summary>The canonical financial facts an HL7 v2 message can announce; the Pipeline's mapper turns each into the event of the same name.</summary>
public enum Hl7FactType
{
    /// <summary>A01 admit, A04 register.</summary>
    EncounterAdmitted,

    /// <summary>A03 discharge.</summary>
    EncounterDischarged,

    /// <summary>A11 cancel admit: the encounter did not happen.</summary>
    EncounterCancelled,

    /// <summary>A13 cancel discharge: the DischargeToBill orchestration must stop the bill.</summary>
    DischargeCancelled,

    /// <summary>DFT^P03 FT1 with FT1-6 = CG.</summary>
    ChargePosted,

    /// <summary>DFT^P03 FT1 with FT1-6 = CD.</summary>
    ChargeCredited,
}

/// <summary>
/// What one accepted message says happened, free of PHI: patients appear only as tokens.
/// </summary>
/// <remarks>
/// Invariants: <see cref="IdempotencyKey"/> is derived from the source only: <c>MSH-4|MSH-10</c> for an ADT fact,
/// <c>MSH-4|MSH-10|FT1|n</c> (n = FT1 segment occurrence) for a charge fact, so redelivery or replay gives the same
/// keys. <c>OccurredAt</c> uses the sender's UTC offset when it wrote one, else <see cref="Hl7ReadOptions.SenderTimeZone"/>,
/// else <see cref="Hl7ReadOptions.AssumedUtcOffset"/>.
/// </remarks>
public abstract record Hl7Fact(
    Hl7FactType Type,
    string IdempotencyKey,
    string MessageKey,
    string Facility,
    string EncounterId,
    IReadOnlyList<Hl7PatientIdentifierToken> PatientTokens,
    DateTimeOffset OccurredAt);

/// <summary>
/// An encounter fact (admitted, discharged, cancelled, discharge cancelled).
/// <c>OccurredAt</c> is PV1-44 for an admission, PV1-45 for a discharge, falling back to EVN-6, EVN-2, MSH-7.
/// </summary>
public sealed record Hl7EncounterFact(
    Hl7FactType Type,
    string IdempotencyKey,
    string MessageKey,
    string Facility,
    string EncounterId,
    IReadOnlyList<Hl7PatientIdentifierToken> PatientTokens,
    DateTimeOffset OccurredAt,
    string PatientClass,
    string HospitalService,
    string AttendingProviderId,
    string DischargeDisposition,
    DateTimeOffset? AdmittedAt,
    DateTimeOffset? DischargedAt) : Hl7Fact(Type, IdempotencyKey, MessageKey, Facility, EncounterId, PatientTokens, OccurredAt);

/// <summary>
/// A charge fact (posted or credited) for one FT1. <see cref="Amount"/> is the extended amount as sent (a credit
/// usually arrives positive; the mapper decides the journal side from <see cref="Hl7Fact.Type"/>).
/// <c>OccurredAt</c> is FT1-4.
/// </summary>
public sealed record Hl7ChargeFact(
    Hl7FactType Type,
    string IdempotencyKey,
    string MessageKey,
    string Facility,
    string EncounterId,
    IReadOnlyList<Hl7PatientIdentifierToken> PatientTokens,
    DateTimeOffset OccurredAt,
    decimal Amount,
    string Currency,
    decimal Quantity,
    string DepartmentCode,
    string ChargeCode,
    string ProcedureCode,
    string RevenueCode,
    string PatientClass,
    Hl7FinancialTransaction Transaction) : Hl7Fact(Type, IdempotencyKey, MessageKey, Facility, EncounterId, PatientTokens, OccurredAt);
