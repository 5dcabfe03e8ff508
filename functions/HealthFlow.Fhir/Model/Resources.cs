using System.Collections.Immutable;

namespace HealthFlow.Fhir;

/// <summary>
/// A resource as read from FHIR R4 JSON: immutable, holding only what HealthFlow maps and never patient
/// names, birth dates, addresses or identifier values (patients appear only as keyed tokens).
/// Invariant: <see cref="IdempotencyKey"/> is <c>Type/id/_history/versionId</c> when both id and
/// meta.versionId were sent, else <c>Type/sha256:…</c> over the exact bytes of the resource JSON, so
/// the same source document always yields the same key.
/// </summary>
public abstract record FhirResource
{
    /// <summary>The FHIR resourceType, e.g. <c>Claim</c>.</summary>
    public required string ResourceType { get; init; }

    /// <summary>The logical id, when sent.</summary>
    public string? Id { get; init; }

    /// <summary>meta.versionId, when sent.</summary>
    public string? VersionId { get; init; }

    /// <summary>meta.lastUpdated, when sent.</summary>
    public FhirDateTime? LastUpdated { get; init; }

    /// <summary>Source-derived key for exactly-once processing (see the type remarks).</summary>
    public required string IdempotencyKey { get; init; }

    /// <summary>Top-level extensions, kept verbatim and not interpreted (empty on Patient: they may hold PHI).</summary>
    public ImmutableArray<FhirExtension> Extensions { get; init; } = [];

    /// <summary>Business identifiers of the resource (empty on Patient, whose identifiers become tokens).</summary>
    public ImmutableArray<FhirIdentifier> Identifiers { get; init; } = [];

    /// <summary><c>Type/id</c>, or just the type when the id is absent.</summary>
    public string Reference => Id is null ? ResourceType : ResourceType + "/" + Id;
}

/// <summary>A resource type the reader tolerates inside a Bundle (Observation, Organization…) but does not map.</summary>
public sealed record FhirOtherResource : FhirResource;

/// <summary>
/// A Patient reduced to identity tokens. Invariant: nothing but tokens and the id-derived idempotency key
/// leaves the reader: <see cref="PatientToken"/> = tokenizer(<c>Patient/id</c>) when an id was sent, else
/// tokenizer(<c>system|value</c>) of the first identifier, so references to the same patient get the same token.
/// </summary>
public sealed record FhirPatient : FhirResource
{
    /// <summary>The token every reference to this patient carries; null when neither id nor identifier was sent.</summary>
    public string? PatientToken { get; init; }

    /// <summary>tokenizer(<c>system|value</c>) of each identifier, to link with MRNs from HL7 v2 and X12.</summary>
    public ImmutableArray<string> IdentifierTokens { get; init; } = [];
}

/// <summary>Encounter.location entry.</summary>
public sealed record FhirEncounterLocation(FhirReference? Location, string? Status, FhirPeriod? Period);

/// <summary>An Encounter: the facts behind EncounterAdmitted and EncounterDischarged.</summary>
public sealed record FhirEncounter : FhirResource
{
    /// <summary>planned | arrived | triaged | in-progress | onleave | finished | cancelled | entered-in-error | unknown.</summary>
    public required string Status { get; init; }

    /// <summary>Encounter.class (v3 ActCode: IMP, AMB, EMER…).</summary>
    public FhirCoding? Class { get; init; }

    /// <summary>Encounter.type.</summary>
    public ImmutableArray<FhirCodeableConcept> Types { get; init; } = [];

    /// <summary>Token of Encounter.subject.</summary>
    public string? PatientToken { get; init; }

    /// <summary>Encounter.period.</summary>
    public FhirPeriod? Period { get; init; }

    /// <summary>Encounter.serviceProvider (the facility organization).</summary>
    public FhirReference? ServiceProvider { get; init; }

    /// <summary>Encounter.location.</summary>
    public ImmutableArray<FhirEncounterLocation> Locations { get; init; } = [];

    /// <summary>Encounter.hospitalization.admitSource.</summary>
    public FhirCodeableConcept? AdmitSource { get; init; }

