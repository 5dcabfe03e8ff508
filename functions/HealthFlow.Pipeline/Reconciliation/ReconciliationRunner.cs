using System.Text;
using System.Text.Json;
using HealthFlow.Finance;
using HealthFlow.Finance.Events;
using HealthFlow.Finance.Journals;
using HealthFlow.Finance.Mapping;
using HealthFlow.Finance.Posting;
using HealthFlow.Finance.Reconciliation;
using HealthFlow.Ledger;
using HealthFlow.Pipeline.Bus;
using HealthFlow.Pipeline.Erp;
using HealthFlow.Pipeline.Ingestion;
using HealthFlow.Pipeline.Telemetry;
using HealthFlow.Pipeline.Workflows;

namespace HealthFlow.Pipeline.Reconciliation;

/// <summary>
/// Runs <see cref="DailyReconciliation"/> for a business day over the ledger (and the file ERP's journals.jsonl, so an
/// amount changed in the ERP's copy shows as a break) and writes the reporting tables (<see cref="ReportingTables"/>) to
/// <c>{data}/reporting/</c>. Used by <c>healthflow reconcile</c>, <c>GET /api/reconciliation</c> and the daily schedule.
/// </summary>
/// <remarks>
/// Reads the ledger in two sequential scans (<see cref="ILedger.ScanAsync"/>), not record by record: the first takes the
/// claims and the small streams, the second the 835s and charges, which need the whole claim index (the latest submission
/// of a claim wins, wherever it is) and the day's discharges, and the journals (the rules take facts in any order; here the
/// claims billed are gone before the journals' state grows). Each fact goes to the rules at once, so memory follows the
/// rules' per-item state, not the ledger's size. A scan decodes on the ledger's read-ahead threads (JSON, claim matches,
/// CLP01 tokens), and the caller applies the rules in ledger order, so the work spreads over the cores. The claim index (CLP01 → claim) is rebuilt from the <c>claims</c> topic as
/// the workflow builds it, one shared match per facility and payer.
/// With a <see cref="ReportingContainer"/> (Azure, where the data folder is an instance's passing disk) the tables live
/// in the container and the reporting folder is a working copy.
/// </remarks>
public sealed class ReconciliationRunner(ILedger ledger, string dataFolder, MasterDataSet masterData, PatientTokenizer tokenizer, ReconciliationOptions options, TimeProvider clock,
    ReportingContainer? container = null, HealthFlowMetrics? metrics = null)
{
    /// <summary>The folder the reporting tables are written to (with a container, its working copy).</summary>
    public string ReportingFolder { get; } = Path.Combine(dataFolder, ReportingTables.Folder);

    /// <summary>
    /// Reconciles <paramref name="day"/> over the ledger as every instance wrote it, and writes the reporting tables
    /// (through the container, when there is one).
    /// </summary>
    public async Task<ReconciliationReport> RunAsync(DateOnly day, CancellationToken cancellationToken = default) => (await RunAsync([day], cancellationToken))[0];

    /// <summary>Reconciles each of <paramref name="days"/> in one pass over the ledger and writes the reporting tables.</summary>
    public async Task<IReadOnlyList<ReconciliationReport>> RunAsync(IReadOnlyList<DateOnly> days, CancellationToken cancellationToken = default)
    {
        await ledger.RefreshAsync(cancellationToken);
        var reports = await ReconcileAsync(days, cancellationToken);
        void Write()
        {
            foreach (var report in reports)
                ReportingTables.Write(ReportingFolder, report, masterData);
        }
        if (container is null)
            Write();
        else
            await container.WriteAsync(ReportingFolder, Write, cancellationToken);
        metrics?.RecordBreaks(reports.SelectMany(r => r.Breaks).Select(b => b.Cause)); // the reconciliation-breaks alert
        return reports;
    }

    /// <summary>Reconciles <paramref name="day"/> without writing anything.</summary>
    public async Task<ReconciliationReport> ReconcileAsync(DateOnly day, CancellationToken cancellationToken = default) => (await ReconcileAsync([day], cancellationToken))[0];

    /// <summary>
    /// Reconciles each of <paramref name="days"/> without writing anything, in the same two scans whatever the number of
    /// days: every fact goes to the rules of each day it can concern, which keep only their day's.
    /// </summary>
    public async Task<IReadOnlyList<ReconciliationReport>> ReconcileAsync(IReadOnlyList<DateOnly> days, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(days);
        var byDay = days.Distinct().ToDictionary(d => d, d => new DailyReconciliation(masterData, d, tokenizer.Tokenize, options.Settings));
        var all = byDay.Values.ToList();
        DailyReconciliation? OnDay(DateTimeOffset recorded) => byDay.GetValueOrDefault(DateOnly.FromDateTime(recorded.UtcDateTime));

        // Exceptions: resolutions may come after the exception, so both are gathered first.
        var resolved = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        var exceptions = new Dictionary<string, WorkflowException>(StringComparer.Ordinal);
        // Claims billed, and the claim index the workflow matches CLP01 with (latest submission wins).
        var claims = new Dictionary<string, ClaimMatch>(StringComparer.Ordinal);
        var sharedMatches = new Dictionary<ClaimMatch, ClaimMatch>();
        var billed = new HashSet<string>(StringComparer.Ordinal);
        // The days' discharges; their charges come in the second scan.
        var discharges = new Dictionary<(string, string), (EncounterDischarged Discharge, DateTimeOffset At, DailyReconciliation Reconciliation)>();
        var cancelled = new HashSet<(string, string)>();
        // Receipts received, parsed and rejected, and dead letters, on the day the ledger recorded them.
        var formats = new Dictionary<string, string>(StringComparer.Ordinal);
        var parsed = new HashSet<string>(StringComparer.Ordinal);

        var independent = new Dictionary<string, RecordHandler>(StringComparer.Ordinal)
        {
            [ExceptionBook.ResolutionStream] = (record, strings) =>
            {
                if (record.Type != ExceptionBook.ResolvedType)
                    return null;
                var (id, at) = (record.Key, record.Time);
                return () => { resolved.TryAdd(id, at); };
            },
            [BusRecords.TopicStream(ExceptionBook.Topic)] = (record, strings) =>
            {
                if (record.Type != WorkflowException.MessageType)
                    return null;
                var exception = JsonSerializer.Deserialize<WorkflowException>(BusEnvelope.Body(record), EventJson.Options)!;
                return () => exceptions.TryAdd(exception.Id, exception);
            },
            [BusRecords.TopicStream("claims")] = (record, strings) =>
            {
                if (record.Type != nameof(ClaimSubmitted) || WorkflowReadModels.TryReadEvent(record, strings) is not ClaimSubmitted claim)
                    return null;
                var match = ClaimMatch.FromClaim(claim, masterData);
                var at = record.Time;
                return () =>
                {
                    if (billed.Add(claim.IdempotencyKey))
                        all.ForEach(r => r.AddClaimBilled(claim, at));
                    if (match is not null)
                        claims[claim.ClaimId.Trim()] = sharedMatches.TryGetValue(match, out var shared) ? shared : sharedMatches[match] = match;
                };
            },
            [BusRecords.TopicStream("encounters")] = (record, strings) =>
            {
                var recorded = record.Time;
                return WorkflowReadModels.TryReadEvent(record, strings) switch
                {
                    EncounterDischarged discharge when byDay.TryGetValue(discharge.DischargedAt is { } at ? DateOnly.FromDateTime(at.DateTime) : DateOnly.FromDateTime(recorded.UtcDateTime), out var reconciliation) =>
                        () => { discharges.TryAdd((discharge.Facility.Trim(), discharge.EncounterId.Trim()), (discharge, recorded, reconciliation)); },
                    DischargeCancelled cancel => () => { cancelled.Add((cancel.Facility.Trim(), cancel.EncounterId.Trim())); },
                    _ => null,
                };
            },
            [ErpPostedRegister.Stream] = (record, strings) =>
            {
                if (record.Type is not (ErpPostedRegister.AcceptedType or ErpPostedRegister.RejectedType))
                    return null;
                var acknowledgement = JsonSerializer.Deserialize<ErpAcknowledgement>(record.Payload, ErpPostedRegister.Json)!;
                var post = new ErpPostFact(record.Key, record.CorrelationId, record.Type == ErpPostedRegister.AcceptedType, record.Time, acknowledgement.Reason);
                return () => all.ForEach(r => r.AddErpPost(post));
            },
            [ReceiptRecords.ReceiptStream] = (record, strings) =>
            {
                var (receipt, recorded) = (record.Key, record.Time);
                switch (record.Type)
                {
                    case ReceiptRecords.ReceiptIssued:
                        var format = JsonSerializer.Deserialize<IssuedFacts>(record.Payload, ReceiptRecords.Json)!.Format.ToString().ToLowerInvariant();
                        return () =>
                        {
                            formats[receipt] = format;
                            OnDay(recorded)?.Count(CountStages.Received, format);
                        };
                    case ReceiptRecords.ReceiptParsed or ReceiptRecords.ReceiptPublished when OnDay(recorded) is { } onDay:
                        return () =>
                        {
                            if (parsed.Add(receipt))
                                onDay.Count(CountStages.Parsed, formats.GetValueOrDefault(receipt, "unknown"));
                        };
                    case ReceiptRecords.ReceiptRejected:
                        return () => OnDay(recorded)?.Count(CountStages.Rejected, formats.GetValueOrDefault(receipt, "unknown"));
                    default:
                        return null;
                }
            },
        };
        foreach (var topic in BusTopology.LoadEmbedded().Topics)
        {
            foreach (var subscription in topic.Subscriptions)
            {
                var source = $"{topic.Name}/{subscription.Name}";
                independent[BusRecords.DeadLetterStream(topic.Name, subscription.Name)] = (record, strings) =>
                {
                    var recorded = record.Time;
                    return record.Type == BusRecords.MessageDeadLettered ? () => OnDay(recorded)?.Count(CountStages.InDeadLetter, source) : null;
                };
            }
        }

        await ScanAsync(independent, cancellationToken);
        billed.Clear();
        foreach (var exception in exceptions.Values)
        {
            var fact = new ExceptionFact(exception.Id, exception.Reason, exception.Reference, exception.InstanceId, exception.Blocking,
                exception.RaisedAt, resolved.TryGetValue(exception.Id, out var at) ? at : null);
            all.ForEach(r => r.AddException(fact));
        }

        // The claim index and the charges' encounters are complete and only read from here on: the reading side may use them.
        var charges = discharges.Keys.ToDictionary(k => k, _ => new Dictionary<string, ChargeEvent>(StringComparer.Ordinal));
        var dependent = new Dictionary<string, RecordHandler>(StringComparer.Ordinal)
        {
            [WorkflowReadModels.JournalStream] = (record, strings) =>
            {
                var recorded = record.Time;
                // Every day's reconciliation has the same master data, so any of them prepares a journal for the one of its posting date.
                return record.Type == WorkflowReadModels.JournalRecordType && all.FirstOrDefault()?.Prepare(record.Payload, strings) is { } posted
                    && byDay.TryGetValue(posted.PostingDate, out var reconciliation)
                    ? () => reconciliation.AddPostedJournal(posted, recorded)
                    : null;
            },
            [BusRecords.TopicStream("remittances")] = (record, strings) =>
            {
                if (record.Type != nameof(RemittanceReceived) || WorkflowReadModels.TryReadEvent(record, strings) is not RemittanceReceived remittance)
                    return null;
                var matches = new Dictionary<string, ClaimMatch>(StringComparer.Ordinal);
                foreach (var payment in remittance.Claims)
                {
                    if (claims.TryGetValue(payment.PatientControlNumber.Trim(), out var match))
                        matches.TryAdd(payment.PatientControlNumber, match);
                }

                // The claim payments' references (one HMAC each) are made here, on the reading task, for an 835 of a day asked for.
                var references = byDay.ContainsKey(remittance.PaymentDate ?? DateOnly.FromDateTime(record.Time.UtcDateTime))
                    ? remittance.Claims.Select(c => tokenizer.Tokenize(c.PatientControlNumber.Trim())).ToArray()
                    : null;
                var instanceId = WorkflowInstanceIds.Remittance(remittance.Payer, remittance.TraceNumber);
                var recorded = record.Time;
                return () => all.ForEach(r => r.AddRemittance(remittance, matches, instanceId, recorded, references));
            },
        };
        if (charges.Count > 0)
        {
            dependent[BusRecords.TopicStream("charges")] = (record, strings) =>
                WorkflowReadModels.TryReadEvent(record, strings) is ChargeEvent charge && charges.TryGetValue((charge.Facility.Trim(), charge.EncounterId.Trim()), out var ofEncounter)
                    ? () => { ofEncounter.TryAdd(charge.IdempotencyKey, charge); }
                    : null;
        }

        await ScanAsync(dependent, cancellationToken);
        claims.Clear();
        foreach (var (key, (discharge, at, reconciliation)) in discharges)
            reconciliation.AddDischarge(discharge, charges[key].Values, WorkflowInstanceIds.Discharge(discharge.Facility, discharge.EncounterId), at, cancelled.Contains(key));

        await AddErpCopyAsync(all, cancellationToken);
        var asOf = clock.GetUtcNow();
        return [.. days.Select(d => byDay[d].Finish(asOf))];
    }

    /// <summary>The business days the ledger has amounts for: 835 payment dates, discharge dates and posted journals' posting dates.</summary>
    public async Task<IReadOnlyList<DateOnly>> BusinessDaysAsync(CancellationToken cancellationToken = default)
    {
        var days = new SortedSet<DateOnly>();
        Action? AddEvent(LedgerRecordView record, Utf8StringPool strings)
        {
            var recorded = DateOnly.FromDateTime(record.Time.UtcDateTime);
            DateOnly? day = WorkflowReadModels.TryReadEvent(record, strings) switch
            {
                RemittanceReceived remittance => remittance.PaymentDate ?? recorded,
                EncounterDischarged discharge => discharge.DischargedAt is { } at ? DateOnly.FromDateTime(at.DateTime) : recorded,
                _ => null,
            };
            return day is { } found ? () => { days.Add(found); } : null;
        }

        await ScanAsync(new Dictionary<string, RecordHandler>(StringComparer.Ordinal)
        {
            [BusRecords.TopicStream("remittances")] = AddEvent,
            [BusRecords.TopicStream("encounters")] = AddEvent,
            [WorkflowReadModels.JournalStream] = (record, strings) =>
            {
                if (record.Type != WorkflowReadModels.JournalRecordType)
                    return null;
                var day = JournalJson.Deserialize(record.Payload, strings)!.PostingDate;
                return () => days.Add(day);
            },
        }, cancellationToken);
        return [.. days];
    }

    /// <summary>Reads one record on a decoding thread (what no applied step changes) and returns the step to apply, if any.</summary>
    /// <param name="record">A record of the handler's stream.</param>
    /// <param name="strings">The decoding thread's own pool for the records' low-cardinality strings.</param>
    private delegate Action? RecordHandler(LedgerRecordView record, Utf8StringPool strings);

    // Each decoding thread's pool: ILedger.ScanAsync<T> decodes on several threads at once.
    [ThreadStatic]
    private static Utf8StringPool? t_strings;

    /// <summary>
    /// One pass over the ledger: the ledger's read-ahead decodes the records of the handlers' streams on several threads
    /// (decoding JSON is most of the work), and the steps they return are applied here in ledger order, so the rules'
    /// state has one writer while every core decodes.
    /// </summary>
    private async Task ScanAsync(Dictionary<string, RecordHandler> handlers, CancellationToken cancellationToken)
    {
        var steps = ledger.ScanAsync(0, new LedgerScanFilter(handlers.Keys), record => handlers[record.Stream](record, t_strings ??= new Utf8StringPool()), cancellationToken);
        await foreach (var step in steps)
            step?.Invoke();
    }

    /// <summary>The file ERP's own copy of what it was sent, so an amount changed there shows as a break (after the posts: a duplicate's age is its post's).</summary>
    private async Task AddErpCopyAsync(List<DailyReconciliation> reconciliations, CancellationToken cancellationToken)
    {
        if (!options.Settings.ErpKeepsCopy)
            return;
        var copy = Path.Combine(options.ErpFolder ?? Path.Combine(dataFolder, "erp"), FileErpConnector.JsonLinesFile);
        if (!File.Exists(copy))
            return;
        using var reader = new StreamReader(new FileStream(copy, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16));
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length > 0 && JournalJson.Deserialize(Encoding.UTF8.GetBytes(line)) is { } journal)
                reconciliations.ForEach(r => r.AddErpCopy(journal));
        }
    }
}
