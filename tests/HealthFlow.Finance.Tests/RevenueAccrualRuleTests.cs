using HealthFlow.Finance.Events;
using HealthFlow.Finance.Journals;
using HealthFlow.Finance.Posting;
using HealthFlow.Finance.Reconciliation;
using static HealthFlow.Finance.Tests.TestData;

namespace HealthFlow.Finance.Tests;

public sealed class RevenueAccrualRuleTests
{
    private static readonly ChargeEvent[] Charges =
    [
        Charge("C1", "0450", 1_250.00m, "ED"),
        Charge("C2", "0300", 310.55m, "LAB"),
        Charge("C3", "0301", 89.45m, "LAB"),
        Charge("C4", "0320", 420.00m, "RAD"),
        Credit("C4-CR", "0320", 20.00m, "RAD"),
        Charge("C5", "0250", 75.10m),
    ];

    [Fact]
    public void Final_charges_accrue_gross_revenue_by_service_line_and_cost_center_against_the_payer_class_AR()
    {
        var result = RevenueAccrualRule.Build(Sample, Discharge(), Charges, Today);

        Assert.Empty(result.Issues);
        var journal = Assert.Single(result.Journals);
        Assert.Empty(JournalValidation.Problems(journal));
        Assert.Equal("RHS-NORTH", journal.LegalEntity);
        Assert.Equal("USD", journal.Currency);
        Assert.Equal(new DateOnly(2026, 1, 15), journal.PostingDate); // the discharge's own local date, not UTC's 16th
        Assert.Equal("discharge:RMC:V1001:accrual", journal.IdempotencyKey);
        Assert.Equal(JournalKinds.RevenueAccrual, journal.Kind);
        Assert.Equal(2_125.10m, Debit(journal, "1202")); // Acme is commercial: insurance AR 1202
        Assert.Equal(1_250.00m, Credit(journal, "4080")); // emergency
        Assert.Equal(400.00m, Credit(journal, "4050")); // laboratory: 0300 and 0301 in one line
        Assert.Equal(400.00m, Credit(journal, "4060")); // imaging net of the 20.00 credit
        Assert.Equal(75.10m, Credit(journal, "4030")); // pharmacy, department from the encounter (ED)
        Assert.Contains(journal.Lines, l => l.Account == "4050" && l.CostCenter == "N-LAB-RMC");
        Assert.Contains(journal.Lines, l => l.Account == "4030" && l.CostCenter == "N-ED-RMC");
        Assert.All(journal.Lines, l => Assert.Equal("RMC", l.Facility));
        Assert.All(journal.Lines, l => Assert.Equal("ACME", l.Payer));
        Assert.Equal("PROV-EM-001", result.Dimensions["provider"]);
    }

    [Fact]
    public void An_unmapped_department_is_a_missing_mapping_naming_the_key_and_nothing_posts()
    {
        var charges = new ChargeEvent[] { Charge("C1", "0450", 100m, "ER-9"), Charge("C2", "0300", 50m, "LAB") };

        var result = RevenueAccrualRule.Build(Sample, Discharge(), charges, Today);

        Assert.True(result.Blocked);
        Assert.Empty(result.Journals);
        var missing = Assert.Single(result.MissingMappings);
        Assert.Equal("department", missing.Kind);
        Assert.Equal("ER-9", missing.Key);
        Assert.Equal("department:ER-9", missing.Reference);
    }

