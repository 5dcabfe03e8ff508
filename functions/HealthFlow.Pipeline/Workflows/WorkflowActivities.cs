using System.Globalization;
using System.Text.Json;
using HealthFlow.Finance;
using HealthFlow.Finance.Batching;
using HealthFlow.Finance.Events;
using HealthFlow.Finance.Journals;
using HealthFlow.Finance.Mapping;
using HealthFlow.Finance.Posting;
using HealthFlow.Finance.Reconciliation;
using HealthFlow.Ledger;
using HealthFlow.Pipeline.Bus;
using HealthFlow.Pipeline.Erp;
using HealthFlow.Pipeline.Ingestion;
using HealthFlow.Pipeline.Orchestration;
using HealthFlow.Pipeline.Telemetry;
using Microsoft.Extensions.Logging;

namespace HealthFlow.Pipeline.Workflows;

// The workflows' activities: every effect (ledger, bus, ERP, master-data files) happens here, at least once, keyed on
// the source's identity so that a repeat changes nothing.

/// <summary>
/// How many charge events the encounter has so far (the quiet-period check compares two counts): every charge committed
/// before the call, however far the charges router lags.
/// </summary>
public sealed class CountChargesActivity(WorkflowReadModels readModels) : IActivity<EncounterRef, int>
{
    public async Task<int> RunAsync(ActivityContext context, EncounterRef input, CancellationToken cancellationToken)
    {
        await readModels.CatchUpSourcesAsync(cancellationToken);
        return readModels.ChargesOf(input.Facility, input.EncounterId).Count;
    }
}

/// <summary>Maps dimensions and builds the accrual (<see cref="RevenueAccrualRule"/>); a later attempt reloads master data first.</summary>
public sealed class BuildAccrualActivity(WorkflowReadModels readModels, MasterDataSource masterData, PatientTokenizer tokenizer) : IActivity<BuildAccrualInput, AccrualPlan>
{
    public async Task<AccrualPlan> RunAsync(ActivityContext context, BuildAccrualInput input, CancellationToken cancellationToken)
    {
        if (input.Attempt > 0)
            masterData.Reload();
        // The charges committed before the discharge are in the ledger; their router may not have delivered them yet.
        await readModels.CatchUpSourcesAsync(cancellationToken);
        var charges = readModels.ChargesOf(input.Discharge.Facility, input.Discharge.EncounterId);
        var master = masterData.Current;
        var result = RevenueAccrualRule.Build(master, input.Discharge, charges, input.FallbackPostingDate, protectIdentifier: tokenizer.Tokenize);
        var differences = result.Blocked ? [] : ReconciliationCheck.Differences(
            ReconciliationTotals.FromCharges(master, input.Discharge, charges, input.FallbackPostingDate), ReconciliationTotals.FromJournals(master, result.Journals));
        return new AccrualPlan(result.Journals.Count > 0 ? result.Journals[0] : null, result.Issues, charges.Count) { Differences = differences };
    }
}

/// <summary>The posted accrual of an encounter (from the accepted-journal read model), or null when none was posted.</summary>
public sealed class FindAccrualActivity(WorkflowReadModels readModels, PatientTokenizer tokenizer) : IActivity<EncounterRef, Journal?>
{
    public Task<Journal?> RunAsync(ActivityContext context, EncounterRef input, CancellationToken cancellationToken) =>
        Task.FromResult(readModels.FindJournal(JournalIds.Accrual(input.Facility, tokenizer.Tokenize(input.EncounterId.Trim()))));
}

