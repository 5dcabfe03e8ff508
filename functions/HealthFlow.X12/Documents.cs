namespace HealthFlow.X12;

/// <summary>
/// A PHI-free reference to a person named in a transaction (patient, subscriber): keyed tokens made by the
/// caller's tokenizer, never the name or member id in clear.
/// </summary>
/// <param name="EntityCode">NM101 (QC patient, IL insured/subscriber, 74 corrected patient...).</param>
/// <param name="NameToken">Token of the normalised name "LAST|FIRST|MIDDLE" (trailing empty parts dropped); null when no name
/// (or beside an id when <see cref="X12ParseOptions.TokenizeNamesBesideIds"/> is off).</param>
/// <param name="IdQualifier">NM108 (MI member id, HN, MR...): a code, not PHI.</param>
/// <param name="IdToken">Token of NM109; null when absent.</param>
public sealed record PersonTokens(string EntityCode, string? NameToken, string? IdQualifier, string? IdToken);

/// <summary>A CAS adjustment (claim or service line level). A value: stored inline, compared by value.</summary>
/// <param name="Group">CAS01 group code: CO, PR, OA, PI, CR.</param>
/// <param name="Reason">Claim adjustment reason code (CARC).</param>
/// <param name="Amount">Amount as in the file; positive reduces payment, negative increases it.</param>
/// <param name="Quantity">Units adjusted, when given.</param>
public readonly record struct Adjustment(string Group, string Reason, decimal Amount, decimal? Quantity)
{
    /// <summary>Σ the amounts, in order: the one sum the balance rules of documents and parser records share.</summary>
    internal static decimal Sum(ReadOnlySpan<Adjustment> adjustments)
    {
        var total = 0m;
        foreach (ref readonly var adjustment in adjustments)
        {
            total += adjustment.Amount;
        }

        return total;
    }
}

/// <summary>An 835 SVC service line payment with its CAS adjustments and LQ remark codes.</summary>
/// <remarks>Made by the parser from its records of the set (<see cref="RemittanceData.ToRemittance"/>), read-only afterwards.</remarks>
public sealed class ServicePayment
{
    // Exact-size arrays (null when empty): one allocation per collection instead of a List plus its backing array.
    internal Adjustment[]? AdjustmentArray { get; set; }

    internal string[]? RemarkArray { get; set; }

    /// <summary>SVC01-1 qualifier (HC, NU, ...).</summary>
    public string? ProcedureQualifier { get; init; }

    /// <summary>SVC01-2 procedure or revenue code.</summary>
    public string? ProcedureCode { get; init; }

    /// <summary>SVC01-3..6 modifiers.</summary>
    public IReadOnlyList<string> Modifiers { get; init; } = [];

    public decimal Charge { get; init; }

    public decimal Paid { get; init; }

    /// <summary>SVC04 NUBC revenue code, when given.</summary>
    public string? RevenueCode { get; init; }

    /// <summary>SVC05 units paid.</summary>
    public decimal? Units { get; init; }

    public IReadOnlyList<Adjustment> Adjustments => AdjustmentArray ?? (IReadOnlyList<Adjustment>)[];

    /// <summary>LQ remittance advice remark codes (RARC): "HE:N14" style qualifier:code.</summary>
    public IReadOnlyList<string> RemarkCodes => RemarkArray ?? (IReadOnlyList<string>)[];

    /// <summary>Service date (DTM 472, or 150 start).</summary>
    public DateOnly? ServiceDate { get; internal set; }
}

/// <summary>An 835 CLP claim payment.</summary>
/// <remarks>
/// Balance rule (5010): <c>Charge − Paid = Σ claim CAS + Σ service line CAS</c>; <see cref="Difference"/> is
/// the left side minus the right side and <see cref="IsBalanced"/> is true when it is zero.
/// Made by the parser from its records of the set (<see cref="RemittanceData.ToRemittance"/>), read-only afterwards.
/// </remarks>
public sealed class ClaimPayment
{
    // Exact-size arrays, null when empty (see ServicePayment).
    internal Adjustment[]? AdjustmentArray { get; set; }

