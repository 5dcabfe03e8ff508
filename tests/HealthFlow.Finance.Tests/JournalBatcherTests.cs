using HealthFlow.Finance.Batching;
using HealthFlow.Finance.Events;
using HealthFlow.Finance.Journals;
using HealthFlow.Finance.Mapping;
using HealthFlow.Finance.Posting;
using static HealthFlow.Finance.Tests.TestData;

namespace HealthFlow.Finance.Tests;

public sealed class JournalBatcherTests
{
    private static List<Journal> ManyJournals(int seeds = 40) =>
        Enumerable.Range(1, seeds)
            .Select(RemittanceGenerator.Create)
            .Select(g => RemittanceRule.Build(Sample, g.Remittance, g.Matches, Today))
            .Where(r => !r.Blocked)
            .SelectMany(r => r.Journals)
            .ToList();

    [Fact]
    public void Batching_is_deterministic_whatever_the_input_order()
    {
        var journals = ManyJournals();
        var shuffled = journals.OrderBy(j => j.JournalId, StringComparer.Ordinal).Reverse().ToList();

        var first = JournalBatcher.Batch(journals, Sample);
        var second = JournalBatcher.Batch(shuffled, Sample);

        Assert.Equal(first.Select(b => b.Journal.IdempotencyKey), second.Select(b => b.Journal.IdempotencyKey));
        Assert.Equal(first.SelectMany(b => b.Journal.Lines), second.SelectMany(b => b.Journal.Lines));
        Assert.True(first.Count < journals.Count);
    }