/// <summary>
/// Reads the 835 from its ledger record, matches each CLP to its claim through the claim index (a CLP02 = 22 reversal
/// also gets the journals of the payment it reverses), builds the journals (<see cref="RemittanceRule"/>) and
/// micro-batches them per payer, legal entity and day (<see cref="JournalBatcher"/>; cash goes real time where master data says).
/// </summary>
public sealed class BuildRemittanceActivity(ILedger ledger, WorkflowReadModels readModels, MasterDataSource masterData, PatientTokenizer tokenizer, PlannedPostMembers plannedPosts)
    : IActivity<BuildRemittanceInput, RemittancePlan>
{
    public async Task<RemittancePlan> RunAsync(ActivityContext context, BuildRemittanceInput input, CancellationToken cancellationToken)
    {
        if (input.Attempt > 0)
            masterData.Reload();
        var remittance = await ReadAsync(input, cancellationToken)
            ?? throw new InvalidOperationException($"No RemittanceReceived with message id at ledger record {input.RemittanceSeq} or in the remittances topic.");
        var master = masterData.Current;
        // The 837s committed before this 835 are in the ledger; their router may not have delivered them yet.
        await readModels.CatchUpSourcesAsync(cancellationToken);
        var matches = new Dictionary<string, ClaimMatch>(StringComparer.Ordinal);
        var reversals = remittance.Claims.Where(c => c.IsReversal).DistinctBy(c => c.PatientControlNumber, StringComparer.Ordinal)
            .ToDictionary(c => c.PatientControlNumber, StringComparer.Ordinal);
        foreach (var payment in remittance.Claims)
        {
            if (matches.ContainsKey(payment.PatientControlNumber) || readModels.FindClaim(payment.PatientControlNumber) is not { } claim || ClaimMatch.FromClaim(claim, master) is not { } match)
                continue;
            // A reversal negates the payment it reverses, so that payment's cash is the reversal's CLP04 negated. Any other
            // payment under the claim number, or one whose cash journal is not recorded yet, is not mirrored: the reversal
            // is then derived from its own amounts, which tie to the 835 either way.
            if (reversals.TryGetValue(payment.PatientControlNumber, out var reversal)
                && readModels.OriginalPaymentJournals(remittance.Payer, payment.PatientControlNumber, remittance.TraceNumber, journals => Cash(journals, master) == -reversal.Paid) is { } originals)
                match = match with { OriginalJournals = originals };
            matches[payment.PatientControlNumber] = match;
        }

        var result = RemittanceRule.Build(master, remittance, matches, input.FallbackPostingDate, protectIdentifier: tokenizer.Tokenize);
        if (result.Blocked)
            return new RemittancePlan([], result.Issues);
        var byKey = result.Journals.ToDictionary(j => j.IdempotencyKey, StringComparer.Ordinal);
        var posts = await plannedPosts.WriteAsync(JournalBatcher.Batch(result.Journals, master), byKey, remittance.CorrelationId, context.InstanceId, cancellationToken);
        var differences = ReconciliationCheck.Differences(
            ReconciliationTotals.FromRemittance(master, remittance, matches, input.FallbackPostingDate), ReconciliationTotals.FromJournals(master, result.Journals));
        return new RemittancePlan(posts, result.Issues) { Differences = differences };
    }

    /// <summary>Σ debit − credit on the cash accounts of the cash and unapplied-cash journals: what a claim payment moved.</summary>
    private static decimal Cash(IReadOnlyList<Journal> journals, MasterDataSet master) =>
        journals.Where(j => j.Kind is JournalKinds.Cash or JournalKinds.UnappliedCash)
            .SelectMany(j => j.Lines).Where(l => master.IsCashAccount(l.Account)).Sum(l => l.Debit - l.Credit);

    private async Task<RemittanceReceived?> ReadAsync(BuildRemittanceInput input, CancellationToken cancellationToken)
    {
        if (readModels.TakeRoutedRemittance(input.RemittanceSeq, input.MessageId) is { } routed)
            return routed;
        if (input.RemittanceSeq >= 0 && input.RemittanceSeq < ledger.Head)
        {
            var record = await ledger.ReadAsync(input.RemittanceSeq, cancellationToken);
            if (record.Key == input.MessageId && WorkflowReadModels.TryReadEvent(record) is RemittanceReceived found)
                return found;
        }

        await foreach (var record in ledger.ReadStreamAsync(BusRecords.TopicStream("remittances"), 0, cancellationToken))
        {
            if (record.Key == input.MessageId && WorkflowReadModels.TryReadEvent(record) is RemittanceReceived found)
                return found;
        }

        return null;
    }
}

