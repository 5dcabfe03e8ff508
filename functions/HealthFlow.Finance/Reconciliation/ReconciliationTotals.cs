using HealthFlow.Finance.Events;
using HealthFlow.Finance.Journals;
using HealthFlow.Finance.Mapping;
using HealthFlow.Finance.Posting;

namespace HealthFlow.Finance.Reconciliation;

/// <summary>Where a total belongs: posting date, legal entity, facility, payer and what is measured.</summary>
public readonly record struct TotalsKey(DateOnly PostingDate, string LegalEntity, string Facility, string Payer, string Measure);

/// <summary>A measure whose source total and journal total differ. <see cref="Difference"/> = source − journals.</summary>
public sealed record TotalsDifference(TotalsKey Key, decimal SourceAmount, decimal JournalAmount)
{
    public decimal Difference => SourceAmount - JournalAmount;
}

/// <summary>
/// Reconciliation-ready totals: the same measures computed from the source events and from the journals built for them,
/// per posting date, legal entity, facility and payer, so that journals can be shown to tie to sources.
/// </summary>
/// <remarks>
/// <para>Measures (signed, in the source's sense):</para>
/// <list type="bullet">
/// <item><c>charges</c>: net charges (posted − credited) | Σ (credit − debit) on revenue accounts of revenue-accrual journals.</item>
/// <item><c>payments</c>: Σ CLP04 of matched claims | Σ (debit − credit) on cash accounts of cash journals.</item>
/// <item><c>unapplied</c>: Σ CLP04 of unmatched claims | Σ (debit − credit) on cash accounts of unapplied-cash journals.</item>
/// <item><c>plb</c>: Σ PLB amounts (positive reduces the payment) | Σ (credit − debit) on cash accounts of PLB journals.</item>
/// <item><c>adjustment:{category}</c> for contractual, patient-responsibility, denial-write-off, administrative, bad-debt:
/// Σ CAS amounts | Σ (credit − debit) on the line payer's insurance AR account in journals of that kind.</item>
/// <item><c>adjustment:denial-work-queue</c> and <c>adjustment:informational</c>: source only (they post nothing);
/// <see cref="Compare"/> ignores them, they are there to show every CAS amount is accounted for.</item>
/// <item><c>claims-billed</c>: Σ total charge of submitted claims, source only (daily reconciliation adds it).</item>
/// </list>
/// <para>Cash ties to the bank: payments + unapplied − plb = BPR02 for each 835. Totals are computed on the member
/// journals (before micro-batching, which keeps per-account and per-dimension sums anyway). Reversals count with their
/// sign, so a payment and its reversal total zero. Unmapped sources are skipped here: the posting rule reports them.</para>
/// </remarks>
public static class ReconciliationTotals
{
    public const string Charges = "charges";
    public const string Payments = "payments";
    public const string Unapplied = "unapplied";
    public const string ProviderAdjustments = "plb";
    public const string WorkQueueDenials = "adjustment:denial-work-queue";
    public const string Informational = "adjustment:informational";

    /// <summary>Σ total charge of the claims submitted (837, FHIR Claim) on the day they were recorded; nothing posts for it.</summary>
    public const string ClaimsBilled = "claims-billed";

    /// <summary>Measures present only on the source side (nothing posts for them).</summary>
    public static IReadOnlySet<string> SourceOnlyMeasures { get; } = new HashSet<string>(StringComparer.Ordinal) { WorkQueueDenials, Informational, ClaimsBilled };

