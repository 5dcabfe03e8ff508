using System.Collections.Immutable;

namespace HealthFlow.Fhir;

/// <summary>The canonical event type names (the Pipeline's HealthFlow.Finance events and the inspect report use these).</summary>
public static class FhirEventTypes
{
    /// <summary>An encounter started (arrived, in progress, or already finished).</summary>
    public const string EncounterAdmitted = "EncounterAdmitted";

    /// <summary>An encounter ended: status finished, or a discharge disposition.</summary>
    public const string EncounterDischarged = "EncounterDischarged";

    /// <summary>A billable charge.</summary>
    public const string ChargePosted = "ChargePosted";

    /// <summary>A charge reversal: entered-in-error, negative quantity or negative amount.</summary>
    public const string ChargeCredited = "ChargeCredited";

    /// <summary>A claim (use = claim) was submitted.</summary>
    public const string ClaimSubmitted = "ClaimSubmitted";

    /// <summary>A payer adjudicated a claim (ClaimResponse or ExplanationOfBenefit).</summary>
    public const string ClaimAdjudicated = "ClaimAdjudicated";

    /// <summary>A payment arrived (PaymentReconciliation or PaymentNotice).</summary>
    public const string PaymentReceived = "PaymentReceived";
}

/// <summary>
/// The facts one canonical event needs, derived from one accepted resource. Invariants:
/// <see cref="IdempotencyKey"/> = the resource's idempotency key + <c>#</c> + <see cref="Type"/>, so one resource
/// version yields each event at most once; <see cref="Amount"/> is never negative (the type says the direction:
/// ChargeCredited carries the size of the credit); only tokens identify patients.
/// </summary>
public sealed record FhirEventFact
{
    /// <summary>One of <see cref="FhirEventTypes"/>.</summary>
    public required string Type { get; init; }

    /// <summary>Source-derived key for exactly-once posting.</summary>
    public required string IdempotencyKey { get; init; }

    /// <summary>The resource the event comes from.</summary>
    public required FhirResource Source { get; init; }

    /// <summary><c>Type/id</c> of the source resource (or its type when it had no id).</summary>
    public string SourceReference => Source.Reference;

    /// <summary>The patient token.</summary>
    public string? PatientToken { get; init; }

    /// <summary>The encounter the event belongs to, as <c>Encounter/id</c> or a urn (the encounter itself for encounter events).</summary>
    public string? EncounterReference { get; init; }

    /// <summary>The claim the event belongs to (claim events).</summary>
    public string? ClaimReference { get; init; }

    /// <summary>When it happened: admission start, discharge end, service date, claim created, payment date.</summary>
    public FhirDateTime? OccurredOn { get; init; }

    /// <summary>The money the event moves, when known (a charge without priceOverride is priced downstream).</summary>
    public FhirMoney? Amount { get; init; }

    /// <summary>The main code: encounter class, charge code, claim type, payment type.</summary>
    public string? Code { get; init; }

    /// <summary>A charge's UB-04 revenue code, when its code carries one (<see cref="FhirCodeSystems.RevenueCode"/>).</summary>
    public string? RevenueCode { get; init; }

    /// <summary>Facility, department or provider (Type/id or display).</summary>
    public string? Organization { get; init; }

    /// <summary>The payer (insurer / payment issuer), when known.</summary>
    public string? Payer { get; init; }
}

/// <summary>Default derivation of canonical event facts from typed resources; the Pipeline mapper may reuse or replace it.</summary>
public static class FhirEventFacts
{
    /// <summary>Facts from every accepted resource of a read result, in document order; none when rejected.</summary>
    public static ImmutableArray<FhirEventFact> From(FhirReadResult result)
    {
        var builder = ImmutableArray.CreateBuilder<FhirEventFact>();
        foreach (var resource in result.AcceptedResources)
        {
            builder.AddRange(From(resource));
        }

        return builder.DrainToImmutable();
    }

    /// <summary>Facts from one resource (zero, one or two events).</summary>
    public static ImmutableArray<FhirEventFact> From(FhirResource resource) => resource switch
    {
        FhirEncounter encounter => FromEncounter(encounter),
        FhirChargeItem charge => FromCharge(charge),
        FhirClaim claim => FromClaim(claim),
        FhirAdjudicatedClaim adjudicated => FromAdjudication(adjudicated),
        FhirPaymentReconciliation reconciliation => FromReconciliation(reconciliation),
        FhirPaymentNotice notice => FromNotice(notice),
        _ => [],
    };

    private static string? Describe(FhirReference? reference) => reference?.Key ?? reference?.Display;

    private static ImmutableArray<FhirEventFact> FromEncounter(FhirEncounter encounter)
    {
        var facility = Describe(encounter.ServiceProvider);
        FhirEventFact? admitted = null, discharged = null;
        if (encounter.IsAdmitted)
        {
            admitted = new FhirEventFact
            {
                Type = FhirEventTypes.EncounterAdmitted,
                IdempotencyKey = encounter.IdempotencyKey + "#" + FhirEventTypes.EncounterAdmitted,
                Source = encounter,
                PatientToken = encounter.PatientToken,
                EncounterReference = encounter.Reference,
                OccurredOn = encounter.Period?.Start,
                Code = encounter.Class?.Code,
                Organization = facility,
            };
        }

        if (encounter.IsDischarged)
        {
            discharged = new FhirEventFact
            {
                Type = FhirEventTypes.EncounterDischarged,
                IdempotencyKey = encounter.IdempotencyKey + "#" + FhirEventTypes.EncounterDischarged,
                Source = encounter,
                PatientToken = encounter.PatientToken,
                EncounterReference = encounter.Reference,
                OccurredOn = encounter.Period?.End,
                Code = encounter.DischargeDisposition?.FirstCode ?? encounter.Class?.Code,
                Organization = facility,
            };
        }

        // One small array per encounter instead of a builder.
        return (admitted, discharged) switch
        {
            ({ } a, { } d) => [a, d],
            ({ } a, null) => [a],
            (null, { } d) => [d],
            _ => [],
        };
    }

