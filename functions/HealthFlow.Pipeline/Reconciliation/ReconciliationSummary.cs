using HealthFlow.Finance.Reconciliation;

namespace HealthFlow.Pipeline.Reconciliation;

/// <summary>
/// The short answer about one business day, for <c>healthflow reconcile</c>, <c>GET /api/reconciliation</c> and the demo:
/// totals per measure on the three sides (summed over legal entities, facilities and payers), breaks per cause, the
/// 835 cash tie-out, counts and SLA breaches. The detail is in the reporting tables.
/// </summary>
public sealed record ReconciliationSummary(
    DateOnly Day,
    DateTimeOffset AsOf,
    IReadOnlyList<MeasureSummary> Totals,
    int Breaks,
    IReadOnlyDictionary<string, int> BreaksByCause,
    int Remittances,
    decimal BprAmount,
    decimal PostedCash,
    IReadOnlyList<CountRow> Counts,
    IReadOnlyList<SlaSummary> Slas,
    string ReportingFolder)
{
    public static ReconciliationSummary From(ReconciliationReport report, string reportingFolder)
    {
        ArgumentNullException.ThrowIfNull(report);
        return new ReconciliationSummary(
            report.Day,
            report.AsOf,
            [.. report.Totals.GroupBy(t => t.Key.Measure, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => new MeasureSummary(g.Key, g.Sum(t => t.Source), g.All(t => t.Posted is null) ? null : g.Sum(t => t.Posted ?? 0m), g.All(t => t.Erp is null) ? null : g.Sum(t => t.Erp ?? 0m)))],
            report.Breaks.Count,
            report.BreaksByCause,
            report.Remittances.Count,
            report.Remittances.Sum(r => r.Bpr),
            report.Remittances.Sum(r => r.PostedCash),
            report.Counts,
            [.. report.Slas.GroupBy(s => s.Sla, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => new SlaSummary(g.Key, g.Count(), g.Count(s => s.Breached), g.Max(s => s.Hours)))],
            reportingFolder);
    }
}

/// <summary>One measure's totals on the three sides (posted and ERP null for source-only measures).</summary>
public sealed record MeasureSummary(string Measure, decimal Source, decimal? Posted, decimal? Erp);

/// <summary>One SLA: items measured, how many breached, the longest.</summary>
public sealed record SlaSummary(string Sla, int Items, int Breached, decimal MaxHours);