    /// <summary>Source totals of one discharged encounter's charges (same date and mapping rules as <see cref="RevenueAccrualRule"/>).</summary>
    public static Dictionary<TotalsKey, decimal> FromCharges(MasterDataSet masterData, EncounterDischarged discharge, IEnumerable<ChargeEvent> charges, DateOnly fallbackPostingDate)
    {
        var totals = new Dictionary<TotalsKey, decimal>();
        var facility = masterData.FindFacility(discharge.Facility);
        var payer = masterData.FindPayer(discharge.Payer ?? masterData.SelfPayPayer);
        if (facility is null || payer is null)
            return totals;
        var date = discharge.DischargedAt is { } at ? DateOnly.FromDateTime(at.DateTime) : fallbackPostingDate;
        var key = new TotalsKey(date, facility.LegalEntity, facility.Code, payer.Code, Charges);
        foreach (var charge in charges)
            Add(totals, key, charge is ChargeCredited ? -charge.Amount.Amount : charge.Amount.Amount);
        return totals;
    }

    /// <summary>Source totals of one 835 (same matching, dates and category rules as <see cref="RemittanceRule"/>).</summary>
    public static Dictionary<TotalsKey, decimal> FromRemittance(MasterDataSet masterData, RemittanceReceived remittance, IReadOnlyDictionary<string, ClaimMatch> matches, DateOnly fallbackPostingDate)
    {
        var totals = new Dictionary<TotalsKey, decimal>();
        var date = remittance.PaymentDate ?? fallbackPostingDate;
        var remitPayer = masterData.FindPayer(remittance.Payer) ?? masterData.FindPayer(remittance.PayerId);
        var payee = masterData.FindPayeeFacility(remittance.PayeeNpi, remittance.Payee);
        foreach (var claim in remittance.Claims)
        {
            if (!matches.TryGetValue(claim.PatientControlNumber, out var match) || match.WasUnapplied)
            {
                if (payee is not null && remitPayer is not null)
                    Add(totals, new TotalsKey(date, payee.LegalEntity, payee.Code, remitPayer.Code, Unapplied), claim.Paid);
                if (match is null)
                    continue;
            }

            var facility = masterData.FindFacility(match.Facility);
            var payer = masterData.FindPayer(match.Payer);
            if (facility is null || payer is null)
                continue;
            TotalsKey Key(string measure) => new(date, facility.LegalEntity, facility.Code, payer.Code, measure);
            if (!match.WasUnapplied)
                Add(totals, Key(Payments), claim.Paid);
            foreach (var (adjustment, remarks) in RemittanceRule.Adjustments(claim))
            {
                var rule = masterData.FindAdjustmentRule(adjustment.Group, adjustment.Reason, remarks);
                if (rule is null)
                    continue;
                var measure = rule.Category switch
                {
                    AdjustmentCategory.Denial => rule.Denial == DenialDisposition.WorkQueue ? WorkQueueDenials : "adjustment:" + JournalKinds.DenialWriteOff,
                    AdjustmentCategory.Informational => Informational,
                    _ => "adjustment:" + JournalKinds.Of(rule.Category, rule.Denial),
                };
                Add(totals, Key(measure), adjustment.Amount);
            }
        }

        if (payee is not null && remitPayer is not null)
        {
            foreach (var adjustment in remittance.ProviderAdjustments)
                Add(totals, new TotalsKey(date, payee.LegalEntity, payee.Code, remitPayer.Code, ProviderAdjustments), adjustment.Amount);
        }

        return totals;
    }

    /// <summary>Journal totals of member journals (see the remarks for which lines each measure reads).</summary>
    public static Dictionary<TotalsKey, decimal> FromJournals(MasterDataSet masterData, IEnumerable<Journal> journals)
    {
        var totals = new Dictionary<TotalsKey, decimal>();
        var revenueAccounts = RevenueAccounts(masterData);
        foreach (var journal in journals)
            AddJournal(totals, masterData, revenueAccounts, journal);
        return totals;
    }

    /// <summary>The gross revenue accounts of master data's service lines (what <see cref="Charges"/> reads in accruals).</summary>
    public static IReadOnlySet<string> RevenueAccounts(MasterDataSet masterData) =>
        masterData.ServiceLines.Values.Select(s => s.RevenueAccount).ToHashSet(StringComparer.Ordinal);

