using HealthFlow.Finance.Journals;

namespace HealthFlow.Finance.Posting;

/// <summary>
/// Collects signed postings "debit A / credit B, amount x" and turns them into journal lines. Balanced by
/// construction: every posting adds the same rounded amount to one debit and one credit line.
/// </summary>
/// <remarks>
/// Rounding: each amount is rounded to the currency's decimals, half away from zero, when it is added (835 and charge
/// amounts already carry two decimals, so for USD this changes nothing; it guards sources with more precision).
/// A negative amount is the same posting reversed (debit B / credit A): an 835 reversal's negative amounts therefore
/// mirror the original's lines. Postings with the same accounts and memo are netted; a net of zero writes no line.
/// </remarks>
internal sealed class JournalDraft(int decimals)
{
    private readonly List<(string Debit, string Credit, string? Memo)> _order = [];
    private readonly Dictionary<(string Debit, string Credit, string? Memo), decimal> _amounts = [];

    public bool IsEmpty => _amounts.Values.All(a => a == 0m);

    public static decimal Round(decimal amount, int decimals) => decimal.Round(amount, decimals, MidpointRounding.AwayFromZero);

    public void Add(string debitAccount, string creditAccount, decimal amount, string? memo)
    {
        var rounded = Round(amount, decimals);
        if (rounded == 0m)
            return;
        var key = (debitAccount, creditAccount, memo);
        if (_amounts.TryGetValue(key, out var sum))
        {
            _amounts[key] = checked(sum + rounded);
        }
        else
        {
            _order.Add(key);
            _amounts[key] = rounded;
        }
    }

    public List<JournalLine> Lines(string? costCenter, string? facility, string? payer)
    {
        var lines = new List<JournalLine>(_order.Count * 2);
        foreach (var key in _order)
        {
            var amount = _amounts[key];
            if (amount == 0m)
                continue;
            // Lines keep the posting's account order and only swap sides for a negative amount, so a reversal built
            // from negated amounts has exactly the original's lines with debit and credit exchanged.
            var magnitude = Math.Abs(amount);
            var (first, second) = amount > 0 ? ((magnitude, 0m), (0m, magnitude)) : ((0m, magnitude), (magnitude, 0m));
            lines.Add(new JournalLine(key.Debit, first.Item1, first.Item2, costCenter, facility, payer, key.Memo));
            lines.Add(new JournalLine(key.Credit, second.Item1, second.Item2, costCenter, facility, payer, key.Memo));
        }

        return lines;
    }
}

/// <summary>Builds journals and checks each against <see cref="JournalValidation"/> before it leaves a posting rule.</summary>
internal static class JournalFactory
{
    public static Journal Create(string key, string legalEntity, string currency, DateOnly postingDate, string kind, string? reversalOf, JournalSource source, IReadOnlyList<JournalLine> lines) =>
        new()
        {
            JournalId = JournalIds.For(key),
            IdempotencyKey = key,
            LegalEntity = legalEntity,
            Currency = currency,
            PostingDate = postingDate,
            Kind = kind,
            ReversalOf = reversalOf,
            Source = source,
            Lines = lines,
        };

    /// <summary>Adds an <see cref="InvalidJournal"/> issue for each journal that fails validation (a rule bug).</summary>
    public static void Validate(IEnumerable<Journal> journals, Func<string, int> decimalsOf, List<PostingIssue> issues)
    {
        foreach (var journal in journals)
        {
            var problems = JournalValidation.Problems(journal, decimalsOf(journal.Currency));
            if (problems.Count > 0)
                issues.Add(new InvalidJournal(journal.JournalId, problems));
        }
    }

    /// <summary>The result, enforcing the invariant that a blocked result carries no journals.</summary>
    public static PostingResult Result(List<Journal> journals, List<PostingIssue> issues, IReadOnlyDictionary<string, string>? dimensions = null)
    {
        // One missing mapping is one fix, however many claims need it; other issues stay per claim.
        var distinct = issues.DistinctBy(i => (i.GetType(), i.Reference, i is MissingMapping ? null : i.ClaimId)).ToList();
        var blocked = distinct.Any(i => i.Blocking);
        return new PostingResult(blocked ? [] : journals, distinct) { Dimensions = dimensions ?? new Dictionary<string, string>() };
    }
}