    /// <summary>Encounter.hospitalization.dischargeDisposition: its presence means the patient was discharged.</summary>
    public FhirCodeableConcept? DischargeDisposition { get; init; }

    /// <summary>Encounter.account.</summary>
    public ImmutableArray<FhirReference> Accounts { get; init; } = [];

    /// <summary>True when the encounter started (arrived, triaged, in-progress, onleave or finished).</summary>
    public bool IsAdmitted => Status is "arrived" or "triaged" or "in-progress" or "onleave" or "finished";

    /// <summary>True when finished, or a discharge disposition was given on a live encounter.</summary>
    public bool IsDischarged =>
        Status == "finished" || (DischargeDisposition is not null && Status is not ("cancelled" or "entered-in-error" or "planned"));
}

/// <summary>Coverage.class entry (group, plan, …).</summary>
public sealed record FhirCoverageClass(string? Type, string? Value, string? Name);

/// <summary>A Coverage: the payer and plan behind a patient's claims.</summary>
public sealed record FhirCoverage : FhirResource
{
    /// <summary>active | cancelled | draft | entered-in-error.</summary>
    public required string Status { get; init; }

    /// <summary>Coverage.type.</summary>
    public FhirCodeableConcept? Type { get; init; }

    /// <summary>Token of Coverage.beneficiary.</summary>
    public string? BeneficiaryToken { get; init; }

    /// <summary>Coverage.payor (an Organization, or a patient token for self-pay).</summary>
    public ImmutableArray<FhirReference> Payors { get; init; } = [];

    /// <summary>Coverage.period.</summary>
    public FhirPeriod? Period { get; init; }

    /// <summary>Coverage.order.</summary>
    public int? Order { get; init; }

    /// <summary>Coverage.class.</summary>
    public ImmutableArray<FhirCoverageClass> Classes { get; init; } = [];
}

/// <summary>Account.coverage entry.</summary>
public sealed record FhirAccountCoverage(FhirReference? Coverage, int? Priority);

/// <summary>An Account (the patient account / guarantor account charges post to). Account.name is not kept (often a patient name).</summary>
public sealed record FhirAccount : FhirResource
{
    /// <summary>active | inactive | entered-in-error | on-hold | unknown.</summary>
    public required string Status { get; init; }

    /// <summary>Account.type.</summary>
    public FhirCodeableConcept? Type { get; init; }

    /// <summary>Account.subject (patients as tokens).</summary>
    public ImmutableArray<FhirReference> Subjects { get; init; } = [];

    /// <summary>Account.servicePeriod.</summary>
    public FhirPeriod? ServicePeriod { get; init; }

    /// <summary>Account.coverage.</summary>
    public ImmutableArray<FhirAccountCoverage> Coverages { get; init; } = [];

    /// <summary>Account.owner.</summary>
    public FhirReference? Owner { get; init; }
}

/// <summary>ChargeItem.performer entry.</summary>
public sealed record FhirChargePerformer(FhirCodeableConcept? Function, FhirReference? Actor);

/// <summary>
/// A ChargeItem: one charge line. Invariant: <see cref="Amount"/> is priceOverride (R4: the total price
/// of the charge) when sent, else null and the chargemaster prices <see cref="Code"/> downstream.
/// </summary>
public sealed record FhirChargeItem : FhirResource
{
    /// <summary>planned | billable | not-billable | aborted | billed | entered-in-error | unknown.</summary>
    public required string Status { get; init; }

    /// <summary>ChargeItem.code (chargemaster / CPT / HCPCS / revenue code).</summary>
    public required FhirCodeableConcept Code { get; init; }

    /// <summary>Token of ChargeItem.subject.</summary>
    public string? PatientToken { get; init; }

    /// <summary>ChargeItem.context (usually the Encounter).</summary>
    public FhirReference? Context { get; init; }

    /// <summary>occurrenceDateTime.</summary>
    public FhirDateTime? OccurrenceDateTime { get; init; }

    /// <summary>occurrencePeriod.</summary>
    public FhirPeriod? OccurrencePeriod { get; init; }

