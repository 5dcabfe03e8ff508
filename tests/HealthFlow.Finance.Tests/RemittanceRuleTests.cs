using HealthFlow.Finance.Batching;
using HealthFlow.Finance.Events;
using HealthFlow.Finance.Journals;
using HealthFlow.Finance.Posting;
using HealthFlow.Finance.Reconciliation;
using static HealthFlow.Finance.Tests.TestData;

namespace HealthFlow.Finance.Tests;

public sealed class RemittanceRuleTests
{
    private static readonly ClaimPayment PaidClaim = Claim("PCN1", 700m, new Adjustment("CO", "45", 250m), new Adjustment("PR", "2", 50m));

    private static PostingResult Post(RemittanceReceived remittance, IReadOnlyDictionary<string, ClaimMatch>? matches = null) =>
        RemittanceRule.Build(Sample, remittance, matches ?? Matches(("PCN1", "RMC", "ACME"), ("PCN2", "SVH", "ACME")), Today);

    private static Journal Kind(PostingResult result, string kind) => Assert.Single(result.Journals, j => j.Kind == kind);

    [Fact]
    public void A_paid_claim_posts_cash_contractual_and_patient_responsibility_against_insurance_AR()
    {
        var result = Post(Remittance("T1", [PaidClaim]));

        Assert.Empty(result.Issues);
        Assert.All(result.Journals, j => Assert.Empty(JournalValidation.Problems(j)));
        var cash = Kind(result, JournalKinds.Cash);
        Assert.Equal(700m, Debit(cash, "1120")); // ACH → North bank clearing
        Assert.Equal(700m, Credit(cash, "1202"));
        Assert.Equal("remit:ACME HEALTH PLAN:T1:PCN1:cash", cash.IdempotencyKey);
        var contractual = Kind(result, JournalKinds.ContractualAllowance);
        Assert.Equal(250m, Debit(contractual, "4900"));
        Assert.Equal(250m, Credit(contractual, "1202"));
        var patient = Kind(result, JournalKinds.PatientResponsibility);
        Assert.Equal(50m, Debit(patient, "1230"));
        Assert.Equal(50m, Credit(patient, "1202"));
        Assert.All(result.Journals, j => Assert.Equal(new DateOnly(2026, 1, 16), j.PostingDate));
        Assert.All(result.Journals.SelectMany(j => j.Lines), l => Assert.Equal(("RMC", "ACME", "N-PFS-RMC"), (l.Facility, l.Payer, l.CostCenter)));
    }

    [Fact]
    public void A_check_goes_to_undeposited_funds()
    {
        var cash = Kind(Post(Remittance("T1", [PaidClaim], method: "CHK")), JournalKinds.Cash);

        Assert.Equal(700m, Debit(cash, "1110"));
    }

    [Fact]
    public void Medicare_contractual_allowance_uses_the_payer_class_account()
    {
        var result = Post(Remittance("T1", [PaidClaim], payer: "MEDICARE PART B"), Matches(("PCN1", "RMC", "MCR-B")));

        var contractual = Kind(result, JournalKinds.ContractualAllowance);
        Assert.Equal(250m, Debit(contractual, "4901"));
        Assert.Equal(250m, Credit(contractual, "1200"));
    }

    [Fact]
    public void An_unbalanced_835_posts_nothing_and_reports_the_difference()
    {
        var result = Post(Remittance("T1", [PaidClaim], paymentOverride: 690.50m));

        Assert.Empty(result.Journals);
        var issue = Assert.IsType<UnbalancedRemittance>(Assert.Single(result.Issues));
        Assert.True(issue.Blocking);
        Assert.Equal(-9.50m, issue.Difference);
    }

