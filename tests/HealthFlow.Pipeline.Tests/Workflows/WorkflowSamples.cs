using HealthFlow.Finance;
using HealthFlow.Finance.Events;

namespace HealthFlow.Pipeline.Tests.Workflows;

/// <summary>Canonical events as ingestion publishes them, for the sample Riverbend master data (facility RMC, payer ACME).</summary>
internal static class WorkflowSamples
{
    public static readonly DateTimeOffset DischargedAt = new(2026, 11, 20, 10, 0, 0, TimeSpan.Zero);

    /// <summary>A receipt id as ingestion mints them: nothing of the source's identifiers in it.</summary>
    public static string Receipt(string kind, string source) =>
        $"rcpt-{kind}-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(source)).AsSpan(0, 6));

    public static EncounterDischarged Discharge(string encounter, string department = "ED") => new()
    {
        IdempotencyKey = $"adt:RMC:{encounter}:A03",
        CorrelationId = Receipt("adt", encounter),
        CausationId = Receipt("adt", encounter),
        Facility = "RMC",
        EncounterId = encounter,
        Department = department,
        Payer = "ACME",
        DischargedAt = DischargedAt,
    };

    public static DischargeCancelled CancelDischarge(string encounter) => new()
    {
        IdempotencyKey = $"adt:RMC:{encounter}:A13",
        CorrelationId = Receipt("a13", encounter),
        CausationId = Receipt("a13", encounter),
        Facility = "RMC",
        EncounterId = encounter,
    };

    public static ChargePosted Charge(string encounter, string chargeId, decimal amount, string revenueCode) => new()
    {
        IdempotencyKey = $"dft:RMC:{encounter}:{chargeId}",
        CorrelationId = Receipt("dft", encounter),
        CausationId = Receipt("dft", encounter),
        Facility = "RMC",
        EncounterId = encounter,
        ChargeId = chargeId,
        RevenueCode = revenueCode,
        Amount = new Money(amount, "USD"),
        ServiceDate = DateOnly.FromDateTime(DischargedAt.UtcDateTime),
    };

    public static ClaimSubmitted Claim(string claimId, string encounter, decimal charge) => new()
    {
        IdempotencyKey = $"837I:{claimId}",
        CorrelationId = Receipt("837", claimId),
        CausationId = Receipt("837", claimId),
        ClaimId = claimId,
        ClaimKind = "837I",
        Facility = "RMC",
        EncounterId = encounter,
        Payer = "ACME",
        TotalCharge = new Money(charge, "USD"),
    };

    /// <summary>
    /// One claim payment: charge 1000.00, paid 700.00, CO-45 200.00 (contractual), PR-1 100.00 (deductible); a reversal
    /// (<paramref name="reversal"/>, CLP02 = 22) repeats it with every amount negated; <paramref name="scale"/> multiplies
    /// every amount (another payment of the same claim number).
    /// </summary>
    public static RemittanceReceived Remittance(string trace, string claimId, bool reversal = false, decimal scale = 1m)
    {
        var sign = (reversal ? -1m : 1m) * scale;
        return new RemittanceReceived
        {
            IdempotencyKey = $"835:ACME:{trace}",
            CorrelationId = Receipt("835", trace),
            CausationId = Receipt("835", trace),
            Payer = "ACME",
            Payee = "RIVERBEND MEDICAL CENTER",
            PayeeNpi = "1234567893",
            TraceNumber = trace,
            PaymentMethod = "ACH",
            PaymentAmount = new Money(sign * 700m, "USD"),
            PaymentDate = new DateOnly(2026, 11, 21),
            Balanced = true,
            Claims =
            [
                new ClaimPayment
                {
                    PatientControlNumber = claimId,
                    Status = reversal ? "22" : "1",
                    Charge = sign * 1000m,
                    Paid = sign * 700m,
                    PatientResponsibility = sign * 100m,
                    Adjustments = [new Adjustment("CO", "45", sign * 200m), new Adjustment("PR", "1", sign * 100m)],
                },
            ],
        };
    }
}
