namespace HealthFlow.Hl7;

/// <summary>An HL7 HD (hierarchic designator): an application or facility as namespace id, universal id and its type.</summary>
public readonly record struct Hl7HierarchicDesignator(string NamespaceId, string UniversalId, string UniversalIdType)
{
    /// <summary>Empty designator.</summary>
    public static Hl7HierarchicDesignator Empty { get; } = new(string.Empty, string.Empty, string.Empty);

    /// <summary>The name used in keys: the namespace id, or the universal id when no namespace id was sent.</summary>
    public string Key => NamespaceId.Length > 0 ? NamespaceId : UniversalId;

    /// <summary>Nothing was sent.</summary>
    public bool IsEmpty => NamespaceId.Length == 0 && UniversalId.Length == 0;

    /// <inheritdoc />
    public override string ToString() => Key;

    internal static Hl7HierarchicDesignator From(Hl7Field field) =>
        new(field.Component(1).Value, field.Component(2).Value, field.Component(3).Value);
}

/// <summary>
/// The MSH fields HealthFlow uses: addressing for the ACK, message type, control id, version.
/// Invariant: <see cref="IdempotencyKey"/> is derived only from the source (MSH-4 + MSH-10), never minted on arrival.
/// </summary>
public sealed record Hl7MessageHeader(
    Hl7HierarchicDesignator SendingApplication,
    Hl7HierarchicDesignator SendingFacility,
    Hl7HierarchicDesignator ReceivingApplication,
    Hl7HierarchicDesignator ReceivingFacility,
    Hl7Timestamp? CreatedAt,
    string MessageCode,
    string TriggerEvent,
    string MessageStructure,
    string ControlId,
    string ProcessingId,
    string Version,
    string CharacterSet)
{
    /// <summary><c>MSH-4|MSH-10</c>, e.g. <c>STMARYS|MSG00001</c>: redelivery of the same message gives the same key.</summary>
    public string IdempotencyKey => $"{SendingFacility.Key}|{ControlId}";

    /// <summary>MSH-9 as written in reports, e.g. <c>ADT^A01</c>.</summary>
    public string MessageType => TriggerEvent.Length > 0 ? $"{MessageCode}^{TriggerEvent}" : MessageCode;
}

/// <summary>
/// One PID-3 identifier after tokenisation. The identifier itself never leaves the reader: only the caller's
/// keyed token of <c>"{AssigningAuthority}|{id}"</c> does, so the same MRN from two authorities gives two tokens.
/// </summary>
public sealed record Hl7PatientIdentifierToken(string Token, string AssigningAuthority, string IdentifierTypeCode);

/// <summary>PV1-3: where the patient is; <see cref="Facility"/> is PV1-3.4.</summary>
public sealed record Hl7PatientLocation(string PointOfCare, string Room, string Bed, string Facility, string Building, string Floor);

/// <summary>An XCN provider reference reduced to its identifier (provider names are not needed downstream).</summary>
public sealed record Hl7ProviderReference(string Id, string AssigningAuthority);

/// <summary>
/// The encounter as PV1 and PV2 describe it.
/// Invariants: <see cref="Facility"/> is non-empty; <see cref="EncounterId"/> is non-empty for every message that yields a
/// fact (A01, A03, A04, A11, A13, DFT; the reader reports 101 otherwise) and may be empty for A02/A06/A07/A08;
/// <see cref="Facility"/> is PV1-3.4, or MSH-4 when the sender leaves PV1-3.4 empty.
/// </summary>
public sealed record Hl7Visit(
    string EncounterId,
    string Facility,
    string PatientClass,
    Hl7PatientLocation AssignedLocation,
    Hl7PatientLocation PriorLocation,
    string AdmissionType,
    string HospitalService,
    Hl7ProviderReference? AttendingProvider,
    string FinancialClass,
    string DischargeDisposition,
    Hl7Timestamp? AdmittedAt,
    Hl7Timestamp? DischargedAt,
    string AccommodationCode,
    Hl7Timestamp? ExpectedDischargeAt);

