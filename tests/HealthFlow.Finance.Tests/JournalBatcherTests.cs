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
    public void Medicare_cash_goes_real_time_with_its_own_key()
    {
        var remittance = Remittance("T1", [Claim("PCN1", 700m, new Adjustment("CO", "45", 250m))], payer: "MEDICARE PART B");
        var journals = RemittanceRule.Build(Sample, remittance, Matches(("PCN1", "RMC", "MCR-B")), Today).Journals;

        var batches = JournalBatcher.Batch(journals, Sample);

        var cash = journals.Single(j => j.Kind == JournalKinds.Cash);
        var realTime = Assert.Single(batches, b => b.IsRealTime);
        Assert.Same(cash, realTime.Journal);
        Assert.Equal(2, batches.Count);
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
