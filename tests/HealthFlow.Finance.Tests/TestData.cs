using HealthFlow.Finance.Events;
using HealthFlow.Finance.Journals;
using HealthFlow.Finance.Mapping;
using HealthFlow.Finance.Posting;

namespace HealthFlow.Finance.Tests;

/// <summary>The sample master data and small builders for events; all ids are synthetic, patients are tokens.</summary>
internal static class TestData
{
    private static readonly Lazy<MasterDataSet> SampleSet = new(() =>
    {
        var result = Mapping.MasterData.LoadEmbedded();
        return result.Value ?? throw new InvalidOperationException(string.Join("\n", result.Errors));
    });

    public static MasterDataSet Sample => SampleSet.Value;

    public static readonly DateOnly Today = new(2026, 1, 20);

    public static EncounterDischarged Discharge(string facility = "RMC", string encounter = "V1001", string? department = "ED", string? payer = "ACME", string? provider = "1003000001") => new()
    {
        IdempotencyKey = $"hl7:{facility}:{encounter}:A03",
        CorrelationId = "rcpt-discharge",
        CausationId = "raw-1",
        Facility = facility,
        EncounterId = encounter,
        PatientToken = "pt_0123456789abcdef0123456789abcdef",
        DischargedAt = new DateTimeOffset(2026, 1, 15, 23, 30, 0, TimeSpan.FromHours(-5)),
        Department = department,
        AttendingProvider = provider,
        Payer = payer,
    };

    public static ChargePosted Charge(string id, string revenueCode, decimal amount, string? department = null, string facility = "RMC", string encounter = "V1001") => new()
    {
        IdempotencyKey = "charge:" + id,
        CorrelationId = "rcpt-charge",
        CausationId = "raw-2",
        Facility = facility,
        EncounterId = encounter,
        ChargeId = id,
        Department = department,
        RevenueCode = revenueCode,
        Amount = new Money(amount, "USD"),
    };

    public static ChargeCredited Credit(string id, string revenueCode, decimal amount, string? department = null) => new()
    {
        IdempotencyKey = "credit:" + id,
        CorrelationId = "rcpt-charge",
        CausationId = "raw-3",
        Facility = "RMC",
        EncounterId = "V1001",
        ChargeId = id,
        Department = department,
        RevenueCode = revenueCode,
        Amount = new Money(amount, "USD"),
    };

    /// <summary>A claim payment whose CLP03 − CLP04 = Σ CAS (5010 claim balance).</summary>
    public static ClaimPayment Claim(string pcn, decimal paid, params Adjustment[] adjustments) => new()
    {
        PatientControlNumber = pcn,
        Status = "1",
        Charge = paid + adjustments.Sum(a => a.Amount),
        Paid = paid,
        PatientResponsibility = adjustments.Where(a => a.Group == "PR").Sum(a => a.Amount),
        PatientToken = "pt_fedcba9876543210fedcba9876543210",
        Adjustments = adjustments,
    };

    /// <summary>The CLP02 = 22 reversal of a claim payment: every amount negated.</summary>
    public static ClaimPayment Reversal(ClaimPayment original) => original with
    {
        Status = "22",
        Charge = -original.Charge,
        Paid = -original.Paid,
        PatientResponsibility = -original.PatientResponsibility,
        Adjustments = original.Adjustments.Select(a => a with { Amount = -a.Amount }).ToList(),
        ServiceLines = original.ServiceLines.Select(l => l with
        {
            Charge = -l.Charge,
            Paid = -l.Paid,
            Adjustments = l.Adjustments.Select(a => a with { Amount = -a.Amount }).ToList(),
        }).ToList(),
    };

    /// <summary>A balanced 835: BPR02 = Σ CLP04 − Σ PLB.</summary>
    public static RemittanceReceived Remittance(string trace, IReadOnlyList<ClaimPayment> claims, IReadOnlyList<ProviderAdjustment>? plb = null, string payer = "ACME HEALTH PLAN", string method = "ACH", decimal? paymentOverride = null)
    {
        plb ??= [];
        var payment = paymentOverride ?? (claims.Sum(c => c.Paid) - plb.Sum(p => p.Amount));
        return new RemittanceReceived
        {
            IdempotencyKey = $"isa:vendor:ZZ:PAYERSYS:{trace}",
            CorrelationId = "rcpt-" + trace,
            CausationId = "raw-" + trace,
            Payer = payer,
            PayerId = "PAYER00",
            Payee = "GENERAL HOSPITAL",
            PayeeNpi = "1234567893",
            TraceNumber = trace,
            PaymentMethod = method,
            PaymentAmount = new Money(payment, "USD"),
            PaymentDate = new DateOnly(2026, 1, 16),
            Balanced = paymentOverride is null || paymentOverride == claims.Sum(c => c.Paid) - plb.Sum(p => p.Amount),
            Difference = paymentOverride is null ? 0m : paymentOverride.Value - (claims.Sum(c => c.Paid) - plb.Sum(p => p.Amount)),
            Claims = claims,
            ProviderAdjustments = plb,
        };
    }

    public static IReadOnlyDictionary<string, ClaimMatch> Matches(params (string Pcn, string Facility, string Payer)[] matches) =>
        matches.ToDictionary(m => m.Pcn, m => new ClaimMatch(m.Facility, m.Payer), StringComparer.Ordinal);

    /// <summary>Σ (debit − credit) per account over journals.</summary>
    public static Dictionary<string, decimal> NetByAccount(IEnumerable<Journal> journals)
    {
        var nets = new Dictionary<string, decimal>(StringComparer.Ordinal);
        foreach (var line in journals.SelectMany(j => j.Lines))
            nets[line.Account] = nets.GetValueOrDefault(line.Account) + line.Debit - line.Credit;
        return nets;
    }

    /// <summary>Σ (debit − credit) per account and dimensions over journals, zero entries dropped.</summary>
    public static Dictionary<(string, string?, string?, string?), decimal> NetByAccountAndDimensions(IEnumerable<Journal> journals)
    {
        var nets = new Dictionary<(string, string?, string?, string?), decimal>();
        foreach (var line in journals.SelectMany(j => j.Lines))
        {
            var key = (line.Account, line.CostCenter, line.Facility, line.Payer);
            nets[key] = nets.GetValueOrDefault(key) + line.Debit - line.Credit;
        }

        return nets.Where(n => n.Value != 0m).ToDictionary(n => n.Key, n => n.Value);
    }

    public static decimal Debit(Journal journal, string account) => journal.Lines.Where(l => l.Account == account).Sum(l => l.Debit);

    public static decimal Credit(Journal journal, string account) => journal.Lines.Where(l => l.Account == account).Sum(l => l.Credit);
}