    [Theory]
    [InlineData("29", true)]
    [InlineData("96", true)]
    [InlineData("242", true)]
    [InlineData("50", false)]
    [InlineData("16", false)]
    [InlineData("197", false)]
    [InlineData("109", false)]
    public void Denials_go_to_write_off_or_work_queue_by_CARC(string carc, bool writeOff)
    {
        var denied = Claim("PCN1", 0m, new Adjustment("CO", carc, 480m)) with { Status = "4" };

        var result = Post(Remittance("T1", [denied]));

        Assert.False(result.Blocked);
        if (writeOff)
        {
            var journal = Kind(result, JournalKinds.DenialWriteOff);
            Assert.Equal(480m, Debit(journal, "6110"));
            Assert.Equal(480m, Credit(journal, "1202"));
            Assert.DoesNotContain(result.Issues, i => i is DenialRoutedToWorkQueue);
        }
        else
        {
            Assert.Empty(result.Journals);
            var queued = Assert.IsType<DenialRoutedToWorkQueue>(Assert.Single(result.Issues));
            Assert.Equal(("CO", carc, 480m, "PCN1"), (queued.Group, queued.Carc, queued.Amount, queued.ClaimId));
            Assert.False(queued.Blocking);
        }
    }

    [Fact]
    public void A_remark_code_can_turn_an_appealable_denial_into_a_write_off()
    {
        var line = new ServiceLinePayment("99214", "0450", 300m, 0m, [new Adjustment("CO", "50", 300m)]) { RemarkCodes = ["N386"] };
        var denied = Claim("PCN1", 0m) with { Status = "4", Charge = 300m, ServiceLines = [line] };

        var result = Post(Remittance("T1", [denied]));

        Assert.Equal(300m, Debit(Kind(result, JournalKinds.DenialWriteOff), "6110"));
        Assert.Empty(result.Issues);
    }

    [Fact]
    public void Prior_payer_impact_on_a_secondary_claim_posts_nothing()
    {
        var secondary = Claim("PCN1", 90m, new Adjustment("OA", "23", 410m)) with { Status = "2" };

        var result = Post(Remittance("T1", [secondary]));

        var journal = Assert.Single(result.Journals);
        Assert.Equal(JournalKinds.Cash, journal.Kind);
        Assert.Equal(90m, journal.TotalDebit);
    }

    [Fact]
    public void An_unmapped_CARC_is_a_missing_mapping_and_the_835_waits()
    {
        var result = Post(Remittance("T1", [PaidClaim, Claim("PCN2", 10m, new Adjustment("CO", "999", 5m))]));

        Assert.True(result.Blocked);
        Assert.Empty(result.Journals);
        Assert.Equal("adjustment:CO-999", Assert.Single(result.MissingMappings).Reference);
    }

    [Fact]
    public void PLB_interest_is_income_received_in_cash()
    {
        var result = Post(Remittance("T1", [PaidClaim], [new ProviderAdjustment("L6", null, -12.34m)]));

        var plb = Kind(result, JournalKinds.ProviderAdjustment);
        Assert.Equal(12.34m, Debit(plb, "1120"));
        Assert.Equal(12.34m, Credit(plb, "7100"));
        Assert.Equal("remit:ACME HEALTH PLAN:T1:plb", plb.IdempotencyKey);
    }

    [Fact]
    public void PLB_recoupment_reduces_cash_and_restores_insurance_AR()
    {
        var result = Post(Remittance("T1", [PaidClaim], [new ProviderAdjustment("WO", "PCN0007 ICN123", 150m)]));

        var plb = Kind(result, JournalKinds.ProviderAdjustment);
        Assert.Equal(150m, Debit(plb, "1202"));
        Assert.Equal(150m, Credit(plb, "1120"));
    }

    [Fact]
    public void PLB_forward_balance_moves_through_the_offsets_clearing_account_in_both_directions()
    {
        var withheld = Kind(Post(Remittance("T1", [PaidClaim], [new ProviderAdjustment("FB", "FWDBAL", 40m)])), JournalKinds.ProviderAdjustment);
        var repaid = Kind(Post(Remittance("T2", [PaidClaim], [new ProviderAdjustment("FB", "FWDBAL", -40m)])), JournalKinds.ProviderAdjustment);

        Assert.Equal((40m, 40m), (Debit(withheld, "2170"), Credit(withheld, "1120")));
        Assert.Equal((40m, 40m), (Debit(repaid, "1120"), Credit(repaid, "2170")));
    }

