using FsCheck;
using FsCheck.Fluent;
using HealthFlow.Finance.Batching;
using HealthFlow.Finance.Events;
using HealthFlow.Finance.Journals;
using HealthFlow.Finance.Posting;
using HealthFlow.Finance.Reconciliation;
using static HealthFlow.Finance.Tests.TestData;

namespace HealthFlow.Finance.Tests;

/// <summary>
/// Properties over generated 835s. FsCheck draws the seed, <see cref="RemittanceGenerator"/> turns it into a remittance;
/// a failure message names the seed, and <c>RemittanceGenerator.Create(seed)</c> rebuilds the same 835.
/// </summary>
public sealed class RemittancePropertyTests
{
    private static readonly Config Runs = Config.QuickThrowOnFailure.WithMaxTest(400);

    // Seeds over the whole non-negative range: FsCheck's default int generator stays near zero (size-bounded).
    private static readonly Arbitrary<int> Seeds = Gen.Choose(0, int.MaxValue).ToArbitrary();

    private static bool Holds(int seed, Func<bool> property, Func<string> explain)
    {
        if (property())
            return true;
        throw new InvalidOperationException($"seed {seed}: {explain()}");
    }

    [Fact]
    public void Every_journal_of_any_remittance_balances_and_is_valid()
    {
        var property = Prop.ForAll(Seeds, seed =>
        {
            var (remittance, matches) = RemittanceGenerator.Create(seed);
            var result = RemittanceRule.Build(Sample, remittance, matches, Today);
            var problems = result.Journals.SelectMany(j => JournalValidation.Problems(j).Select(p => $"{j.IdempotencyKey}: {p}")).ToList();
            return Holds(seed, () => !result.Blocked && problems.Count == 0 && result.Journals.All(j => j.TotalDebit == j.TotalCredit),
                () => string.Join("; ", problems.Concat(result.Issues.Where(i => i.Blocking).Select(i => i.ToString()))));
        });

        Check.One(Runs, property);
    }

    [Fact]
    public void Journals_tie_to_source_totals_and_cash_ties_to_BPR02()
    {
        var property = Prop.ForAll(Seeds, seed =>
        {
            var (remittance, matches) = RemittanceGenerator.Create(seed);
            var result = RemittanceRule.Build(Sample, remittance, matches, Today);
            var source = ReconciliationTotals.FromRemittance(Sample, remittance, matches, Today);
            var journals = ReconciliationTotals.FromJournals(Sample, result.Journals);
            var differences = ReconciliationTotals.Compare(source, journals);
            var cash = NetByAccount(result.Journals).Where(n => Sample.IsCashAccount(n.Key)).Sum(n => n.Value);
            return Holds(seed, () => differences.Count == 0 && cash == remittance.PaymentAmount.Amount,
                () => $"cash {cash} vs BPR02 {remittance.PaymentAmount.Amount}; " + string.Join("; ", differences));
        });

        Check.One(Runs, property);
    }

    [Fact]
    public void A_journal_never_mixes_legal_entities_or_currencies()
    {
        var property = Prop.ForAll(Seeds, seed =>
        {
            var (remittance, matches) = RemittanceGenerator.Create(seed);
            var result = RemittanceRule.Build(Sample, remittance, matches, Today);
            var wrong = result.Journals.Where(j => j.Lines.Any(l => l.Facility is null
                || Sample.FindFacility(l.Facility)!.LegalEntity != j.LegalEntity
                || Sample.LegalEntities[j.LegalEntity].Currency != j.Currency)).ToList();
            return Holds(seed, () => wrong.Count == 0, () => string.Join(", ", wrong.Select(j => j.IdempotencyKey)));
        });

        Check.One(Runs, property);
    }

    [Fact]
    public void Any_remittance_followed_by_its_reversal_nets_to_zero_per_account_and_dimension()
    {
        var property = Prop.ForAll(Seeds, seed =>
        {
            var (remittance, matches) = RemittanceGenerator.Create(seed);
            var reversed = remittance with
            {
                TraceNumber = remittance.TraceNumber + "R",
                Claims = remittance.Claims.Select(c => c.IsReversal ? c with { Status = "1" } : c).Select(c => Reversal(c)).ToList(),
                ProviderAdjustments = [],
                PaymentAmount = new Money(-remittance.Claims.Sum(c => c.Paid), "USD"),
            };
            var original = RemittanceRule.Build(Sample, remittance with { ProviderAdjustments = [], PaymentAmount = new Money(remittance.Claims.Sum(c => c.Paid), "USD") }, matches, Today);
            var reversal = RemittanceRule.Build(Sample, reversed, matches, Today);
            var net = NetByAccountAndDimensions(original.Journals.Concat(reversal.Journals));
            return Holds(seed, () => net.Count == 0, () => string.Join("; ", net.Select(n => $"{n.Key}: {n.Value}")));
        });

        Check.One(Runs, property);
    }

    [Fact]
    public void Batching_any_day_of_remittances_keeps_every_account_and_dimension_total()
    {
        var property = Prop.ForAll(Seeds, seed =>
        {
            var journals = Enumerable.Range(0, 5)
                .Select(i => RemittanceGenerator.Create(unchecked(seed + (i * 7919))))
                .SelectMany(g => RemittanceRule.Build(Sample, g.Remittance, g.Matches, Today).Journals)
                .ToList();
            var batches = JournalBatcher.Batch(journals, Sample);
            var before = NetByAccountAndDimensions(journals);
            var after = NetByAccountAndDimensions(batches.Select(b => b.Journal));
            return Holds(seed, () => before.Count == after.Count && before.All(b => after.GetValueOrDefault(b.Key) == b.Value)
                    && batches.All(b => JournalValidation.Problems(b.Journal).Count == 0),
                () => "batched totals differ");
        });

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(100), property);
    }
}
