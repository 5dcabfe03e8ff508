using System.Globalization;
using HealthFlow.Finance.Journals;
using HealthFlow.Finance.Mapping;
using HealthFlow.Finance.Posting;

namespace HealthFlow.Finance.Batching;

/// <summary>
/// A journal to post and the member journals it stands for. With batching off a journal is its own single member and
/// keeps its own key; a batch journal combines members of one payer, legal entity, currency and posting date (and, for
/// real-time cash, one source document).
/// </summary>
/// <remarks>
/// Invariants: <see cref="Journal"/> passes <see cref="JournalValidation"/>; Σ debits − Σ credits per account and
/// dimensions (cost center, facility, payer) of <see cref="Journal"/> equals that of its members (batching moves no money);
/// <see cref="MemberKeys"/> are sorted ordinally and the batch key is derived from them, so the same members always make
/// the same batch, whatever order they came in.
/// </remarks>
public sealed record JournalBatch(Journal Journal, IReadOnlyList<string> MemberKeys, IReadOnlyList<string> MemberJournalIds)
{
    /// <summary>True when <see cref="Journal"/> is a single member posted as is (batching off).</summary>
    public bool IsRealTime => MemberKeys.Count == 1 && MemberKeys[0] == Journal.IdempotencyKey;
}

/// <summary>
/// Micro-batching: combines journals per payer, legal entity, currency and posting date into batch journals. Pure and
/// deterministic: the same set of journals and settings gives the same batches, keys and lines.
/// </summary>
/// <remarks>
/// <para>Settings come from master data per payer and legal entity (<see cref="MasterDataSet.BatchingFor"/>): with batching
/// off a journal passes through unchanged as its own batch. With <c>cashRealTime</c> the cash journals (kind <c>cash</c>)
/// are not batched with the other kinds: the cash of one source document (its correlation id: one 835) posts as a
/// journal of its own per legal entity, currency and day, kind <c>cash</c>, so the payer's cash reaches the ERP as
/// one journal per payment. A journal's payer is the payer dimension its lines share (journals built by the posting
/// rules always have one); journals without a single payer batch under the payer <c>(mixed)</c>.</para>
/// <para>Members are ordered by idempotency key; a batch never splits a member, so each batch balances; a batch is cut
/// before it would exceed <c>maxLinesPerBatch</c> raw lines. With <c>consolidateLines</c>, lines with the same account and
/// dimensions are netted into one (memo dropped) and zero nets vanish; if that leaves fewer than two lines (the members
/// cancel out, e.g. a payment and its reversal on the same day) the raw lines are kept so the batch is still a valid
/// journal the ERP can show.</para>
/// <para>Key: <c>batch:{payer}:{legalEntity}:{currency}:{yyyy-MM-dd}:{SHA-256 of the sorted member keys}</c>. Exactly-once
/// across runs needs the caller to pass only members not posted before (the ledger records <see cref="JournalBatch.MemberKeys"/>):
/// a different member set is a different batch. The batch's <see cref="Journal.Source"/> is the members' common receipt and
/// correlation, or the batch key where they differ; its <see cref="Journal.Kind"/> is the members' common kind or <c>batch</c>.</para>
/// </remarks>
public static class JournalBatcher
{
    public const string MixedPayer = "(mixed)";

    /// <summary>Batches <paramref name="journals"/> with the settings of <paramref name="masterData"/>.</summary>
    public static IReadOnlyList<JournalBatch> Batch(IEnumerable<Journal> journals, MasterDataSet masterData) =>
        Batch(journals, masterData.BatchingFor, masterData.DecimalsOf);