    internal ServicePayment[]? LineArray { get; set; }

    internal string[]? RemarkArray { get; set; }

    /// <summary>CLP01 patient control number (the provider's claim id; not PHI by itself).</summary>
    public required string PatientControlNumber { get; init; }

    /// <summary>CLP02: 1 primary, 2 secondary, 3 tertiary, 4 denied, 19–23 forwarded/reversal (22 = reversal).</summary>
    public required string Status { get; init; }

    public decimal Charge { get; init; }

    public decimal Paid { get; init; }

    /// <summary>CLP05, when given.</summary>
    public decimal? PatientResponsibility { get; init; }

    /// <summary>CLP06 claim filing indicator.</summary>
    public string? FilingIndicator { get; init; }

    /// <summary>CLP07 payer claim control number.</summary>
    public string? PayerClaimControlNumber { get; init; }

    /// <summary>CLP08 facility type code.</summary>
    public string? FacilityCode { get; init; }

    /// <summary>CLP09 claim frequency code.</summary>
    public string? FrequencyCode { get; init; }

    public PersonTokens? Patient { get; internal set; }

    public PersonTokens? Subscriber { get; internal set; }

    public IReadOnlyList<Adjustment> Adjustments => AdjustmentArray ?? (IReadOnlyList<Adjustment>)[];

    public IReadOnlyList<ServicePayment> ServiceLines => LineArray ?? (IReadOnlyList<ServicePayment>)[];

    /// <summary>Remark codes from MIA/MOA (RARC).</summary>
    public IReadOnlyList<string> RemarkCodes => RemarkArray ?? (IReadOnlyList<string>)[];

    /// <summary>DTM 232 claim statement period start.</summary>
    public DateOnly? StatementFrom { get; internal set; }

    /// <summary>DTM 233 claim statement period end.</summary>
    public DateOnly? StatementTo { get; internal set; }

    /// <summary>CLP02 of a reversal of a previous payment.</summary>
    public const string ReversalStatus = "22";

    /// <summary>CLP02 of a denied claim.</summary>
    public const string DeniedStatus = "4";

    /// <summary>True for CLP02 = 22 (reversal of previous payment).</summary>
    public bool IsReversal => Status == ReversalStatus;

    /// <summary>True for CLP02 = 4 (denied).</summary>
    public bool IsDenied => Status == DeniedStatus;

    /// <summary>Σ claim-level CAS + Σ service-line CAS.</summary>
    public decimal TotalAdjustments
    {
        get
        {
            // Over the arrays, not the IReadOnlyList views: no enumerator is allocated per call.
            var total = Adjustment.Sum(AdjustmentArray);
            foreach (var line in LineArray ?? [])
            {
                total += Adjustment.Sum(line.AdjustmentArray);
            }

            return total;
        }
    }

    /// <summary>(Charge − Paid) − Σ all CAS; zero when the claim balances.</summary>
    public decimal Difference => Charge - Paid - TotalAdjustments;

    public bool IsBalanced => Difference == 0m;

}

/// <summary>One PLB provider-level adjustment (one reason/amount pair of a PLB segment).</summary>
/// <param name="ProviderId">PLB01.</param>
/// <param name="FiscalPeriodDate">PLB02.</param>
/// <param name="Reason">PLB03-1 reason (L6 interest, WO overpayment recovery, FB forward balance, CS, ...).</param>
/// <param name="Reference">PLB03-2 reference id, when given.</param>
/// <param name="Amount">As in the file: positive reduces the payment (recoupment), negative increases it (interest).</param>
public sealed record ProviderAdjustment(string? ProviderId, DateOnly? FiscalPeriodDate, string Reason, string? Reference, decimal Amount);