    /// <summary>occurrenceTiming is not mapped; true when it was sent.</summary>
    public bool HasOccurrenceTiming { get; init; }

    /// <summary>ChargeItem.performer.</summary>
    public ImmutableArray<FhirChargePerformer> Performers { get; init; } = [];

    /// <summary>performingOrganization: the performing department.</summary>
    public FhirReference? PerformingOrganization { get; init; }

    /// <summary>requestingOrganization.</summary>
    public FhirReference? RequestingOrganization { get; init; }

    /// <summary>costCenter.</summary>
    public FhirReference? CostCenter { get; init; }

    /// <summary>ChargeItem.quantity (negative on a reversal line).</summary>
    public FhirQuantity? Quantity { get; init; }

    /// <summary>factorOverride.</summary>
    public decimal? FactorOverride { get; init; }

    /// <summary>priceOverride.</summary>
    public FhirMoney? Amount { get; init; }

    /// <summary>enteredDate.</summary>
    public FhirDateTime? EnteredDate { get; init; }

    /// <summary>ChargeItem.account.</summary>
    public ImmutableArray<FhirReference> Accounts { get; init; } = [];

    /// <summary>The service date: occurrenceDateTime, else the start of occurrencePeriod.</summary>
    public FhirDateTime? ServiceDate => OccurrenceDateTime ?? OccurrencePeriod?.Start;

    /// <summary>The department: performingOrganization, else costCenter.</summary>
    public FhirReference? Department => PerformingOrganization ?? CostCenter;

    /// <summary>True for entered-in-error, a negative quantity or a negative amount: the line credits a charge.</summary>
    public bool IsReversal => Status == "entered-in-error" || Quantity?.Value < 0 || Amount?.Value < 0;

    /// <summary>
    /// True when the charge has a financial effect: billable or billed lines, and entered-in-error (which voids a
    /// line posted earlier: the mapper matches it to that ChargePosted by ChargeItem id). Planned, aborted and
    /// not-billable lines move no money, whatever their sign.
    /// </summary>
    public bool IsPostable => Status is "billable" or "billed" or "entered-in-error";
}

/// <summary>Claim.diagnosis entry.</summary>
public sealed record FhirDiagnosis(int? Sequence, FhirCodeableConcept? Code, FhirReference? Condition, ImmutableArray<FhirCodeableConcept> Types);

/// <summary>Claim/EOB.insurance entry.</summary>
public sealed record FhirInsurance(int? Sequence, bool? Focal, FhirReference? Coverage);

/// <summary>
/// A Claim or ExplanationOfBenefit item line. Invariant: <see cref="Net"/> is the line's extended amount
/// as sent (quantity × unitPrice × factor + tax when the sender computed it).
/// </summary>
public sealed record FhirClaimItem
{
    /// <summary>item.sequence.</summary>
    public int? Sequence { get; init; }

    /// <summary>item.revenue (UB-04 revenue code).</summary>
    public FhirCodeableConcept? Revenue { get; init; }

    /// <summary>item.category.</summary>
    public FhirCodeableConcept? Category { get; init; }

    /// <summary>item.productOrService (CPT/HCPCS/…).</summary>
    public FhirCodeableConcept? ProductOrService { get; init; }

    /// <summary>item.modifier.</summary>
    public ImmutableArray<FhirCodeableConcept> Modifiers { get; init; } = [];

    /// <summary>servicedDate.</summary>
    public FhirDateTime? ServicedDate { get; init; }

    /// <summary>servicedPeriod.</summary>
    public FhirPeriod? ServicedPeriod { get; init; }

    /// <summary>locationCodeableConcept (place of service).</summary>
    public FhirCodeableConcept? LocationCode { get; init; }

    /// <summary>locationReference.</summary>
    public FhirReference? LocationReference { get; init; }

    /// <summary>item.quantity.</summary>
    public FhirQuantity? Quantity { get; init; }

    /// <summary>item.unitPrice.</summary>
    public FhirMoney? UnitPrice { get; init; }

    /// <summary>item.factor.</summary>
    public decimal? Factor { get; init; }