    [Fact]
    public void Every_unmapped_value_is_reported_at_once()
    {
        var charges = new ChargeEvent[] { Charge("C1", "9999", 100m, "ER-9"), Charge("C2", "0450", 50m, "ER-9") };

        var files = new Dictionary<string, string>(Mapping.MasterData.EmbeddedFiles(), StringComparer.Ordinal);
        files["providers.json"] = files["providers.json"].Replace("\"defaultDimension\": \"PROV-UNASSIGNED\",", "", StringComparison.Ordinal);
        var strict = Mapping.MasterData.Load(files).Value!;

        var result = RevenueAccrualRule.Build(strict, Discharge(payer: "NOBODY", provider: "1999999999"), charges, Today);

        Assert.Equal(
            new[] { "department:ER-9", "payer:NOBODY", "provider:1999999999", "revenue-code:9999" },
            result.MissingMappings.Select(m => m.Reference).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void An_unmapped_provider_takes_the_default_dimension_when_one_is_configured()
    {
        var result = RevenueAccrualRule.Build(Sample, Discharge(provider: "1999999999"), Charges, Today);

        Assert.Empty(result.Issues);
        Assert.Equal("PROV-UNASSIGNED", result.Dimensions["provider"]);
    }

    [Fact]
    public void An_encounter_without_a_payer_accrues_to_self_pay_patient_AR()
    {
        var result = RevenueAccrualRule.Build(Sample, Discharge(payer: null), [Charge("C1", "0510", 180m, "CLINIC")], Today);

        var journal = Assert.Single(result.Journals);
        Assert.Equal(180m, Debit(journal, "1230"));
        Assert.All(journal.Lines, l => Assert.Equal("SELFPAY", l.Payer));
    }

    [Fact]
    public void A_facility_of_the_other_legal_entity_books_there()
    {
        var discharge = Discharge(facility: "SVH", encounter: "S-77", department: "ED");
        var charges = new[] { Charge("C1", "0450", 900m, facility: "SVH", encounter: "S-77") };

        var journal = Assert.Single(RevenueAccrualRule.Build(Sample, discharge, charges, Today).Journals);

        Assert.Equal("RHS-SOUTH", journal.LegalEntity);
        Assert.Contains(journal.Lines, l => l.CostCenter == "S-ED-SVH");
    }

    [Fact]
    public void A_charge_of_another_encounter_is_a_caller_bug()
    {
        Assert.Throws<ArgumentException>(() => RevenueAccrualRule.Build(Sample, Discharge(), [Charge("C1", "0450", 1m, encounter: "V9999")], Today));
    }

    [Fact]
    public void Charges_fully_credited_give_no_journal_and_no_issue()
    {
        var result = RevenueAccrualRule.Build(Sample, Discharge(), [Charge("C1", "0450", 100m), Credit("C1-CR", "0450", 100m)], Today);

        Assert.Empty(result.Journals);
        Assert.Empty(result.Issues);
    }

    [Fact]
    public void Building_twice_gives_identical_journals_whatever_the_charge_order()
    {
        var first = RevenueAccrualRule.Build(Sample, Discharge(), Charges, Today).Journals.Single();
        var second = RevenueAccrualRule.Build(Sample, Discharge(), Charges.Reverse(), Today).Journals.Single();

        Assert.Equal(first.JournalId, second.JournalId);
        Assert.Equal(first.Lines, second.Lines);
        Assert.Equal(JournalIds.For("discharge:RMC:V1001:accrual"), first.JournalId);
    }

    [Fact]
    public void Amounts_finer_than_cents_round_half_away_from_zero_and_still_balance()
    {
        var charges = new[] { Charge("C1", "0450", 10.005m), Charge("C2", "0300", 20.004m, "LAB"), Charge("C3", "0301", 0.005m, "LAB") };

        var journal = Assert.Single(RevenueAccrualRule.Build(Sample, Discharge(), charges, Today).Journals);

        Assert.Empty(JournalValidation.Problems(journal));
        Assert.Equal(10.01m, Credit(journal, "4080"));
        Assert.Equal(20.01m, Credit(journal, "4050")); // 20.00 + 0.01, each charge rounded before it is added
        Assert.Equal(30.02m, Debit(journal, "1202"));
    }

    [Fact]
    public void A_protected_encounter_number_stays_out_of_the_key()
    {
        var tokenizer = new PatientTokenizer(new byte[32]);

        var journal = RevenueAccrualRule.Build(Sample, Discharge(), Charges, Today, protectIdentifier: tokenizer.Tokenize).Journals.Single();

        Assert.Equal($"discharge:RMC:{tokenizer.Tokenize("V1001")}:accrual", journal.IdempotencyKey);
    }

    [Fact]
    public void A_cancelled_discharge_reverses_the_accrual_exactly()
    {
        var accrual = RevenueAccrualRule.Build(Sample, Discharge(), Charges, Today).Journals.Single();

        var reversal = JournalReversal.Reverse(accrual, Today, new JournalSource("rcpt-a13", "rcpt-a13"));

        Assert.Equal(accrual.JournalId, reversal.ReversalOf);
        Assert.Equal("discharge:RMC:V1001:accrual:reversal", reversal.IdempotencyKey);
        Assert.All(NetByAccountAndDimensions([accrual, reversal]), n => Assert.Equal(0m, n.Value));
        Assert.Empty(NetByAccountAndDimensions([accrual, reversal]));
    }

    [Fact]
    public void Accrual_totals_tie_to_the_net_charges()
    {
        var result = RevenueAccrualRule.Build(Sample, Discharge(), Charges, Today);

        var source = ReconciliationTotals.FromCharges(Sample, Discharge(), Charges, Today);
        var journals = ReconciliationTotals.FromJournals(Sample, result.Journals);

        Assert.Empty(ReconciliationTotals.Compare(source, journals));
        Assert.Equal(2_125.10m, source.Single().Value);
    }
}