/// <summary>An 835 health care claim payment/advice (005010X221A1), PHI already tokenised.</summary>
/// <remarks>
/// Balance rule: <c>BPR02 = Σ CLP04 − Σ PLB amounts</c>. <see cref="Difference"/> = BPR02 − (Σ CLP04 − Σ PLB);
/// an unbalanced remittance is an exception for the workflow, not a syntax error, so it does not change
/// the 999 status.
/// </remarks>
public sealed record Remittance
{
    /// <summary>BPR01: I remittance with payment, H notification only, C payment only, ...</summary>
    public string? TransactionHandlingCode { get; init; }

    /// <summary>BPR02 total actual provider payment.</summary>
    public decimal PaymentAmount { get; init; }

    /// <summary>BPR03: C credit, D debit.</summary>
    public string? CreditDebitFlag { get; init; }

    /// <summary>BPR04: ACH, CHK, FWT, BOP, NON.</summary>
    public string? PaymentMethod { get; init; }

    /// <summary>BPR16 check issue or EFT effective date.</summary>
    public DateOnly? PaymentDate { get; init; }

    /// <summary>TRN02 check or EFT trace number: the remittance's identity with the payer.</summary>
    public string? TraceNumber { get; init; }

    /// <summary>TRN03 payer identifier.</summary>
    public string? OriginatingCompanyId { get; init; }

    /// <summary>N1*PR name.</summary>
    public string? PayerName { get; init; }

    /// <summary>N1*PR N104, or REF*2U when N104 is absent.</summary>
    public string? PayerId { get; init; }

    /// <summary>N1*PE name.</summary>
    public string? PayeeName { get; init; }

    /// <summary>N1*PE N103 (XX = NPI, FI = tax id).</summary>
    public string? PayeeIdQualifier { get; init; }

    /// <summary>N1*PE N104.</summary>
    public string? PayeeId { get; init; }

    public IReadOnlyList<ClaimPayment> Claims { get; init; } = [];

    public IReadOnlyList<ProviderAdjustment> ProviderAdjustments { get; init; } = [];

    /// <summary>Σ CLP04 − Σ PLB amounts: what BPR02 must equal.</summary>
    public decimal ExpectedPaymentAmount
    {
        get
        {
            // Indexed loops rather than LINQ: read once per transaction set on the ingestion path.
            var total = 0m;
            var claims = Claims;
            for (var i = 0; i < claims.Count; i++)
            {
                total += claims[i].Paid;
            }

            var adjustments = ProviderAdjustments;
            for (var i = 0; i < adjustments.Count; i++)
            {
                total -= adjustments[i].Amount;
            }

            return total;
        }
    }

    /// <summary>BPR02 − expected; zero when balanced.</summary>
    public decimal Difference => PaymentAmount - ExpectedPaymentAmount;

    public bool IsBalanced => Difference == 0m;
}

/// <summary>A diagnosis from HI (qualifier ABK principal ICD-10, ABF other, ABJ admitting, BK/BF ICD-9...).</summary>
public sealed record Diagnosis(string Qualifier, string Code);

/// <summary>A service line of an 837 claim: SV1 (professional) or SV2 (institutional).</summary>
public sealed record ServiceLine
{
    /// <summary>LX01 line number.</summary>
    public int LineNumber { get; init; }

    /// <summary>SV201 revenue code (837I only).</summary>
    public string? RevenueCode { get; init; }

    /// <summary>Procedure qualifier (HC, NU...).</summary>
    public string? ProcedureQualifier { get; init; }

    public string? ProcedureCode { get; init; }

    public IReadOnlyList<string> Modifiers { get; init; } = [];

    /// <summary>SV102 / SV203 line charge.</summary>
    public decimal Charge { get; init; }

    /// <summary>SV103 / SV204 unit basis (UN, MJ, DA).</summary>
    public string? UnitCode { get; init; }