    /// <summary>item.net.</summary>
    public FhirMoney? Net { get; init; }

    /// <summary>item.encounter.</summary>
    public ImmutableArray<FhirReference> Encounters { get; init; } = [];

    /// <summary>item.adjudication (ExplanationOfBenefit only).</summary>
    public ImmutableArray<FhirAdjudication> Adjudications { get; init; } = [];

    /// <summary>The service date: servicedDate, else the start of servicedPeriod.</summary>
    public FhirDateTime? ServiceDate => ServicedDate ?? ServicedPeriod?.Start;
}

/// <summary>A Claim: what the provider bills the payer.</summary>
public sealed record FhirClaim : FhirResource
{
    /// <summary>active | cancelled | draft | entered-in-error.</summary>
    public required string Status { get; init; }

    /// <summary>Claim.type; carries a http://terminology.hl7.org/CodeSystem/claim-type coding.</summary>
    public required FhirCodeableConcept Type { get; init; }

    /// <summary>The claim-type code (institutional | oral | pharmacy | professional | vision), or null.</summary>
    public string? TypeCode => Type.CodeFrom(FhirCodeSystems.ClaimType);

    /// <summary>Claim.subType.</summary>
    public FhirCodeableConcept? SubType { get; init; }

    /// <summary>claim | preauthorization | predetermination.</summary>
    public required string Use { get; init; }

    /// <summary>Token of Claim.patient.</summary>
    public string? PatientToken { get; init; }

    /// <summary>Claim.billablePeriod.</summary>
    public FhirPeriod? BillablePeriod { get; init; }

    /// <summary>Claim.created.</summary>
    public FhirDateTime? Created { get; init; }

    /// <summary>Claim.insurer.</summary>
    public FhirReference? Insurer { get; init; }

    /// <summary>Claim.provider.</summary>
    public FhirReference? Provider { get; init; }

    /// <summary>Claim.priority.</summary>
    public FhirCodeableConcept? Priority { get; init; }

    /// <summary>Claim.facility.</summary>
    public FhirReference? Facility { get; init; }

    /// <summary>Claim.diagnosis.</summary>
    public ImmutableArray<FhirDiagnosis> Diagnoses { get; init; } = [];

    /// <summary>Claim.insurance.</summary>
    public ImmutableArray<FhirInsurance> Insurances { get; init; } = [];

    /// <summary>Claim.item.</summary>
    public ImmutableArray<FhirClaimItem> Items { get; init; } = [];

    /// <summary>Claim.total; when sent it equals Σ item.net (validated).</summary>
    public FhirMoney? Total { get; init; }

    /// <summary>The coverage of the focal insurance (or the first one).</summary>
    public FhirReference? FocalCoverage => FhirInsuranceSelection.Focal(Insurances);
}

/// <summary>An adjudication line (category submitted | eligible | benefit | copay | deductible | …).</summary>
public sealed record FhirAdjudication(FhirCodeableConcept Category, FhirCodeableConcept? Reason, FhirMoney? Amount, decimal? Value)
{
    /// <summary>The category code of the HL7 adjudication system, else the first category code.</summary>
    public string? CategoryCode => Category.CodeFrom(FhirCodeSystems.Adjudication) ?? Category.FirstCode;
}

/// <summary>A ClaimResponse/EOB total by category.</summary>
public sealed record FhirTotal(FhirCodeableConcept Category, FhirMoney Amount)
{
    /// <summary>The category code of the HL7 adjudication system, else the first category code.</summary>
    public string? CategoryCode => Category.CodeFrom(FhirCodeSystems.Adjudication) ?? Category.FirstCode;
}

/// <summary>ClaimResponse/EOB.payment.</summary>
public sealed record FhirPayment(FhirCodeableConcept? Type, FhirMoney? Adjustment, FhirCodeableConcept? AdjustmentReason, FhirDateTime? Date, FhirMoney? Amount, FhirIdentifier? Identifier);

/// <summary>ClaimResponse.item (adjudication of one submitted line).</summary>
public sealed record FhirResponseItem(int? ItemSequence, ImmutableArray<FhirAdjudication> Adjudications);

