using System.Security.Cryptography;
using System.Text;

namespace HealthFlow.Finance.Reconciliation;

/// <summary>Why a break exists (docs/RECONCILIATION.md).</summary>
public static class BreakCauses
{
    public const string Unposted = "unposted";
    public const string PostedTwice = "posted-twice";
    public const string AmountMismatch = "amount-mismatch";
    public const string ErpRejected = "erp-rejected";
    public const string Unmapped = "unmapped";

    public static IReadOnlyList<string> All { get; } = [Unposted, PostedTwice, AmountMismatch, ErpRejected, Unmapped];
}

/// <summary>Where a break was found.</summary>
public static class BreakLevels
{
    public const string Remittance = "remittance";
    public const string Claim = "claim";
    public const string Encounter = "encounter";
    public const string Journal = "journal";
    public const string Post = "post";
    public const string Erp = "erp";
}

/// <summary>The business SLAs measured.</summary>
public static class SlaNames
{
    public const string PaymentPostingLag = "payment-posting-lag";
    public const string DischargeToBill = "discharge-to-bill";
    public const string ExceptionAging = "exception-aging";
}

/// <summary>The stages counted per day.</summary>
public static class CountStages
{
    public const string Received = "received";
    public const string Parsed = "parsed";
    public const string Rejected = "rejected";
    public const string Posted = "posted";
    public const string InException = "in-exception";
    public const string InDeadLetter = "in-dead-letter";
}

/// <summary>SLA limits and what the ERP side can be checked against.</summary>
public sealed record ReconciliationSettings
{
    public TimeSpan PaymentPostingLag { get; init; } = TimeSpan.FromHours(24);
    public TimeSpan DischargeToBill { get; init; } = TimeSpan.FromHours(72);
    public TimeSpan ExceptionAging { get; init; } = TimeSpan.FromHours(48);

    /// <summary>
    /// True when the caller passes the ERP's own copy of every post (<see cref="DailyReconciliation.AddErpCopy"/>, the file
    /// ERP's journals.jsonl): an acknowledged post missing from it, or a copy that does not tie, is then a break.
    /// </summary>
    public bool ErpKeepsCopy { get; init; }
}

/// <summary>The ERP's last answer to one post (an ERP request under one idempotency key).</summary>
/// <param name="PostKey">The post's idempotency key (a batch key or a real-time journal's own key).</param>
/// <param name="CorrelationId">The receipt its journals descend from (the batch key when its members came from several).</param>
/// <param name="Accepted">True when the ERP took it (a rejection otherwise).</param>
/// <param name="At">When the answer was recorded.</param>
/// <param name="Reason">The ERP's reason for a rejection.</param>
public sealed record ErpPostFact(string PostKey, string CorrelationId, bool Accepted, DateTimeOffset At, string? Reason = null);

/// <summary>An exception of the workbench, as far as reconciliation needs it.</summary>
public sealed record ExceptionFact(string Id, string Reason, string Reference, string InstanceId, bool Blocking, DateTimeOffset RaisedAt, DateTimeOffset? ResolvedAt)
{
    public bool Open => ResolvedAt is null;
}

/// <summary>A row of fact_totals: one measure on the three sides (posted and ERP null for source-only measures).</summary>
public sealed record TotalsRow(TotalsKey Key, decimal Source, decimal? Posted, decimal? Erp);

/// <summary>A row of fact_accounts: net debit − credit of one account posted and in the ERP's copy (null without a copy).</summary>
public sealed record AccountRow(DateOnly Day, string LegalEntity, string Facility, string Payer, string Account, decimal Posted, decimal? Erp);

/// <summary>A row of fact_remittances: one 835's BPR02 against its posted cash.</summary>
public sealed record RemittanceRow(DateOnly Day, string LegalEntity, string Facility, string Payer, string Remittance, int Claims, decimal Bpr, decimal PostedCash);

/// <summary>A row of fact_counts.</summary>
public sealed record CountRow(DateOnly Day, string Stage, string Source, long Count);

/// <summary>A row of fact_sla: one measured item; <see cref="Open"/> when it is not done yet (measured up to the run).</summary>
public sealed record SlaRow(DateOnly Day, string LegalEntity, string Facility, string Payer, string Sla, string Subject, decimal Hours, decimal LimitHours, bool Open)
{
    public bool Breached => Hours > LimitHours;
}

/// <summary>A row of fact_breaks. <see cref="Difference"/> = expected − actual.</summary>
public sealed record ReconciliationBreak(
    DateOnly Day, string LegalEntity, string Facility, string Payer, string Cause, string Level, string Reference,
    decimal Expected, decimal Actual, DateTimeOffset Since, decimal AgeDays, string Detail)
{
    public decimal Difference => Expected - Actual;

    /// <summary><c>BR-</c> + a hash of day, cause, level and reference: the same break keeps its id from run to run.</summary>
    public string Id
    {
        get
        {
            var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{Day:yyyy-MM-dd}\n{Cause}\n{Level}\n{Reference}"));
            return "BR-" + Convert.ToHexString(hash.AsSpan(0, 8));
        }
    }
}

/// <summary>What <see cref="DailyReconciliation.Finish"/> found for one business day.</summary>
public sealed record ReconciliationReport(
    DateOnly Day,
    DateTimeOffset AsOf,
    IReadOnlyList<TotalsRow> Totals,
    IReadOnlyList<AccountRow> Accounts,
    IReadOnlyList<RemittanceRow> Remittances,
    IReadOnlyList<CountRow> Counts,
    IReadOnlyList<ReconciliationBreak> Breaks,
    IReadOnlyList<SlaRow> Slas)
{
    /// <summary>Break count per cause, every cause listed.</summary>
    public IReadOnlyDictionary<string, int> BreaksByCause =>
        BreakCauses.All.ToDictionary(c => c, c => Breaks.Count(b => b.Cause == c), StringComparer.Ordinal);

    public IEnumerable<SlaRow> SlaBreaches => Slas.Where(s => s.Breached);
}