    [Fact]
    public void Cash_lines_of_an_835_add_up_to_BPR02()
    {
        var remittance = Remittance("T1", [PaidClaim, Claim("PCN2", 80m)], [new ProviderAdjustment("L6", null, -3m), new ProviderAdjustment("WO", null, 100m)]);

        var result = Post(remittance);

        var cash = NetByAccount(result.Journals).Where(n => n.Key is "1120" or "1121").Sum(n => n.Value);
        Assert.Equal(remittance.PaymentAmount.Amount, cash);
        Assert.Equal(683m, cash);
    }

    [Fact]
    public void A_payment_followed_by_its_22_reversal_nets_to_zero_per_account()
    {
        var original = Post(Remittance("T1", [PaidClaim]));
        var reversalMatch = new Dictionary<string, ClaimMatch> { ["PCN1"] = new("RMC", "ACME") { OriginalTraceNumber = "T1" } };

        var reversal = Post(Remittance("T2", [Reversal(PaidClaim)]), reversalMatch);

        Assert.Empty(reversal.Issues);
        Assert.All(reversal.Journals, j => Assert.Empty(JournalValidation.Problems(j)));
        Assert.Empty(NetByAccountAndDimensions(original.Journals.Concat(reversal.Journals)));
        Assert.All(NetByAccount(original.Journals.Concat(reversal.Journals)), n => Assert.Equal(0m, n.Value));
        foreach (var journal in reversal.Journals)
        {
            var reversed = Assert.Single(original.Journals, o => o.JournalId == journal.ReversalOf);
            Assert.Equal(reversed.Kind, journal.Kind);
            Assert.Equal(reversed.Lines.Select(l => (l.Account, l.Credit, l.Debit)), journal.Lines.Select(l => (l.Account, l.Debit, l.Credit)));
        }
    }

    [Fact]
    public void A_reversal_given_the_original_journals_mirrors_them_exactly()
    {
        var original = Post(Remittance("T1", [PaidClaim]));
        var match = new Dictionary<string, ClaimMatch> { ["PCN1"] = new("RMC", "ACME") { OriginalJournals = original.Journals } };

        var reversal = Post(Remittance("T2", [Reversal(PaidClaim)]), match);

        Assert.Equal(original.Journals.Count, reversal.Journals.Count);
        Assert.Empty(NetByAccountAndDimensions(original.Journals.Concat(reversal.Journals)));
        Assert.Equal(original.Journals.Select(j => j.JournalId).Order(StringComparer.Ordinal), reversal.Journals.Select(j => j.ReversalOf!).Order(StringComparer.Ordinal));
        Assert.All(reversal.Journals, j => Assert.StartsWith("remit:ACME HEALTH PLAN:T2:PCN1:reversal-of:JE-", j.IdempotencyKey, StringComparison.Ordinal));
    }

    [Fact]
    public void A_reversal_and_its_correction_in_one_835_get_distinct_keys()
    {
        var correction = Claim("PCN1", 720m, new Adjustment("CO", "45", 230m), new Adjustment("PR", "2", 50m));

        var result = Post(Remittance("T2", [Reversal(PaidClaim), correction]));

        Assert.Equal(result.Journals.Count, result.Journals.Select(j => j.IdempotencyKey).Distinct().Count());
        Assert.Equal(20m, NetByAccount(result.Journals)["1120"]);
        Assert.Equal("claim:ACME HEALTH PLAN:PCN1", result.Journals.First(j => j.ReversalOf is not null).ReversalOf);
    }

    [Fact]
    public void A_remittance_spanning_two_legal_entities_gives_journals_that_never_mix_them()
    {
        var remittance = Remittance("T1", [PaidClaim, Claim("PCN2", 300m)]);

        var result = Post(remittance);
        var batches = JournalBatcher.Batch(result.Journals, Sample);

        Assert.Equal(new[] { "RHS-NORTH", "RHS-SOUTH" }, result.Journals.Select(j => j.LegalEntity).Distinct().Order(StringComparer.Ordinal));
        Assert.Equal(2, batches.Count);
        Assert.Equal(new[] { "RHS-NORTH", "RHS-SOUTH" }, batches.Select(b => b.Journal.LegalEntity));
        Assert.Equal(300m, Debit(batches[1].Journal, "1121")); // South's own bank clearing
        Assert.All(batches, b => Assert.Empty(JournalValidation.Problems(b.Journal)));
    }