/// <summary>ClaimResponse/EOB.addItem (a line the payer added).</summary>
public sealed record FhirAddedItem(ImmutableArray<int> ItemSequences, FhirCodeableConcept? ProductOrService, FhirMoney? Net, ImmutableArray<FhirAdjudication> Adjudications);

/// <summary>Common surface of ClaimResponse and ExplanationOfBenefit: the facts behind ClaimAdjudicated.</summary>
public abstract record FhirAdjudicatedClaim : FhirResource
{
    /// <summary>active | cancelled | draft | entered-in-error.</summary>
    public required string Status { get; init; }

    /// <summary>Claim type.</summary>
    public required FhirCodeableConcept Type { get; init; }

    /// <summary>claim | preauthorization | predetermination.</summary>
    public required string Use { get; init; }

    /// <summary>Token of the patient.</summary>
    public string? PatientToken { get; init; }

    /// <summary>created.</summary>
    public FhirDateTime? Created { get; init; }

    /// <summary>The payer.</summary>
    public FhirReference? Insurer { get; init; }

    /// <summary>queued | complete | error | partial.</summary>
    public required string Outcome { get; init; }

    /// <summary>disposition text.</summary>
    public string? Disposition { get; init; }

    /// <summary>The adjudicated Claim (ClaimResponse.request or EOB.claim).</summary>
    public FhirReference? ClaimReference { get; init; }

    /// <summary>addItem.</summary>
    public ImmutableArray<FhirAddedItem> AddedItems { get; init; } = [];

    /// <summary>total, by category.</summary>
    public ImmutableArray<FhirTotal> Totals { get; init; } = [];

    /// <summary>payment.</summary>
    public FhirPayment? Payment { get; init; }

    /// <summary>The total of one adjudication category (e.g. <c>benefit</c>), or null.</summary>
    public FhirMoney? TotalOf(string category)
    {
        foreach (var total in Totals)
        {
            if (total.CategoryCode == category)
            {
                return total.Amount;
            }
        }

        return null;
    }

    /// <summary>True when the payer finished adjudicating a real claim (use claim, outcome complete or partial).</summary>
    public bool IsAdjudicated => Status == "active" && Use == "claim" && Outcome is "complete" or "partial";
}

/// <summary>A ClaimResponse.</summary>
public sealed record FhirClaimResponse : FhirAdjudicatedClaim
{
    /// <summary>requestor.</summary>
    public FhirReference? Requestor { get; init; }

    /// <summary>item.</summary>
    public ImmutableArray<FhirResponseItem> Items { get; init; } = [];
}

/// <summary>An ExplanationOfBenefit.</summary>
public sealed record FhirExplanationOfBenefit : FhirAdjudicatedClaim
{
    /// <summary>provider.</summary>
    public FhirReference? Provider { get; init; }

    /// <summary>claimResponse.</summary>
    public FhirReference? ClaimResponse { get; init; }

    /// <summary>facility.</summary>
    public FhirReference? Facility { get; init; }

    /// <summary>billablePeriod.</summary>
    public FhirPeriod? BillablePeriod { get; init; }

    /// <summary>insurance.</summary>
    public ImmutableArray<FhirInsurance> Insurances { get; init; } = [];

    /// <summary>item (with adjudication).</summary>
    public ImmutableArray<FhirClaimItem> Items { get; init; } = [];
}

/// <summary>A PaymentNotice: the payer says a payment was made.</summary>
public sealed record FhirPaymentNotice : FhirResource
{
    /// <summary>active | cancelled | draft | entered-in-error.</summary>
    public required string Status { get; init; }

    /// <summary>request.</summary>
    public FhirReference? Request { get; init; }

    /// <summary>response.</summary>
    public FhirReference? Response { get; init; }

    /// <summary>created.</summary>
    public FhirDateTime? Created { get; init; }

    /// <summary>provider.</summary>
    public FhirReference? Provider { get; init; }

    /// <summary>payment (the PaymentReconciliation).</summary>
    public FhirReference? Payment { get; init; }