    /// <summary>SV104 / SV205 quantity.</summary>
    public decimal? Quantity { get; init; }

    /// <summary>SV107 diagnosis code pointers (837P).</summary>
    public IReadOnlyList<int> DiagnosisPointers { get; init; } = [];

    /// <summary>DTP 472 service date (first date of a range).</summary>
    public DateOnly? ServiceDate { get; init; }
}

/// <summary>An 837 CLM claim with its context from the HL hierarchy; PHI tokenised.</summary>
public sealed record Claim
{
    /// <summary>CLM01 patient control number.</summary>
    public required string ControlNumber { get; init; }

    /// <summary>CLM02 total claim charge.</summary>
    public decimal TotalCharge { get; init; }

    /// <summary>CLM05-1 place of service (837P) or facility type (837I).</summary>
    public string? FacilityCode { get; init; }

    /// <summary>CLM05-2 facility code qualifier (B place of service, A uniform billing).</summary>
    public string? FacilityCodeQualifier { get; init; }

    /// <summary>CLM05-3 claim frequency (1 original, 7 replacement, 8 void).</summary>
    public string? FrequencyCode { get; init; }

    public string? BillingProviderName { get; init; }

    /// <summary>NM109 of NM1*85 when NM108 = XX.</summary>
    public string? BillingProviderNpi { get; init; }

    /// <summary>REF*EI tax id of the billing provider.</summary>
    public string? BillingProviderTaxId { get; init; }

    /// <summary>NM1*PR name (loop 2010BB).</summary>
    public string? PayerName { get; init; }

    /// <summary>NM1*PR NM109 payer id.</summary>
    public string? PayerId { get; init; }

    /// <summary>SBR01 payer responsibility (P, S, T...).</summary>
    public string? PayerResponsibility { get; init; }

    public PersonTokens? Subscriber { get; init; }

    /// <summary>The patient when distinct from the subscriber (HL 23); null when the subscriber is the patient.</summary>
    public PersonTokens? Patient { get; init; }

    public IReadOnlyList<Diagnosis> Diagnoses { get; init; } = [];

    public IReadOnlyList<ServiceLine> ServiceLines { get; init; } = [];
}

/// <summary>Which 837 implementation a batch follows.</summary>
public enum ClaimKind
{
    /// <summary>837P, 005010X222A1.</summary>
    Professional,

    /// <summary>837I, 005010X223A2/A3.</summary>
    Institutional,
}

/// <summary>The claims of one 837 transaction set.</summary>
public sealed record ClaimBatch
{
    public ClaimKind Kind { get; init; }

    /// <summary>BHT03 originator application transaction id.</summary>
    public string? ReferenceId { get; init; }

    /// <summary>BHT06: CH chargeable, RP reporting.</summary>
    public string? ClaimOrEncounter { get; init; }

    /// <summary>BHT04 creation date.</summary>
    public DateOnly? CreatedOn { get; init; }

    /// <summary>NM1*41 submitter name.</summary>
    public string? SubmitterName { get; init; }

    /// <summary>NM1*40 receiver name.</summary>
    public string? ReceiverName { get; init; }

    public IReadOnlyList<Claim> Claims { get; init; } = [];
}

/// <summary>One STC claim status from a 277CA (or 277).</summary>
public sealed record ClaimStatus
{
    /// <summary>TRN02 at the claim level: the patient control number the provider sent (CLM01).</summary>
    public string? ClaimTrackingNumber { get; init; }

    /// <summary>REF*1K payer claim control number.</summary>
    public string? PayerClaimControlNumber { get; init; }

    /// <summary>STC01-1 status category (A1 received, A2 accepted, A3/A6/A7/A8 rejected...).</summary>
    public required string CategoryCode { get; init; }

    /// <summary>STC01-2 status code.</summary>
    public string? StatusCode { get; init; }

    /// <summary>STC01-3 entity code.</summary>
    public string? EntityCode { get; init; }

