using System.Diagnostics.Metrics;
using HealthFlow.Pipeline.Workflows;

namespace HealthFlow.Pipeline.Telemetry;

/// <summary>
/// The metrics the Azure Monitor alert rules read (infra/monitoring/*.kql), on the meter <see cref="MeterName"/>:
/// the open exceptions (a gauge), reconciliation breaks (a counter, by cause) and the posting lag from a journal's
/// receipt to the ERP's acknowledgement (a histogram, seconds). Names are the contract with the queries; no value or
/// tag ever names a patient or a claim.
/// </summary>
/// <remarks>Exported by OpenTelemetry: the Azure Monitor exporter in the Functions app, OTLP in the local runtime when
/// <c>Telemetry:OtlpEndpoint</c> is set (<see cref="TelemetryRegistration"/>).</remarks>
public sealed class HealthFlowMetrics
{
    public const string MeterName = "HealthFlow";
    public const string ExceptionsOpen = "healthflow.exceptions.open";
    public const string ReconciliationBreaks = "healthflow.reconciliation.breaks";
    public const string PostingLag = "healthflow.journal.posting_lag";

    private readonly Counter<long> _breaks;
    private readonly Histogram<double> _postingLag;

    public HealthFlowMetrics(IMeterFactory meters, ExceptionBook exceptions)
    {
        ArgumentNullException.ThrowIfNull(meters);
        ArgumentNullException.ThrowIfNull(exceptions);
        var meter = meters.Create(MeterName);
        meter.CreateObservableGauge(ExceptionsOpen, () => exceptions.List(open: true).Count, "{exception}",
            "Open items in the exceptions workbench.");
        _breaks = meter.CreateCounter<long>(ReconciliationBreaks, "{break}", "Breaks found by a reconciliation run, by cause.");
        _postingLag = meter.CreateHistogram<double>(PostingLag, "s", "Time from a journal's receipt to the ERP's acknowledgement.");
    }

    /// <summary>Counts a reconciliation run's breaks, one measurement per cause (none when the day reconciles).</summary>
    public void RecordBreaks(IEnumerable<string> causes)
    {
        foreach (var group in causes.GroupBy(c => c, StringComparer.Ordinal))
            _breaks.Add(group.Count(), new KeyValuePair<string, object?>("cause", group.Key));
    }

    public void RecordPostingLag(TimeSpan lag) => _postingLag.Record(Math.Max(0, lag.TotalSeconds));
}
