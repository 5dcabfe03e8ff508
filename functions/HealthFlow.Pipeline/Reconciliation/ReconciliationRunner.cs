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
using HealthFlow.Pipeline.Workflows;

namespace HealthFlow.Pipeline.Reconciliation;

/// <summary>
/// Runs <see cref="DailyReconciliation"/> for a business day over the ledger (and the file ERP's journals.jsonl, so an
/// amount changed in the ERP's copy shows as a break) and writes the reporting tables (<see cref="ReportingTables"/>) to
/// <c>{data}/reporting/</c>. Used by <c>healthflow reconcile</c>, <c>GET /api/reconciliation</c> and the daily schedule.
/// </summary>
/// <remarks>
/// Reads stream by stream and hands each fact to the rules at once, so memory follows the rules' per-item state, not the
/// ledger's size. The claim index (CLP01 → claim) is rebuilt from the <c>claims</c> topic as the workflow builds it.
/// </remarks>
public sealed class ReconciliationRunner(ILedger ledger, string dataFolder, MasterDataSet masterData, PatientTokenizer tokenizer, ReconciliationOptions options, TimeProvider clock)
{
    /// <summary>The folder the reporting tables are written to.</summary>
    public string ReportingFolder { get; } = Path.Combine(dataFolder, ReportingTables.Folder);

    /// <summary>Reconciles <paramref name="day"/> and writes the reporting tables.</summary>
    public async Task<ReconciliationReport> RunAsync(DateOnly day, CancellationToken cancellationToken = default) => (await RunAsync([day], cancellationToken))[0];

    /// <summary>Reconciles each of <paramref name="days"/> in one pass over the ledger and writes the reporting tables.</summary>
    public async Task<IReadOnlyList<ReconciliationReport>> RunAsync(IReadOnlyList<DateOnly> days, CancellationToken cancellationToken = default)
    {
        var reports = await ReconcileAsync(days, cancellationToken);
        foreach (var report in reports)
            ReportingTables.Write(ReportingFolder, report, masterData);
        return reports;
    }

    /// <summary>Reconciles <paramref name="day"/> without writing anything.</summary>
    public async Task<ReconciliationReport> ReconcileAsync(DateOnly day, CancellationToken cancellationToken = default) => (await ReconcileAsync([day], cancellationToken))[0];

    /// <summary>
    /// Reconciles each of <paramref name="days"/> without writing anything, reading the ledger once: every fact goes to
    /// each day's rules, which keep only their day's.
    /// </summary>
    public async Task<IReadOnlyList<ReconciliationReport>> ReconcileAsync(IReadOnlyList<DateOnly> days, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(days);
        var byDay = days.Distinct().ToDictionary(d => d, d => new DailyReconciliation(masterData, d, tokenizer.Tokenize, options.Settings));
        var all = byDay.Values.ToList();
        await AddExceptionsAsync(all, cancellationToken);
        var claims = await AddClaimsAsync(all, cancellationToken);
        await AddRemittancesAsync(all, claims, cancellationToken);
        claims.Clear();
        await AddDischargesAsync(byDay, cancellationToken);
        await foreach (var record in ledger.ReadStreamAsync(WorkflowReadModels.JournalStream, 0, cancellationToken))
        {
            if (record.Type != WorkflowReadModels.JournalRecordType)
                continue;
            var journal = JsonSerializer.Deserialize<Journal>(record.Payload.Span, EventJson.Options)!;
            if (byDay.TryGetValue(journal.PostingDate, out var reconciliation))
                reconciliation.AddPostedJournal(journal, record.Time);
        }

        await AddErpAsync(all, cancellationToken);
        await AddCountsAsync(byDay, cancellationToken);
        var asOf = clock.GetUtcNow();
        return [.. days.Select(d => byDay[d].Finish(asOf))];
    }

    /// <summary>The business days the ledger has amounts for: 835 payment dates, discharge dates and posted journals' posting dates.</summary>
    public async Task<IReadOnlyList<DateOnly>> BusinessDaysAsync(CancellationToken cancellationToken = default)
    {
        var days = new SortedSet<DateOnly>();
        foreach (var topic in new[] { "remittances", "encounters" })
        {
            await foreach (var record in ledger.ReadStreamAsync(BusRecords.TopicStream(topic), 0, cancellationToken))
            {
                var recorded = DateOnly.FromDateTime(record.Time.UtcDateTime);
                switch (WorkflowReadModels.TryReadEvent(record))
                {
                    case RemittanceReceived remittance:
                        days.Add(remittance.PaymentDate ?? recorded);
                        break;
                    case EncounterDischarged discharge:
                        days.Add(discharge.DischargedAt is { } at ? DateOnly.FromDateTime(at.DateTime) : recorded);
                        break;
                }
            }
        }

        await foreach (var record in ledger.ReadStreamAsync(WorkflowReadModels.JournalStream, 0, cancellationToken))
        {
            if (record.Type == WorkflowReadModels.JournalRecordType)
                days.Add(JsonSerializer.Deserialize<Journal>(record.Payload.Span, EventJson.Options)!.PostingDate);
        }

        return [.. days];
    }