/// <summary>
/// Posts one journal (or micro-batch) through <see cref="IErpGateway"/> under its idempotency key, records the accepted
/// member journals in the ledger (stream <see cref="WorkflowReadModels.JournalStream"/>) and publishes
/// <see cref="JournalPosted"/> on the journals topic. Run again, the gateway answers from its register and nothing is sent twice.
/// The ERP's answers are outcomes, not failures: unavailable (a transient failure after the gateway's own retries) and
/// rejected are returned for the orchestrator to wait out or raise.
/// </summary>
public sealed class PostJournalsActivity(IErpGateway gateway, ILedger ledger, ITopicBus bus, WorkflowReadModels readModels, PlannedPostMembers plannedPosts,
    HealthFlowMetrics metrics, TimeProvider clock, ILogger<PostJournalsActivity> logger)
    : IActivity<PostJournalsInput, PostJournalsOutcome>
{
    public async Task<PostJournalsOutcome> RunAsync(ActivityContext context, PostJournalsInput input, CancellationToken cancellationToken)
    {
        var journal = input.Post.Journal;
        var ack = await gateway.PostAsync(new ErpPostRequest(journal.IdempotencyKey, [journal]), cancellationToken);
        switch (ack.Outcome)
        {
            case ErpOutcome.TransientFailure:
                Logs.ErpUnavailable(logger, journal.JournalId, ack.StatusCode ?? 0);
                return new PostJournalsOutcome(false, false, ack.Reason, [], Unavailable: true);
            case ErpOutcome.Rejected:
                Logs.ErpRejected(logger, journal.JournalId, ack.StatusCode ?? 0);
                return new PostJournalsOutcome(false, false, ack.Reason, []);
        }

        var members = await plannedPosts.ReadAsync(input.Post, cancellationToken);
        var fresh = readModels.NotRecorded(members);
        var documents = ack.Documents.Select(d => d.DocumentNumber).ToList();
        var posted = new JournalPosted(journal.IdempotencyKey, journal.JournalId, [.. members.Select(m => m.Journal.IdempotencyKey)], documents, ack.Gateway, ack.Replayed, input.InstanceId);
        var message = new BusMessage("posted:" + journal.IdempotencyKey, JournalPosted.MessageType,
            JsonSerializer.SerializeToUtf8Bytes(posted, EventJson.Options), "", input.CorrelationId, input.InstanceId);
        List<LedgerEntry> accepted = [.. fresh.Select(m => new LedgerEntry(WorkflowReadModels.JournalStream, WorkflowReadModels.JournalRecordType, m.Journal.IdempotencyKey, input.CorrelationId, input.InstanceId, m.Json))];
        if (bus is ILedgerTopicBus ledgerBus)
        {
            // The accepted journals and JournalPosted in one commit (the embedded runtime): one append and fsync, not two.
            await ledger.AppendBatchAsync([.. accepted, .. await ledgerBus.PrepareBatchAsync("journals", [message], cancellationToken)], cancellationToken);
        }
        else
        {
            if (accepted.Count > 0)
                await ledger.AppendBatchAsync(accepted, cancellationToken);
            await bus.PublishAsync("journals", message, cancellationToken);
        }
        foreach (var member in fresh)
            readModels.AddJournal(member.Journal);

        // The posting lag: from the receipt of the journal's source to the ERP's acknowledgement (a re-post answered from the register is not a posting).
        if (!ack.Replayed && ReceiptIds.IssuedAt(journal.Source.ReceiptId) is { } received)
            metrics.RecordPostingLag(clock.GetUtcNow() - received);
        Logs.JournalPosted(logger, journal.JournalId, members.Count, ack.Replayed);
        return new PostJournalsOutcome(true, ack.Replayed, null, documents);
    }
}

/// <summary>Publishes the claim-ready event on the journals topic (the encounter as a token).</summary>
public sealed class ClaimReadyActivity(ITopicBus bus, PatientTokenizer tokenizer) : IActivity<ClaimReadyInput, bool>
{
    public async Task<bool> RunAsync(ActivityContext context, ClaimReadyInput input, CancellationToken cancellationToken)
    {
        var token = tokenizer.Tokenize(input.EncounterId);
        var ready = new ClaimReady(input.Facility, token, input.JournalId, input.Total, input.Currency);
        await bus.PublishAsync("journals", new BusMessage($"claim-ready:{input.Facility}:{token}", ClaimReady.MessageType,
            JsonSerializer.SerializeToUtf8Bytes(ready, EventJson.Options), "", input.CorrelationId, context.InstanceId), cancellationToken);
        return true;
    }
}

/// <summary>Publishes one round of exceptions of an instance to the exceptions topic, each with the action that resumes it.</summary>
public sealed class RaiseExceptionsActivity(ExceptionBook book, TimeProvider clock, ILogger<RaiseExceptionsActivity> logger) : IActivity<RaiseExceptionsInput, IReadOnlyList<string>>
{
    public async Task<IReadOnlyList<string>> RunAsync(ActivityContext context, RaiseExceptionsInput input, CancellationToken cancellationToken)
    {
        var ids = new List<string>();
        foreach (var draft in input.Drafts)
        {
            // Non-blocking issues come back on every rebuild: round 0 keeps their id, so each is raised once.
            var id = ExceptionBook.IdFor(input.InstanceId, draft.Blocking ? input.Round : 0, draft.Reason, draft.Reference);
            ids.Add(id);
            await book.PublishAsync(new WorkflowException
            {
                Id = id,
                Reason = draft.Reason,
                Kind = draft.Kind,
                Reference = draft.Reference,
                Blocking = draft.Blocking,
                ClaimId = draft.ClaimId,
                CorrelationId = input.CorrelationId,
                InstanceId = input.InstanceId,
                ResumeEvent = draft.ResumeEvent,
                Action = ExceptionDrafts.ActionFor(draft, id, input.InstanceId),
                RaisedAt = clock.GetUtcNow(),
            }, cancellationToken);
            Logs.ExceptionRaised(logger, id, draft.Reason);
        }

        return ids;
    }
}