    private static ImmutableArray<FhirEventFact> FromCharge(FhirChargeItem charge)
    {
        if (!charge.IsPostable)
        {
            return [];
        }

        var type = charge.IsReversal ? FhirEventTypes.ChargeCredited : FhirEventTypes.ChargePosted;
        return
        [
            new FhirEventFact
            {
                Type = type,
                IdempotencyKey = charge.IdempotencyKey + "#" + type,
                Source = charge,
                PatientToken = charge.PatientToken,
                EncounterReference = charge.Context?.Key,
                OccurredOn = charge.ServiceDate,
                Amount = charge.Amount is { } amount ? amount with { Value = Math.Abs(amount.Value) } : null,
                Code = charge.Code.FirstCode,
                RevenueCode = charge.Code.CodeFrom(FhirCodeSystems.RevenueCode),
                Organization = Describe(charge.Department),
            },
        ];
    }

    private static ImmutableArray<FhirEventFact> FromClaim(FhirClaim claim)
    {
        if (claim.Status != "active" || claim.Use != "claim")
        {
            return [];
        }

        var total = claim.Total;
        if (total is null)
        {
            decimal sum = 0;
            string? currency = null;
            foreach (var item in claim.Items)
            {
                if (item.Net is { } net)
                {
                    sum += net.Value;
                    currency ??= net.Currency;
                }
            }

            total = currency is null ? null : new FhirMoney(sum, currency);
        }

        string? encounter = null;
        foreach (var item in claim.Items)
        {
            if (!item.Encounters.IsDefaultOrEmpty)
            {
                encounter = item.Encounters[0].Key;
                break;
            }
        }

        return
        [
            new FhirEventFact
            {
                Type = FhirEventTypes.ClaimSubmitted,
                IdempotencyKey = claim.IdempotencyKey + "#" + FhirEventTypes.ClaimSubmitted,
                Source = claim,
                PatientToken = claim.PatientToken,
                EncounterReference = encounter,
                ClaimReference = claim.Reference,
                OccurredOn = claim.Created,
                Amount = total,
                Code = claim.TypeCode,
                Organization = Describe(claim.Provider),
                Payer = Describe(claim.Insurer) ?? Describe(claim.FocalCoverage),
            },
        ];
    }

    private static ImmutableArray<FhirEventFact> FromAdjudication(FhirAdjudicatedClaim adjudicated)
    {
        if (!adjudicated.IsAdjudicated)
        {
            return [];
        }

        var paid = adjudicated.Payment?.Amount ?? adjudicated.TotalOf("benefit");
        return
        [
            new FhirEventFact
            {
                Type = FhirEventTypes.ClaimAdjudicated,
                IdempotencyKey = adjudicated.IdempotencyKey + "#" + FhirEventTypes.ClaimAdjudicated,
                Source = adjudicated,
                PatientToken = adjudicated.PatientToken,
                ClaimReference = adjudicated.ClaimReference?.Key,
                OccurredOn = adjudicated.Payment?.Date ?? adjudicated.Created,
                Amount = paid is { } money ? money with { Value = Math.Abs(money.Value) } : null,
                Code = adjudicated.Outcome,
                Organization = adjudicated is FhirExplanationOfBenefit eob ? Describe(eob.Provider) : Describe((adjudicated as FhirClaimResponse)?.Requestor),
                Payer = Describe(adjudicated.Insurer),
            },
        ];
    }

    private static ImmutableArray<FhirEventFact> FromReconciliation(FhirPaymentReconciliation reconciliation)
    {
        if (reconciliation.Status != "active" || reconciliation.PaymentAmount is null)
        {
            return [];
        }

        return
        [
            new FhirEventFact
            {
                Type = FhirEventTypes.PaymentReceived,
                IdempotencyKey = reconciliation.IdempotencyKey + "#" + FhirEventTypes.PaymentReceived,
                Source = reconciliation,
                OccurredOn = reconciliation.PaymentDate,
                Amount = reconciliation.PaymentAmount is { } amount ? amount with { Value = Math.Abs(amount.Value) } : null,
                Code = reconciliation.PaymentIdentifier?.Value,
                Organization = Describe(reconciliation.Requestor),
                Payer = Describe(reconciliation.PaymentIssuer),
            },
        ];
    }

    private static ImmutableArray<FhirEventFact> FromNotice(FhirPaymentNotice notice)
    {
        if (notice.Status != "active" || notice.Amount is null)
        {
            return [];
        }

        return
        [
            new FhirEventFact
            {
                Type = FhirEventTypes.PaymentReceived,
                IdempotencyKey = notice.IdempotencyKey + "#" + FhirEventTypes.PaymentReceived,
                Source = notice,
                ClaimReference = notice.Request?.Key,
                OccurredOn = notice.PaymentDate ?? notice.Created,
                Amount = notice.Amount is { } amount ? amount with { Value = Math.Abs(amount.Value) } : null,
                Code = notice.PaymentStatus?.FirstCode,
                Organization = Describe(notice.Payee) ?? Describe(notice.Provider),
            },
        ];
    }
}