    [Fact]
    public void A_submitted_claim_gives_its_facility_and_payer_as_the_match()
    {
        var claim = new ClaimSubmitted
        {
            IdempotencyKey = "k", CorrelationId = "c", CausationId = "c", ClaimId = "PCN1", ClaimKind = "837I",
            Facility = "GENERAL HOSPITAL", Payer = "ACME HEALTH PLAN", TotalCharge = new Money(1_000m, "USD"),
        };

        var result = Post(Remittance("T1", [PaidClaim]), new Dictionary<string, ClaimMatch> { ["PCN1"] = ClaimMatch.FromClaim(claim, Sample)! });

        Assert.Empty(result.Issues);
        Assert.All(result.Journals.SelectMany(j => j.Lines), l => Assert.Equal(("RMC", "ACME"), (l.Facility, l.Payer)));
    }

    [Fact]
    public void An_837_claim_without_a_facility_is_matched_to_the_facility_of_its_billing_provider_npi()
    {
        var claim = new ClaimSubmitted
        {
            IdempotencyKey = "k", CorrelationId = "c", CausationId = "c", ClaimId = "PCN1", ClaimKind = "837P",
            BillingProviderNpi = "1811223344", Payer = "ACME HEALTH PLAN", TotalCharge = new Money(1_000m, "USD"),
        };

        Assert.Equal(new ClaimMatch("SVH", "ACME HEALTH PLAN"), ClaimMatch.FromClaim(claim, Sample));
        Assert.Null(ClaimMatch.FromClaim(claim with { BillingProviderNpi = "9999999999" }, Sample));
    }

    [Fact]
    public void An_unmatched_claim_payment_goes_to_unapplied_cash_and_is_reported()
    {
        var result = Post(Remittance("T1", [PaidClaim, Claim("PCN9", 55m, new Adjustment("CO", "45", 5m))]));

        Assert.False(result.Blocked);
        var unmatched = Assert.IsType<UnmatchedClaim>(Assert.Single(result.Issues));
        Assert.Equal(("PCN9", 55m), (unmatched.PatientControlNumber, unmatched.PaidAmount));
        var unapplied = Kind(result, JournalKinds.UnappliedCash);
        Assert.Equal((55m, 55m), (Debit(unapplied, "1120"), Credit(unapplied, "2150")));
    }

    [Fact]
    public void Matching_an_unapplied_payment_later_reclassifies_it_without_posting_cash_twice()
    {
        var remittance = Remittance("T1", [Claim("PCN9", 55m, new Adjustment("CO", "45", 5m))]);
        var before = Post(remittance, Matches());

        var after = RemittanceRule.Build(Sample, remittance, new Dictionary<string, ClaimMatch> { ["PCN9"] = new("LCH", "ACME") { WasUnapplied = true } }, Today);

        var unapplied = Kind(before, JournalKinds.UnappliedCash);
        Assert.Contains(after.Journals, j => j.IdempotencyKey == unapplied.IdempotencyKey && j.Lines.SequenceEqual(unapplied.Lines));
        var reclass = Kind(after, JournalKinds.UnappliedReclass);
        Assert.Equal((55m, 55m), (Debit(reclass, "2150"), Credit(reclass, "1202")));
        Assert.DoesNotContain(after.Journals, j => j.Kind == JournalKinds.Cash);
        Assert.Equal(5m, Debit(Kind(after, JournalKinds.ContractualAllowance), "4900"));
    }

    [Fact]
    public void An_unmapped_PLB_reason_is_a_missing_mapping()
    {
        var result = Post(Remittance("T1", [PaidClaim], [new ProviderAdjustment("ZZ", null, 5m)]));

        Assert.Equal("plb:ZZ", Assert.Single(result.MissingMappings).Reference);
        Assert.Empty(result.Journals);
    }