    [Fact]
    public void Every_batch_balances_and_moves_no_money()
    {
        var journals = ManyJournals();

        var batches = JournalBatcher.Batch(journals, Sample);

        Assert.All(batches, b => Assert.Empty(JournalValidation.Problems(b.Journal)));
        Assert.Equal(NetByAccountAndDimensions(journals), NetByAccountAndDimensions(batches.Select(b => b.Journal)));
        Assert.Equal(journals.Select(j => j.IdempotencyKey).Order(StringComparer.Ordinal), batches.SelectMany(b => b.MemberKeys).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_batch_holds_one_payer_legal_entity_currency_and_day()
    {
        var batches = JournalBatcher.Batch(ManyJournals(), Sample);

        foreach (var batch in batches.Where(b => !b.IsRealTime))
        {
            Assert.Single(batch.Journal.Lines.Select(l => l.Payer).Distinct());
            Assert.StartsWith($"batch:{batch.Journal.Lines[0].Payer}:{batch.Journal.LegalEntity}:{batch.Journal.Currency}:{batch.Journal.PostingDate:yyyy-MM-dd}:", batch.Journal.IdempotencyKey, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Medicare_cash_of_an_835_posts_as_one_cash_journal_per_legal_entity_apart_from_its_adjustments()
    {
        // RMC and LCH belong to RHS-NORTH, SVH to RHS-SOUTH.
        var remittance = Remittance("T1",
            [Claim("PCN1", 700m, new Adjustment("CO", "45", 250m)), Claim("PCN2", 300m), Claim("PCN3", 500m, new Adjustment("CO", "45", 50m))],
            payer: "MEDICARE PART B");
        var journals = RemittanceRule.Build(Sample, remittance, Matches(("PCN1", "RMC", "MCR-B"), ("PCN2", "LCH", "MCR-B"), ("PCN3", "SVH", "MCR-B")), Today).Journals;
        var cashMembers = journals.Where(j => j.Kind == JournalKinds.Cash).ToList();

        var batches = JournalBatcher.Batch(journals, Sample);

        var cash = batches.Where(b => b.Journal.Kind == JournalKinds.Cash).ToList();
        Assert.Equal(["RHS-NORTH", "RHS-SOUTH"], cash.Select(b => b.Journal.LegalEntity));
        Assert.Equal(cashMembers.Select(j => j.IdempotencyKey).Order(StringComparer.Ordinal), cash.SelectMany(b => b.MemberKeys).Order(StringComparer.Ordinal));
        Assert.Equal(NetByAccountAndDimensions(cashMembers), NetByAccountAndDimensions(cash.Select(b => b.Journal)));
        Assert.All(cash, b => Assert.Equal(remittance.CorrelationId, b.Journal.Source.CorrelationId));
        Assert.Equal(4, batches.Count); // and one batch of adjustments per legal entity
    }

    [Fact]
    public void Medicare_cash_of_two_835s_of_a_day_posts_as_two_journals()
    {
        var matches = Matches(("PCN1", "RMC", "MCR-B"), ("PCN2", "RMC", "MCR-B"), ("PCN3", "RMC", "MCR-B"), ("PCN4", "RMC", "MCR-B"));
        var first = RemittanceRule.Build(Sample, Remittance("T1", [Claim("PCN1", 700m), Claim("PCN2", 300m)], payer: "MEDICARE PART B"), matches, Today).Journals;
        var second = RemittanceRule.Build(Sample, Remittance("T2", [Claim("PCN3", 500m), Claim("PCN4", 100m)], payer: "MEDICARE PART B"), matches, Today).Journals;

        var batches = JournalBatcher.Batch(first.Concat(second), Sample);

        Assert.Equal(["rcpt-T1", "rcpt-T2"], batches.Select(b => b.Journal.Source.CorrelationId).Order(StringComparer.Ordinal));
        Assert.All(batches, b => Assert.Equal((JournalKinds.Cash, 2), (b.Journal.Kind, b.MemberKeys.Count)));
    }

    [Fact]
    public void A_medicare_reversal_posted_with_the_cash_of_its_835_nets_the_original_to_zero()
    {
        var paid = Claim("PCN1", 700m, new Adjustment("CO", "45", 250m));
        var matches = Matches(("PCN1", "RMC", "MCR-B"), ("PCN2", "RMC", "MCR-B"));
        var original = RemittanceRule.Build(Sample, Remittance("T1", [paid], payer: "MEDICARE PART B"), matches, Today).Journals;
        var mirrored = matches.ToDictionary(m => m.Key, m => m.Value with { OriginalJournals = m.Key == "PCN1" ? original : null }, StringComparer.Ordinal);
        var later = RemittanceRule.Build(Sample, Remittance("T2", [Reversal(paid), Claim("PCN2", 300m)], payer: "MEDICARE PART B"), mirrored, Today).Journals;

        var posted = JournalBatcher.Batch(original, Sample).Concat(JournalBatcher.Batch(later, Sample)).ToList();

        var laterCash = Assert.Single(posted, b => b.Journal.Kind == JournalKinds.Cash && b.Journal.Source.CorrelationId == "rcpt-T2");
        Assert.Equal(2, laterCash.MemberKeys.Count);
        Assert.Equal(NetByAccountAndDimensions(later.Where(j => j.IdempotencyKey.Contains(":PCN2:", StringComparison.Ordinal))), NetByAccountAndDimensions(posted.Select(b => b.Journal)));
    }

    [Fact]
    public void A_batch_is_cut_at_the_line_limit_without_splitting_a_journal()
    {
        var journals = ManyJournals();
        static BatchingRule Small(string? payer, string legalEntity) => new(true, false, 10, false);

        var batches = JournalBatcher.Batch(journals, Small);

        Assert.All(batches, b => Assert.True(b.Journal.Lines.Count <= 10 || b.MemberKeys.Count == 1));
        Assert.All(batches, b => Assert.Empty(JournalValidation.Problems(b.Journal)));
        Assert.Equal(batches.Count, batches.Select(b => b.Journal.IdempotencyKey).Distinct().Count());
        Assert.Equal(NetByAccountAndDimensions(journals), NetByAccountAndDimensions(batches.Select(b => b.Journal)));
    }

    [Fact]
    public void Members_that_cancel_out_still_make_a_valid_batch()
    {
        var paid = Claim("PCN1", 700m);
        var original = RemittanceRule.Build(Sample, Remittance("T1", [paid]), Matches(("PCN1", "RMC", "ACME")), Today).Journals;
        var reversal = RemittanceRule.Build(Sample, Remittance("T2", [Reversal(paid)]), Matches(("PCN1", "RMC", "ACME")), Today).Journals;

        var batch = Assert.Single(JournalBatcher.Batch(original.Concat(reversal), Sample));

        Assert.Empty(JournalValidation.Problems(batch.Journal));
        Assert.Equal(4, batch.Journal.Lines.Count);
        Assert.Empty(NetByAccountAndDimensions([batch.Journal]));
    }

    [Fact]
    public void The_same_journal_twice_is_one_member()
    {
        var journals = ManyJournals(3);

        var batches = JournalBatcher.Batch(journals.Concat(journals), Sample);

        Assert.Equal(journals.Count, batches.Sum(b => b.MemberKeys.Count));
    }

    [Fact]
    public void Batching_turned_off_posts_every_journal_unchanged()
    {
        var journals = ManyJournals(5);

        var batches = JournalBatcher.Batch(journals, (_, _) => BatchingRule.Default with { Enabled = false });

        Assert.All(batches, b => Assert.True(b.IsRealTime));
        Assert.Equal(journals.Select(j => j.IdempotencyKey).Order(StringComparer.Ordinal), batches.Select(b => b.Journal.IdempotencyKey).Order(StringComparer.Ordinal));
    }
}