    public DateOnly? StatusDate { get; init; }

    /// <summary>STC04 total claim charge.</summary>
    public decimal? Amount { get; init; }

    public PersonTokens? Patient { get; init; }

    /// <summary>HL level code where the STC sits: 20 source, 21 receiver, 19 provider, PT patient/claim.</summary>
    public string? Level { get; init; }

    /// <summary>
    /// True when the category is a rejection (A3 returned as unprocessable, A4 not found, A6/A7/A8 rejected,
    /// E* response errors); false for acknowledgements (A0, A1, A2, A5) and everything else.
    /// </summary>
    public bool IsRejected => CategoryCode is "A3" or "A4" or "A6" or "A7" or "A8" or "E0" or "E1" or "E2" or "E3" or "E4";
}

/// <summary>The claim statuses of one 277CA (005010X214) or 277 (X212) transaction set.</summary>
public sealed record ClaimStatusReport
{
    public string? ReferenceId { get; init; }

    public IReadOnlyList<ClaimStatus> Statuses { get; init; } = [];
}

/// <summary>IK4: one element error inside an IK3.</summary>
public sealed record ElementErrorNote(int ElementPosition, int ComponentPosition, string? ElementReference, string ErrorCode, string? BadValue);

/// <summary>IK3 with its IK4s.</summary>
public sealed record SegmentErrorNote(string SegmentId, int PositionInTransactionSet, string? LoopId, string? ErrorCode)
{
    public IReadOnlyList<ElementErrorNote> ElementErrors { get; init; } = [];
}

/// <summary>AK2 … IK5: the response for one transaction set.</summary>
public sealed record TransactionSetResponse
{
    public required string TransactionSetId { get; init; }

    public required string ControlNumber { get; init; }

    public string? ImplementationReference { get; init; }

    public IReadOnlyList<SegmentErrorNote> SegmentErrors { get; init; } = [];

    /// <summary>IK501.</summary>
    public X12AckStatus Status { get; init; }

    /// <summary>IK502..IK506.</summary>
    public IReadOnlyList<string> SyntaxErrorCodes { get; init; } = [];
}

/// <summary>A 999 implementation acknowledgement (005010X231A1) for one functional group.</summary>
public sealed record FunctionalAcknowledgement
{
    /// <summary>AK101 functional identifier code of the acknowledged group (HP, HC, HN...).</summary>
    public required string FunctionalIdentifierCode { get; init; }

    /// <summary>AK102 acknowledged group control number.</summary>
    public required string GroupControlNumber { get; init; }

    /// <summary>AK103 acknowledged version.</summary>
    public string? Version { get; init; }

    public IReadOnlyList<TransactionSetResponse> TransactionSets { get; init; } = [];

    /// <summary>AK901.</summary>
    public X12AckStatus Status { get; init; }

    /// <summary>AK902 number of transaction sets included (GE01).</summary>
    public int IncludedCount { get; init; }

    /// <summary>AK903 number received.</summary>
    public int ReceivedCount { get; init; }

    /// <summary>AK904 number accepted.</summary>
    public int AcceptedCount { get; init; }

    /// <summary>AK905..AK909 functional group syntax error codes.</summary>
    public IReadOnlyList<string> SyntaxErrorCodes { get; init; } = [];
}

/// <summary>A TA1 interchange acknowledgement.</summary>
/// <param name="ControlNumber">TA101: the acknowledged ISA13.</param>
/// <param name="Date">TA102 YYMMDD.</param>
/// <param name="Time">TA103 HHMM.</param>
/// <param name="Status">TA104.</param>
/// <param name="NoteCode">TA105: 000 no error, 001 control number mismatch, 021 group count, 023 premature end, 024 invalid content...</param>
public sealed record InterchangeAcknowledgement(string ControlNumber, string Date, string Time, X12AckStatus Status, string NoteCode);