    /// <summary>Adds one member journal's measures into <paramref name="totals"/> (for callers that stream journals).</summary>
    public static void AddJournal(Dictionary<TotalsKey, decimal> totals, MasterDataSet masterData, IReadOnlySet<string> revenueAccounts, Journal journal)
    {
        foreach (var line in journal.Lines)
        {
            if (LineMeasure(masterData, revenueAccounts, journal.Kind, line.Account, line.Payer, checked(line.Debit - line.Credit)) is { } measure)
                Add(totals, new TotalsKey(journal.PostingDate, journal.LegalEntity, line.Facility ?? "", line.Payer ?? "", measure.Measure), measure.Amount);
        }
    }

    /// <summary>
    /// The measure a line of a <paramref name="kind"/> journal counts for, and its amount from the line's debit − credit
    /// (or from the net of such lines: the amount is linear in it); null when the line counts for none.
    /// </summary>
    public static (string Measure, decimal Amount)? LineMeasure(MasterDataSet masterData, IReadOnlySet<string> revenueAccounts, string kind, string account, string? payer, decimal debitMinusCredit)
    {
        ArgumentNullException.ThrowIfNull(masterData);
        ArgumentNullException.ThrowIfNull(revenueAccounts);
        return kind switch
        {
            JournalKinds.RevenueAccrual when revenueAccounts.Contains(account) => (Charges, -debitMinusCredit),
            JournalKinds.Cash when masterData.IsCashAccount(account) => (Payments, debitMinusCredit),
            JournalKinds.UnappliedCash when masterData.IsCashAccount(account) => (Unapplied, debitMinusCredit),
            JournalKinds.ProviderAdjustment when masterData.IsCashAccount(account) => (ProviderAdjustments, -debitMinusCredit),
            JournalKinds.ContractualAllowance or JournalKinds.PatientResponsibility or JournalKinds.DenialWriteOff
                or JournalKinds.AdministrativeAdjustment or JournalKinds.BadDebt when IsPayersInsuranceAr(masterData, payer, account) => ("adjustment:" + kind, -debitMinusCredit),
            _ => null,
        };
    }

    /// <summary>Adds <paramref name="more"/> into <paramref name="totals"/>.</summary>
    public static Dictionary<TotalsKey, decimal> Merge(Dictionary<TotalsKey, decimal> totals, IReadOnlyDictionary<TotalsKey, decimal> more)
    {
        foreach (var (key, amount) in more)
            Add(totals, key, amount);
        return totals;
    }

    /// <summary>Every key where source and journals differ (source-only measures ignored; zero totals equal absent ones).</summary>
    public static IReadOnlyList<TotalsDifference> Compare(IReadOnlyDictionary<TotalsKey, decimal> source, IReadOnlyDictionary<TotalsKey, decimal> journals)
    {
        var keys = source.Keys.Concat(journals.Keys).Where(k => !SourceOnlyMeasures.Contains(k.Measure)).Distinct()
            .OrderBy(k => k.PostingDate).ThenBy(k => k.LegalEntity, StringComparer.Ordinal).ThenBy(k => k.Facility, StringComparer.Ordinal)
            .ThenBy(k => k.Payer, StringComparer.Ordinal).ThenBy(k => k.Measure, StringComparer.Ordinal);
        var differences = new List<TotalsDifference>();
        foreach (var key in keys)
        {
            var s = source.GetValueOrDefault(key);
            var j = journals.GetValueOrDefault(key);
            if (s != j)
                differences.Add(new TotalsDifference(key, s, j));
        }

        return differences;
    }

    // The line's own payer's insurance AR: a self-pay payer's "insurance AR" is patient AR, so a global set would read both lines.
    private static bool IsPayersInsuranceAr(MasterDataSet masterData, string? payer, string account) =>
        masterData.FindPayer(payer)?.InsuranceArAccount == account;

    private static void Add(Dictionary<TotalsKey, decimal> totals, TotalsKey key, decimal amount) =>
        totals[key] = checked(totals.GetValueOrDefault(key) + amount);
}