/// <summary>Source totals against journal totals (<see cref="ReconciliationTotals"/>), as stable text keys without patient data.</summary>
public static class ReconciliationCheck
{
    public static IReadOnlyList<string> Differences(IReadOnlyDictionary<TotalsKey, decimal> source, IReadOnlyDictionary<TotalsKey, decimal> journals) =>
    [
        .. ReconciliationTotals.Compare(source, journals).Select(d => string.Create(CultureInfo.InvariantCulture,
            $"{d.Key.PostingDate:yyyy-MM-dd}|{d.Key.LegalEntity}|{d.Key.Facility}|{d.Key.Payer}|{d.Key.Measure}:{d.SourceAmount}/{d.JournalAmount}")),
    ];

    /// <summary>One non-blocking draft per difference: the journals posted, but a posting rule and its source disagree.</summary>
    public static IReadOnlyList<ExceptionDraft> Drafts(IReadOnlyList<string> differences) =>
        [.. differences.Select(d => new ExceptionDraft("reconciliation-difference", "reconciliation", d, Blocking: false))];
}

/// <summary>Exception drafts from posting issues, and the words that tell an operator how to resume. Pure.</summary>
public static class ExceptionDrafts
{
    public const string DischargedNotFinalBilled = "discharged-not-final-billed";
    public const string ErpRejected = "erp-rejected";

    /// <summary>Event that makes a rejected post go out again (under the same key).</summary>
    public const string RetryPost = "RetryPost";

    /// <summary>One draft per issue; blocking issues resume the instance with <see cref="WorkflowEvents.MappingUpdated"/> except an unbalanced 835, which nothing resumes.</summary>
    public static IReadOnlyList<ExceptionDraft> From(IEnumerable<PostingIssue> issues) =>
    [
        .. issues.Select(issue => new ExceptionDraft(
            issue.Reason,
            issue is MissingMapping missing ? missing.Kind : issue.Reason,
            issue.Reference,
            issue.Blocking,
            issue.ClaimId ?? issue switch
            {
                UnmatchedClaim u => u.PatientControlNumber,
                DenialRoutedToWorkQueue d => d.PatientControlNumber,
                _ => null,
            },
            issue.Blocking && issue is not UnbalancedRemittance ? WorkflowEvents.MappingUpdated : null)),
    ];

    public static string ActionFor(ExceptionDraft draft, string id, string instanceId)
    {
        ArgumentNullException.ThrowIfNull(draft);
        var resolve = $"POST /api/exceptions/{id}/resolve";
        return draft.Reason switch
        {
            "missing-mapping" => $"fix mapping {draft.Reference} in master data, then {resolve} (raises MappingUpdated on {instanceId}: master data is reloaded and the journals are built again)",
            "unbalanced-remittance" => $"nothing posted: BPR02 does not equal the claim payments less PLB; ask the payer for a corrected 835 (it starts its own instance), then {resolve} to close this",
            "unmatched-claim" => $"cash went to unapplied cash; find the claim of CLP01 {draft.ClaimId} and reclass, then {resolve} to close this",
            "denial-work-queue" => $"work the denial ({draft.Reference}: appeal or rebill), then {resolve} to close this",
            DischargedNotFinalBilled => $"finish coding and final charges; the bill goes out after the quiet period, or at once with POST /api/orchestrations/{instanceId}/events/CodingComplete; {resolve} closes this",
            "reconciliation-difference" => $"the journals posted but do not tie to the source ({draft.Reference}: source/journals); check the posting rule and master data, then {resolve} to close this",
            ErpRejected => $"fix the cause the ERP gave (in the ERP or master data), then {resolve} (raises RetryPost on {instanceId}: the same journal is posted again under the same key)",
            _ => $"fix the source or master data ({draft.Reference}), then {resolve} (raises MappingUpdated on {instanceId})",
        };
    }
}