/// <summary>FT1-6 transaction type (HL7 table 0017).</summary>
public enum Hl7TransactionType
{
    /// <summary>CG: a charge.</summary>
    Charge,

    /// <summary>CD: a credit (reverses or reduces a charge).</summary>
    Credit,

    /// <summary>PY: a payment.</summary>
    Payment,

    /// <summary>AJ: an adjustment.</summary>
    Adjustment,
}

/// <summary>
/// One FT1 segment of a DFT^P03.
/// Invariants: <see cref="ExtendedAmount"/> is FT1-11 when sent, otherwise FT1-12 × FT1-10 (checked decimal);
/// amounts keep the sender's sign; <see cref="Quantity"/> is 1 when FT1-10 is empty.
/// </summary>
/// <remarks>
/// <see cref="RevenueCode"/>: FT1-7 is a chargemaster code for most vendors, so it is taken as the revenue code only
/// when FT1-7.3 names the NUBC revenue code system (NUBC, UB04, UB92, RC, NUBCREV); otherwise it comes from the
/// Z-segment field configured in <see cref="Hl7ReadOptions.RevenueCodeZField"/> (the Z-segment that directly
/// follows the FT1), and is empty if neither applies.
/// </remarks>
public sealed record Hl7FinancialTransaction(
    int SetId,
    string TransactionId,
    string BatchId,
    Hl7Timestamp TransactionDate,
    Hl7Timestamp? PostingDate,
    Hl7TransactionType Type,
    string TransactionCode,
    string TransactionCodeSystem,
    decimal Quantity,
    decimal? UnitAmount,
    decimal ExtendedAmount,
    string Currency,
    string DepartmentCode,
    string ProcedureCode,
    string ProcedureCodeSystem,
    string RevenueCode,
    Hl7ProviderReference? PerformingProvider,
    Hl7ProviderReference? OrderingProvider);

/// <summary>ADT trigger events HealthFlow reads.</summary>
public enum Hl7AdtEvent
{
    /// <summary>A01 admit/visit notification.</summary>
    A01,

    /// <summary>A02 transfer a patient.</summary>
    A02,

    /// <summary>A03 discharge/end visit.</summary>
    A03,

    /// <summary>A04 register a patient (outpatient, emergency).</summary>
    A04,

    /// <summary>A06 change an outpatient to an inpatient.</summary>
    A06,

    /// <summary>A07 change an inpatient to an outpatient.</summary>
    A07,

    /// <summary>A08 update patient information.</summary>
    A08,

    /// <summary>A11 cancel admit/visit notification.</summary>
    A11,

    /// <summary>A13 cancel discharge/end visit.</summary>
    A13,
}

/// <summary>A typed, validated message: header, tokenised patient identity and visit. No patient name, birth date or address is kept.</summary>
public abstract record Hl7TypedMessage(Hl7MessageHeader Header, IReadOnlyList<Hl7PatientIdentifierToken> PatientTokens, Hl7Visit Visit);

/// <summary>An ADT message of one of the <see cref="Hl7AdtEvent"/> triggers. <see cref="EventOccurredAt"/> is EVN-6, else EVN-2.</summary>
public sealed record Hl7AdtMessage(
    Hl7MessageHeader Header,
    IReadOnlyList<Hl7PatientIdentifierToken> PatientTokens,
    Hl7Visit Visit,
    Hl7AdtEvent Event,
    Hl7Timestamp? EventOccurredAt,
    string EventReasonCode) : Hl7TypedMessage(Header, PatientTokens, Visit);

/// <summary>A DFT^P03 with at least one FT1.</summary>
public sealed record Hl7DftMessage(
    Hl7MessageHeader Header,
    IReadOnlyList<Hl7PatientIdentifierToken> PatientTokens,
    Hl7Visit Visit,
    Hl7Timestamp? EventOccurredAt,
    IReadOnlyList<Hl7FinancialTransaction> Transactions) : Hl7TypedMessage(Header, PatientTokens, Visit);
