using HealthFlow.Finance.Batching;
using HealthFlow.Finance.Events;
using HealthFlow.Finance.Journals;
using HealthFlow.Finance.Posting;
using HealthFlow.Finance.Reconciliation;
using static HealthFlow.Finance.Tests.TestData;

namespace HealthFlow.Finance.Tests;

/// <summary>A whole generated day: discharges and 835s in, journals and batches out, and the totals tie.</summary>
public sealed class DayTotalsTests
{
    private static readonly string[] RevenueCodes = ["0120", "0250", "0300", "0320", "0450", "0360", "0730", "0636"];
    private static readonly string[] Departments = ["ED", "LAB", "RAD", "PHARM", "OR", "CARD", "MEDSURG"];
    private static readonly string[] Facilities = ["RMC", "LCH", "SVH"];
    private static readonly string[] Payers = ["ACME", "BRM", "MCD", "MCR-A", "UCARE", "SELFPAY"];

    [Fact]
    public void A_day_of_discharges_and_remittances_ties_journals_to_sources_by_entity_facility_and_payer()
    {
        var random = new Random(20260116);
        var source = new Dictionary<TotalsKey, decimal>();
        var journals = new List<Journal>();
        for (var e = 0; e < 200; e++)
        {
            var facility = Facilities[random.Next(Facilities.Length)];
            var discharge = Discharge(facility, $"V{e:D5}", Departments[random.Next(Departments.Length)], Payers[random.Next(Payers.Length)]);
            var charges = new List<ChargeEvent>();
            for (var c = random.Next(1, 12); c > 0; c--)
            {
                var code = RevenueCodes[random.Next(RevenueCodes.Length)];
                var charge = Charge($"{e}-{c}", code, random.Next(100, 900_000) / 100m, Departments[random.Next(Departments.Length)], facility, discharge.EncounterId);
                charges.Add(charge);
                if (random.Next(10) == 0)
                    charges.Add(new ChargeCredited { IdempotencyKey = "cr" + charge.ChargeId, CorrelationId = "r", CausationId = "r", Facility = facility, EncounterId = discharge.EncounterId, ChargeId = charge.ChargeId + "-CR", Department = charge.Department, RevenueCode = code, Amount = charge.Amount });
            }

            var accrual = RevenueAccrualRule.Build(Sample, discharge, charges, Today);
            Assert.False(accrual.Blocked, string.Join(", ", accrual.Issues));
            journals.AddRange(accrual.Journals);
            ReconciliationTotals.Merge(source, ReconciliationTotals.FromCharges(Sample, discharge, charges, Today));
        }

        for (var r = 0; r < 60; r++)
        {
            var (remittance, matches) = RemittanceGenerator.Create(random.Next());
            var posted = RemittanceRule.Build(Sample, remittance, matches, Today);
            Assert.False(posted.Blocked, string.Join(", ", posted.Issues));
            journals.AddRange(posted.Journals);
            ReconciliationTotals.Merge(source, ReconciliationTotals.FromRemittance(Sample, remittance, matches, Today));
        }

        var batches = JournalBatcher.Batch(journals, Sample);

        Assert.Empty(ReconciliationTotals.Compare(source, ReconciliationTotals.FromJournals(Sample, journals)));
        Assert.All(batches, b => Assert.Empty(JournalValidation.Problems(b.Journal)));
        Assert.Equal(NetByAccountAndDimensions(journals), NetByAccountAndDimensions(batches.Select(b => b.Journal)));
        Assert.Equal(2, batches.Select(b => b.Journal.LegalEntity).Distinct().Count());
        Assert.True(batches.Count < journals.Count / 10, $"{batches.Count} batches for {journals.Count} journals");
    }
}