    /// <summary>paymentDate.</summary>
    public FhirDateTime? PaymentDate { get; init; }

    /// <summary>payee.</summary>
    public FhirReference? Payee { get; init; }

    /// <summary>recipient.</summary>
    public FhirReference? Recipient { get; init; }

    /// <summary>amount.</summary>
    public FhirMoney? Amount { get; init; }

    /// <summary>paymentStatus.</summary>
    public FhirCodeableConcept? PaymentStatus { get; init; }
}

/// <summary>PaymentReconciliation.detail line.</summary>
public sealed record FhirPaymentDetail
{
    /// <summary>identifier.</summary>
    public FhirIdentifier? Identifier { get; init; }

    /// <summary>type (payment | adjustment | advance).</summary>
    public FhirCodeableConcept? Type { get; init; }

    /// <summary>request (the claim paid).</summary>
    public FhirReference? Request { get; init; }

    /// <summary>submitter.</summary>
    public FhirReference? Submitter { get; init; }

    /// <summary>response (the ClaimResponse).</summary>
    public FhirReference? Response { get; init; }

    /// <summary>date.</summary>
    public FhirDateTime? Date { get; init; }

    /// <summary>payee.</summary>
    public FhirReference? Payee { get; init; }

    /// <summary>amount (negative for recoupments and advances taken back).</summary>
    public FhirMoney? Amount { get; init; }
}

/// <summary>A PaymentReconciliation: the payer's remittance (the FHIR analogue of an 835 BPR).</summary>
public sealed record FhirPaymentReconciliation : FhirResource
{
    /// <summary>active | cancelled | draft | entered-in-error.</summary>
    public required string Status { get; init; }

    /// <summary>period.</summary>
    public FhirPeriod? Period { get; init; }

    /// <summary>created.</summary>
    public FhirDateTime? Created { get; init; }

    /// <summary>paymentIssuer (the payer).</summary>
    public FhirReference? PaymentIssuer { get; init; }

    /// <summary>requestor.</summary>
    public FhirReference? Requestor { get; init; }

    /// <summary>outcome.</summary>
    public string? Outcome { get; init; }

    /// <summary>disposition.</summary>
    public string? Disposition { get; init; }

    /// <summary>paymentDate.</summary>
    public FhirDateTime? PaymentDate { get; init; }

    /// <summary>paymentAmount.</summary>
    public FhirMoney? PaymentAmount { get; init; }

    /// <summary>paymentIdentifier (check / EFT trace number).</summary>
    public FhirIdentifier? PaymentIdentifier { get; init; }

    /// <summary>detail.</summary>
    public ImmutableArray<FhirPaymentDetail> Details { get; init; } = [];
}

/// <summary>Picks the focal insurance.</summary>
internal static class FhirInsuranceSelection
{
    internal static FhirReference? Focal(ImmutableArray<FhirInsurance> insurances)
    {
        foreach (var insurance in insurances)
        {
            if (insurance.Focal == true)
            {
                return insurance.Coverage;
            }
        }

        return insurances.IsDefaultOrEmpty ? null : insurances[0].Coverage;
    }
}

/// <summary>The code system URIs this reader maps.</summary>
public static class FhirCodeSystems
{
    /// <summary>http://terminology.hl7.org/CodeSystem/claim-type.</summary>
    public const string ClaimType = "http://terminology.hl7.org/CodeSystem/claim-type";

    /// <summary>http://terminology.hl7.org/CodeSystem/adjudication.</summary>
    public const string Adjudication = "http://terminology.hl7.org/CodeSystem/adjudication";

    /// <summary>http://terminology.hl7.org/CodeSystem/v3-ActCode (Encounter.class).</summary>
    public const string ActCode = "http://terminology.hl7.org/CodeSystem/v3-ActCode";

    /// <summary>https://www.nubc.org/CodeSystem/RevenueCodes (UB-04 revenue codes, e.g. on ChargeItem.code beside the CPT code).</summary>
    public const string RevenueCode = "https://www.nubc.org/CodeSystem/RevenueCodes";
}
