namespace HealthFlow.Finance.Events;

/// <summary>A claim sent to a payer (837P/837I, FHIR Claim).</summary>
public sealed record ClaimSubmitted : CanonicalEvent
{
    /// <summary>Patient control number (CLM01): the provider's claim id, echoed by the payer as CLP01.</summary>
    public required string ClaimId { get; init; }
    /// <summary>837P, 837I or FHIR.</summary>
    public required string ClaimKind { get; init; }
    public string? Facility { get; init; }
    public string? EncounterId { get; init; }
    public string? BillingProviderNpi { get; init; }
    public required string Payer { get; init; }
    public string? PatientToken { get; init; }
    public required Money TotalCharge { get; init; }
    /// <summary>Claim frequency (CLM05-3): 1 original, 7 replacement, 8 void.</summary>
    public string? FrequencyCode { get; init; }
    public IReadOnlyList<string> DiagnosisCodes { get; init; } = [];
    public IReadOnlyList<ClaimLine> Lines { get; init; } = [];

    public override string Topic => "claims";
    public override string SessionKey => ClaimId;
}

/// <summary>One service line of a claim.</summary>
public sealed record ClaimLine(int Number, string? RevenueCode, string? ProcedureCode, decimal Quantity, Money Charge, DateOnly? ServiceDate);

/// <summary>A payer's acknowledgement of a claim (277CA, FHIR ClaimResponse outcome): accepted into adjudication or rejected.</summary>
public sealed record ClaimAcknowledged : CanonicalEvent
{
    public required string ClaimId { get; init; }
    public required string Payer { get; init; }
    public required bool Accepted { get; init; }
    /// <summary>Status codes as sent (e.g. STC category:status:entity).</summary>
    public IReadOnlyList<string> StatusCodes { get; init; } = [];
    public Money? Charge { get; init; }

    public override string Topic => "claims";
    public override string SessionKey => ClaimId;
}

/// <summary>A payer's adjudication of a claim outside an 835 (FHIR ClaimResponse / ExplanationOfBenefit).</summary>
public sealed record ClaimAdjudicated : CanonicalEvent
{
    public required string ClaimId { get; init; }
    public required string Payer { get; init; }
    public required string Outcome { get; init; }
    public Money? Submitted { get; init; }
    public Money? Benefit { get; init; }
    public Money? Payment { get; init; }
    public IReadOnlyList<Adjustment> Adjustments { get; init; } = [];

    public override string Topic => "claims";
    public override string SessionKey => ClaimId;
}