    [Fact]
    public void An_unknown_payer_or_payee_is_a_missing_mapping()
    {
        var remittance = Remittance("T1", [PaidClaim], [new ProviderAdjustment("L6", null, -1m)], payer: "MYSTERY MUTUAL") with { PayerId = null, PayeeNpi = "1000000000", Payee = "UNKNOWN CLINIC" };

        var result = Post(remittance);

        Assert.Contains("payer:MYSTERY MUTUAL", result.MissingMappings.Select(m => m.Reference));
        Assert.Contains("payee:1000000000", result.MissingMappings.Select(m => m.Reference));
        Assert.Empty(result.Journals);
    }

    [Fact]
    public void A_protected_claim_id_never_appears_in_journals_and_reversals_still_find_their_original()
    {
        var tokenizer = new PatientTokenizer(new byte[32]);
        var original = RemittanceRule.Build(Sample, Remittance("T1", [PaidClaim]), Matches(("PCN1", "RMC", "ACME")), Today, protectIdentifier: tokenizer.Tokenize);
        var reversalMatch = new Dictionary<string, ClaimMatch> { ["PCN1"] = new("RMC", "ACME") { OriginalTraceNumber = "T1" } };

        var reversal = RemittanceRule.Build(Sample, Remittance("T2", [Reversal(PaidClaim)]), reversalMatch, Today, protectIdentifier: tokenizer.Tokenize);

        var text = System.Text.Json.JsonSerializer.Serialize(original.Journals.Concat(reversal.Journals));
        Assert.DoesNotContain("PCN1", text, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(tokenizer.Tokenize("PCN1"), original.Journals[0].IdempotencyKey, StringComparison.Ordinal);
        Assert.All(reversal.Journals, j => Assert.Contains(original.Journals, o => o.JournalId == j.ReversalOf));
    }

    [Fact]
    public void Rebuilding_the_same_835_gives_identical_keys_ids_and_lines()
    {
        var remittance = Remittance("T1", [PaidClaim, Claim("PCN2", 300m)], [new ProviderAdjustment("L6", null, -2m)]);

        var first = Post(remittance).Journals;
        var second = Post(remittance).Journals;

        Assert.Equal(first.Select(j => (j.IdempotencyKey, j.JournalId)), second.Select(j => (j.IdempotencyKey, j.JournalId)));
        Assert.Equal(first.SelectMany(j => j.Lines), second.SelectMany(j => j.Lines));
    }

    [Fact]
    public void Remittance_totals_tie_journals_to_the_835()
    {
        var denied = Claim("PCN2", 0m, new Adjustment("CO", "50", 99m), new Adjustment("CO", "29", 11m)) with { Status = "4" };
        var remittance = Remittance("T1", [PaidClaim, denied, Claim("PCN9", 5m)], [new ProviderAdjustment("L6", null, -4m), new ProviderAdjustment("WO", null, 20m)]);
        var matches = Matches(("PCN1", "RMC", "ACME"), ("PCN2", "SVH", "BRM"));

        var result = RemittanceRule.Build(Sample, remittance, matches, Today);
        var source = ReconciliationTotals.FromRemittance(Sample, remittance, matches, Today);
        var journals = ReconciliationTotals.FromJournals(Sample, result.Journals);

        Assert.Empty(ReconciliationTotals.Compare(source, journals));
        Assert.Equal(99m, source.Single(s => s.Key.Measure == ReconciliationTotals.WorkQueueDenials).Value);
        Assert.Equal(11m, journals.Single(s => s.Key.Measure == "adjustment:denial-write-off").Value);
        var cash = journals.Where(t => t.Key.Measure is ReconciliationTotals.Payments or ReconciliationTotals.Unapplied).Sum(t => t.Value)
            - journals.Where(t => t.Key.Measure == ReconciliationTotals.ProviderAdjustments).Sum(t => t.Value);
        Assert.Equal(remittance.PaymentAmount.Amount, cash);
    }
}