    /// <summary>Batches with explicit settings per (payer, legal entity).</summary>
    /// <exception cref="ArgumentException">Two journals share an idempotency key but differ (a caller bug).</exception>
    public static IReadOnlyList<JournalBatch> Batch(IEnumerable<Journal> journals, Func<string?, string, BatchingRule> settings, Func<string, int>? decimalsOf = null)
    {
        var distinct = new Dictionary<string, Journal>(StringComparer.Ordinal);
        foreach (var journal in journals)
        {
            if (!distinct.TryAdd(journal.IdempotencyKey, journal))
            {
                var seen = distinct[journal.IdempotencyKey];
                if (!ReferenceEquals(seen, journal) && !SameContent(seen, journal))
                    throw new ArgumentException($"Two different journals share the key {journal.IdempotencyKey}.", nameof(journals));
            }
        }

        // Members in key order (the batches' keys and chunks depend on it); sorted once rather than kept in a sorted tree.
        var ordered = distinct.Values.ToList();
        ordered.Sort((left, right) => string.CompareOrdinal(left.IdempotencyKey, right.IdempotencyKey));

        // Settings are looked up once per (payer, legal entity): a day holds tens of thousands of journals and few payers.
        var cache = new Dictionary<(string?, string), BatchingRule>();
        var inner = settings;
        settings = (payer, legalEntity) =>
        {
            if (!cache.TryGetValue((payer, legalEntity), out var rule))
                cache[(payer, legalEntity)] = rule = inner(payer, legalEntity);
            return rule;
        };

        var result = new List<JournalBatch>();
        // Real-time cash is grouped per source document too (its correlation id); every other journal has none (""). The
        // groups' order does not matter: the batches are sorted at the end.
        var groups = new Dictionary<(string Payer, string LegalEntity, string Currency, DateOnly Date, string CashOf), List<Journal>>();
        foreach (var journal in ordered)
        {
            var payer = PayerOf(journal);
            var rule = settings(payer == MixedPayer ? null : payer, journal.LegalEntity);
            if (!rule.Enabled)
            {
                result.Add(new JournalBatch(journal, [journal.IdempotencyKey], [journal.JournalId]));
                continue;
            }

            var cashOf = rule.CashRealTime && journal.Kind == JournalKinds.Cash ? "cash:" + journal.Source.CorrelationId : "";
            var key = (payer, journal.LegalEntity, journal.Currency, journal.PostingDate, cashOf);
            if (!groups.TryGetValue(key, out var members))
                groups[key] = members = [];
            members.Add(journal);
        }

        foreach (var ((payer, legalEntity, currency, date, _), members) in groups)
        {
            var rule = settings(payer == MixedPayer ? null : payer, legalEntity);
            var chunk = new List<Journal>();
            var lineCount = 0;
            foreach (var member in members)
            {
                if (chunk.Count > 0 && lineCount + member.Lines.Count > rule.MaxLinesPerBatch)
                {
                    result.Add(Combine(payer, legalEntity, currency, date, chunk, rule.ConsolidateLines, decimalsOf));
                    chunk = [];
                    lineCount = 0;
                }

                chunk.Add(member);
                lineCount += member.Lines.Count;
            }

            if (chunk.Count > 0)
                result.Add(Combine(payer, legalEntity, currency, date, chunk, rule.ConsolidateLines, decimalsOf));
        }

        return result.OrderBy(b => b.Journal.LegalEntity, StringComparer.Ordinal)
            .ThenBy(b => b.Journal.PostingDate)
            .ThenBy(b => b.Journal.IdempotencyKey, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>The payer dimension shared by all lines, or <see cref="MixedPayer"/>.</summary>
    public static string PayerOf(Journal journal)
    {
        var payer = journal.Lines.Count > 0 ? journal.Lines[0].Payer : null;
        return payer is not null && journal.Lines.All(l => l.Payer == payer) ? payer : MixedPayer;
    }

    private static JournalBatch Combine(string payer, string legalEntity, string currency, DateOnly date, List<Journal> members, bool consolidate, Func<string, int>? decimalsOf)
    {
        var keys = members.Select(m => m.IdempotencyKey).ToList();
        var key = $"batch:{payer}:{legalEntity}:{currency}:{date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}:{JournalIds.Digest(keys)}";
        var raw = members.SelectMany(m => m.Lines).ToList();
        IReadOnlyList<JournalLine> lines = raw;
        if (consolidate)
        {
            var consolidated = Consolidate(raw);
            if (consolidated.Count >= 2)
                lines = consolidated;
        }

        var kinds = members.Select(m => m.Kind).Distinct(StringComparer.Ordinal).ToList();
        var receipts = members.Select(m => m.Source.ReceiptId).Distinct(StringComparer.Ordinal).ToList();
        var correlations = members.Select(m => m.Source.CorrelationId).Distinct(StringComparer.Ordinal).ToList();
        var journal = new Journal
        {
            JournalId = JournalIds.For(key),
            IdempotencyKey = key,
            LegalEntity = legalEntity,
            Currency = currency,
            PostingDate = date,
            Kind = kinds.Count == 1 ? kinds[0] : JournalKinds.Batch,
            ReversalOf = null,
            Source = new JournalSource(receipts.Count == 1 ? receipts[0] : key, correlations.Count == 1 ? correlations[0] : key),
            Lines = lines,
        };

        // A batch of valid members is valid by construction; check anyway, a broken batch must never reach an ERP.
        var problems = JournalValidation.Problems(journal, decimalsOf?.Invoke(currency) ?? 2);
        if (problems.Count > 0)
            throw new InvalidOperationException($"Batch {key} is invalid: {string.Join("; ", problems)}");

        return new JournalBatch(journal, keys, members.Select(m => m.JournalId).ToList());
    }

    private static List<JournalLine> Consolidate(List<JournalLine> lines)
    {
        var order = new List<(string, string?, string?, string?)>();
        var nets = new Dictionary<(string, string?, string?, string?), decimal>();
        foreach (var line in lines)
        {
            var key = (line.Account, line.CostCenter, line.Facility, line.Payer);
            if (!nets.TryGetValue(key, out var net))
                order.Add(key);
            nets[key] = checked(net + line.Debit - line.Credit);
        }

        var result = new List<JournalLine>(order.Count);
        foreach (var key in order)
        {
            var net = nets[key];
            if (net == 0m)
                continue;
            result.Add(new JournalLine(key.Item1, net > 0 ? net : 0m, net < 0 ? -net : 0m, key.Item2, key.Item3, key.Item4));
        }

        return result;
    }

    private static bool SameContent(Journal left, Journal right) =>
        left.JournalId == right.JournalId && left.LegalEntity == right.LegalEntity && left.Currency == right.Currency
        && left.PostingDate == right.PostingDate && left.Lines.SequenceEqual(right.Lines);
}