    private async Task AddExceptionsAsync(List<DailyReconciliation> reconciliations, CancellationToken cancellationToken)
    {
        var resolved = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        await foreach (var record in ledger.ReadStreamAsync(ExceptionBook.ResolutionStream, 0, cancellationToken))
        {
            if (record.Type == ExceptionBook.ResolvedType)
                resolved.TryAdd(record.Key, record.Time);
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var record in ledger.ReadStreamAsync(BusRecords.TopicStream(ExceptionBook.Topic), 0, cancellationToken))
        {
            if (record.Type != WorkflowException.MessageType)
                continue;
            var exception = JsonSerializer.Deserialize<WorkflowException>(BusEnvelope.Body(record).Span, EventJson.Options)!;
            if (!seen.Add(exception.Id))
                continue;
            var fact = new ExceptionFact(exception.Id, exception.Reason, exception.Reference, exception.InstanceId, exception.Blocking,
                exception.RaisedAt, resolved.TryGetValue(exception.Id, out var at) ? at : null);
            foreach (var reconciliation in reconciliations)
                reconciliation.AddException(fact);
        }
    }

    /// <summary>Adds the day's claims billed and returns the claim index the workflow matches CLP01 with (latest submission wins).</summary>
    private async Task<Dictionary<string, ClaimMatch>> AddClaimsAsync(List<DailyReconciliation> reconciliations, CancellationToken cancellationToken)
    {
        var index = new Dictionary<string, ClaimMatch>(StringComparer.Ordinal);
        var billed = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var record in ledger.ReadStreamAsync(BusRecords.TopicStream("claims"), 0, cancellationToken))
        {
            if (record.Type != nameof(ClaimSubmitted) || WorkflowReadModels.TryReadEvent(record) is not ClaimSubmitted claim)
                continue;
            if (billed.Add(claim.IdempotencyKey))
                reconciliations.ForEach(r => r.AddClaimBilled(claim, record.Time));
            if (ClaimMatch.FromClaim(claim, masterData) is { } match)
                index[claim.ClaimId.Trim()] = match;
        }

