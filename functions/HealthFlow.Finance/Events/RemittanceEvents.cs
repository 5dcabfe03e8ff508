namespace HealthFlow.Finance.Events;

/// <summary>
/// One 835 transaction set: a payment (or advice) from a payer covering claim payments and provider-level
/// adjustments. Batched per transaction set so one message carries one remittance (see ARCHITECTURE.md).
/// </summary>
/// <remarks>
/// Balance (invariant 4): <see cref="PaymentAmount"/> = Σ <see cref="ClaimPayment.Paid"/> − Σ
/// <see cref="ProviderAdjustment.Amount"/>; <see cref="Balanced"/> and <see cref="Difference"/> record what
/// the reader found, and an unbalanced remittance goes to exceptions instead of posting.
/// </remarks>
public sealed record RemittanceReceived : CanonicalEvent
{
    public required string Payer { get; init; }
    public string? PayerId { get; init; }
    public required string Payee { get; init; }
    public string? PayeeNpi { get; init; }
    /// <summary>TRN02: the check or EFT trace number; with the payer it identifies the remittance.</summary>
    public required string TraceNumber { get; init; }
    /// <summary>BPR04: CHK, ACH, FWT, BOP (no payment) or NON.</summary>
    public string? PaymentMethod { get; init; }
    public required Money PaymentAmount { get; init; }
    public DateOnly? PaymentDate { get; init; }
    public required bool Balanced { get; init; }
    public decimal Difference { get; init; }
    public IReadOnlyList<ClaimPayment> Claims { get; init; } = [];
    public IReadOnlyList<ProviderAdjustment> ProviderAdjustments { get; init; } = [];

    public override string Topic => "remittances";
    public override string SessionKey => $"{Payer}|{TraceNumber}";
}

/// <summary>One CLP loop: the payer's decision on one claim.</summary>
public sealed record ClaimPayment
{
    /// <summary>CLP01: the provider's patient control number (the claim id of <see cref="ClaimSubmitted"/>).</summary>
    public required string PatientControlNumber { get; init; }
    /// <summary>CLP02: 1 primary, 2 secondary, 3 tertiary, 4 denied, 19–23 forwarded/reversal (22 = reversal of previous payment).</summary>
    public required string Status { get; init; }
    public required decimal Charge { get; init; }
    public required decimal Paid { get; init; }
    public decimal PatientResponsibility { get; init; }
    public string? PayerClaimControlNumber { get; init; }
    public string? PatientToken { get; init; }
    /// <summary>Claim-level CAS adjustments.</summary>
    public IReadOnlyList<Adjustment> Adjustments { get; init; } = [];
    public IReadOnlyList<ServiceLinePayment> ServiceLines { get; init; } = [];
    public IReadOnlyList<string> RemarkCodes { get; init; } = [];
    /// <summary>Whether charge − paid equals the sum of claim- and line-level adjustments, as 5010 requires.</summary>
    public bool Balanced { get; init; } = true;

    public bool IsReversal => Status == "22";
    public bool IsDenial => Status == "4";
}

/// <summary>One SVC loop.</summary>
public sealed record ServiceLinePayment(string? ProcedureCode, string? RevenueCode, decimal Charge, decimal Paid, IReadOnlyList<Adjustment> Adjustments)
{
    /// <summary>
    /// Line-level remark codes (RARC from LQ*HE), tried before the claim's when a CAS rule depends on a RARC
    /// (added for the posting rules; empty when the reader does not fill it).
    /// </summary>
    public IReadOnlyList<string> RemarkCodes { get; init; } = [];
}

/// <summary>A CAS adjustment: group (CO contractual, PR patient responsibility, OA other, PI payer initiated, CR correction), CARC reason and amount.</summary>
public sealed record Adjustment(string Group, string Reason, decimal Amount);

/// <summary>A PLB provider-level adjustment (positive reduces the payment, e.g. WO recoupment; negative increases it, e.g. L6 interest).</summary>
public sealed record ProviderAdjustment(string Reason, string? Reference, decimal Amount);

/// <summary>A payment advice outside X12 (FHIR PaymentReconciliation / PaymentNotice).</summary>
public sealed record PaymentReceived : CanonicalEvent
{
    public required string Payer { get; init; }
    public required string PaymentId { get; init; }
    public required Money Amount { get; init; }
    public DateOnly? PaymentDate { get; init; }
    public IReadOnlyList<PaymentDetail> Details { get; init; } = [];

    public override string Topic => "remittances";
    public override string SessionKey => $"{Payer}|{PaymentId}";
}

/// <summary>A line of a payment reconciliation: the claim (request) it pays and the amount.</summary>
public sealed record PaymentDetail(string? ClaimId, string? Type, Money Amount);