        return index;
    }

    private async Task AddRemittancesAsync(List<DailyReconciliation> reconciliations, Dictionary<string, ClaimMatch> claims, CancellationToken cancellationToken)
    {
        await foreach (var record in ledger.ReadStreamAsync(BusRecords.TopicStream("remittances"), 0, cancellationToken))
        {
            if (record.Type != nameof(RemittanceReceived) || WorkflowReadModels.TryReadEvent(record) is not RemittanceReceived remittance)
                continue;
            var matches = new Dictionary<string, ClaimMatch>(StringComparer.Ordinal);
            foreach (var payment in remittance.Claims)
            {
                if (claims.TryGetValue(payment.PatientControlNumber.Trim(), out var match))
                    matches.TryAdd(payment.PatientControlNumber, match);
            }

            var instanceId = WorkflowInstanceIds.Remittance(remittance.Payer, remittance.TraceNumber);
            reconciliations.ForEach(r => r.AddRemittance(remittance, matches, instanceId, record.Time));
        }
    }

    private async Task AddDischargesAsync(Dictionary<DateOnly, DailyReconciliation> byDay, CancellationToken cancellationToken)
    {
        var discharges = new Dictionary<(string, string), (EncounterDischarged Discharge, DateTimeOffset At, DailyReconciliation Reconciliation)>();
        var cancelled = new HashSet<(string, string)>();
        await foreach (var record in ledger.ReadStreamAsync(BusRecords.TopicStream("encounters"), 0, cancellationToken))
        {
            switch (WorkflowReadModels.TryReadEvent(record))
            {
                case EncounterDischarged discharge when byDay.TryGetValue(discharge.DischargedAt is { } at ? DateOnly.FromDateTime(at.DateTime) : DateOnly.FromDateTime(record.Time.UtcDateTime), out var reconciliation):
                    discharges.TryAdd((discharge.Facility.Trim(), discharge.EncounterId.Trim()), (discharge, record.Time, reconciliation));
                    break;
                case DischargeCancelled cancel:
                    cancelled.Add((cancel.Facility.Trim(), cancel.EncounterId.Trim()));
                    break;
            }
        }

        if (discharges.Count == 0)
            return;
        var charges = discharges.Keys.ToDictionary(k => k, _ => new Dictionary<string, ChargeEvent>(StringComparer.Ordinal));
        await foreach (var record in ledger.ReadStreamAsync(BusRecords.TopicStream("charges"), 0, cancellationToken))
        {
            if (WorkflowReadModels.TryReadEvent(record) is ChargeEvent charge && charges.TryGetValue((charge.Facility.Trim(), charge.EncounterId.Trim()), out var ofEncounter))
                ofEncounter.TryAdd(charge.IdempotencyKey, charge);
        }

        foreach (var (key, (discharge, at, reconciliation)) in discharges)
            reconciliation.AddDischarge(discharge, charges[key].Values, WorkflowInstanceIds.Discharge(discharge.Facility, discharge.EncounterId), at, cancelled.Contains(key));
    }

    private async Task AddErpAsync(List<DailyReconciliation> reconciliations, CancellationToken cancellationToken)
    {
        await foreach (var record in ledger.ReadStreamAsync(ErpPostedRegister.Stream, 0, cancellationToken))
        {
            if (record.Type is not (ErpPostedRegister.AcceptedType or ErpPostedRegister.RejectedType))
                continue;
            var acknowledgement = JsonSerializer.Deserialize<ErpAcknowledgement>(record.Payload.Span, ErpPostedRegister.Json)!;
            var post = new ErpPostFact(record.Key, record.CorrelationId, record.Type == ErpPostedRegister.AcceptedType, record.Time, acknowledgement.Reason);
            reconciliations.ForEach(r => r.AddErpPost(post));
        }

        if (!options.Settings.ErpKeepsCopy)
            return;
        var copy = Path.Combine(options.ErpFolder ?? Path.Combine(dataFolder, "erp"), FileErpConnector.JsonLinesFile);
        if (!File.Exists(copy))
            return;
        using var reader = new StreamReader(new FileStream(copy, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16));
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
                continue;
            var journal = JsonSerializer.Deserialize<Journal>(line, EventJson.Options)!;
            reconciliations.ForEach(r => r.AddErpCopy(journal));
        }
    }

    /// <summary>Receipts received, parsed and rejected, and dead letters, on the day the ledger recorded them.</summary>
    private async Task AddCountsAsync(Dictionary<DateOnly, DailyReconciliation> byDay, CancellationToken cancellationToken)
    {
        DailyReconciliation? OnDay(LedgerRecord record) => byDay.GetValueOrDefault(DateOnly.FromDateTime(record.Time.UtcDateTime));
        var formats = new Dictionary<string, string>(StringComparer.Ordinal);
        var parsed = new HashSet<(DateOnly, string)>();
        await foreach (var record in ledger.ReadStreamAsync(ReceiptRecords.ReceiptStream, 0, cancellationToken))
        {
            switch (record.Type)
            {
                case ReceiptRecords.ReceiptIssued:
                    var format = JsonSerializer.Deserialize<IssuedFacts>(record.Payload.Span, ReceiptRecords.Json)!.Format.ToString().ToLowerInvariant();
                    formats[record.Key] = format;
                    OnDay(record)?.Count(CountStages.Received, format);
                    break;
                case ReceiptRecords.ReceiptParsed or ReceiptRecords.ReceiptPublished when OnDay(record) is { } day && parsed.Add((day.Day, record.Key)):
                    day.Count(CountStages.Parsed, formats.GetValueOrDefault(record.Key, "unknown"));
                    break;
                case ReceiptRecords.ReceiptRejected:
                    OnDay(record)?.Count(CountStages.Rejected, formats.GetValueOrDefault(record.Key, "unknown"));
                    break;
            }
        }

        foreach (var topic in BusTopology.LoadEmbedded().Topics)
        {
            foreach (var subscription in topic.Subscriptions)
            {
                var counts = new Dictionary<DailyReconciliation, int>();
                await foreach (var record in ledger.ReadStreamAsync(BusRecords.DeadLetterStream(topic.Name, subscription.Name), 0, cancellationToken))
                {
                    if (record.Type == BusRecords.MessageDeadLettered && OnDay(record) is { } day)
                        counts[day] = counts.GetValueOrDefault(day) + 1;
                }

                foreach (var (day, count) in counts)
                    day.Count(CountStages.InDeadLetter, $"{topic.Name}/{subscription.Name}", count);
            }
        }
    }
}
