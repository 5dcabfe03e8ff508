using HealthFlow.Finance.Journals;
using HealthFlow.Finance.Posting;
using HealthFlow.Pipeline.Orchestration;

namespace HealthFlow.Pipeline.Workflows;

/// <summary>
/// Discharge to bill, one instance per encounter (<c>discharge:{facility}:{encounter}</c>): wait for final charges →
/// map dimensions (unmapped → exception, wait for <see cref="WorkflowEvents.MappingUpdated"/>, rebuild) → claim-ready
/// event → accrual journal through the ERP gateway → <see cref="JournalPosted"/>.
/// </summary>
/// <remarks>
/// <para>Final charges: a <see cref="WorkflowEvents.CodingComplete"/> event, or a quiet period (a durable timer) after
/// which the encounter's charge count has not changed; each new charge restarts the period. An SLA timer raises one
/// <c>discharged-not-final-billed</c> exception when billing takes too long; the instance keeps waiting.</para>
/// <para>A <see cref="WorkflowEvents.DischargeCancelled"/> before posting ends the instance with nothing posted; one
/// that arrives while posting is seen afterwards and the accrual is reversed (<see cref="JournalReversal.Reverse"/>).
/// After the instance completed, the router starts <see cref="DischargeReversalOrchestrator"/> instead. Either reversal
/// is dated on the accrual's own posting date: an A13 says the discharge did not happen, so its day must net to nothing,
/// as it does when the cancel wins the race to the post (which of the two wins is timing, and reconciliation's
/// "a cancelled discharge expects nothing" holds for both). Dated on the day the cancel was handled, the accrual and its
/// reversal fell on two days, each one an amount-mismatch break. An ERP that has closed that period rejects the post:
/// an <c>erp-rejected</c> exception for an operator, not a silent back-dating.</para>
/// <para>Deterministic: time from the context, effects in activities, waits ordered by the history.</para>
/// </remarks>
public sealed class DischargeToBillOrchestrator : IOrchestrator<DischargeToBillInput, DischargeToBillResult>
{
    public async Task<DischargeToBillResult> RunAsync(OrchestrationContext context, DischargeToBillInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        var discharge = input.Discharge;
        var correlation = discharge.CorrelationId;
        var encounter = new EncounterRef(discharge.Facility, discharge.EncounterId);
        using var cancelWait = new CancellationTokenSource();
        using var codingWait = new CancellationTokenSource();
        using var slaWait = new CancellationTokenSource();
        var cancelled = context.WaitForExternalEvent<object?>(WorkflowEvents.DischargeCancelled, cancelWait.Token);
        var coding = context.WaitForExternalEvent<object?>(WorkflowEvents.CodingComplete, codingWait.Token);
        var sla = context.CreateTimer(context.CurrentUtcDateTime.Add(input.SlaPeriod), slaWait.Token);
        var slaRaised = false;

        context.SetCustomStatus("waiting for final charges");
        var seen = await context.CallActivityAsync<int>(nameof(CountChargesActivity), encounter);
        var final = false;
        while (!final)
        {
            using var quietWait = new CancellationTokenSource();
            var quiet = context.CreateTimer(input.QuietPeriod, quietWait.Token);
            while (true)
            {
                var winner = slaRaised ? await Task.WhenAny(quiet, coding, cancelled) : await Task.WhenAny(quiet, coding, cancelled, sla);
                if (winner == cancelled)
                {
                    OrchestratorSteps.Cancel(quietWait, codingWait, slaWait);
                    return new DischargeToBillResult(DischargeToBillResult.Cancelled);
                }

                if (winner == sla)
                {
                    slaRaised = true;
                    await OrchestratorSteps.RaiseAsync(context, correlation, 0,
                        [new ExceptionDraft(ExceptionDrafts.DischargedNotFinalBilled, "sla", $"sla:{input.SlaPeriod.TotalHours:0.##}h", Blocking: false)]);
                    continue;
                }

                if (winner == coding)
                {
                    OrchestratorSteps.Cancel(quietWait);
                    final = true;
                    break;
                }

                var count = await context.CallActivityAsync<int>(nameof(CountChargesActivity), encounter);
                final = count == seen;
                seen = count;
                break;
            }
        }

        OrchestratorSteps.Cancel(codingWait, slaWait);
        AccrualPlan plan;
        for (var attempt = 0; ; attempt++)
        {
            context.SetCustomStatus(attempt == 0 ? "mapping" : "mapping again after a fix");
            plan = await context.CallActivityAsync<AccrualPlan>(nameof(BuildAccrualActivity),
                new BuildAccrualInput(discharge, attempt, DateOnly.FromDateTime(context.CurrentUtcDateTime)));
            if (plan.Issues.Count > 0)
                await OrchestratorSteps.RaiseAsync(context, correlation, attempt, ExceptionDrafts.From(plan.Issues));
            if (!plan.Blocked)
                break;
            context.SetCustomStatus("waiting for a mapping fix");
            using var mappingWait = new CancellationTokenSource();
            var mapping = context.WaitForExternalEvent<object?>(WorkflowEvents.MappingUpdated, mappingWait.Token);
            if (await Task.WhenAny(mapping, cancelled) == cancelled)
            {
                OrchestratorSteps.Cancel(mappingWait);
                return new DischargeToBillResult(DischargeToBillResult.Cancelled);
            }
        }

        if (plan.Journal is not { } journal)
        {
            OrchestratorSteps.Cancel(cancelWait);
            return new DischargeToBillResult(DischargeToBillResult.NothingToBill);
        }

        await OrchestratorSteps.RaiseAsync(context, correlation, 0, ReconciliationCheck.Drafts(plan.Differences));
        await context.CallActivityAsync<bool>(nameof(ClaimReadyActivity),
            new ClaimReadyInput(discharge.Facility, discharge.EncounterId, journal.JournalId, journal.TotalDebit, journal.Currency, correlation));
        context.SetCustomStatus("posting");
        await OrchestratorSteps.PostAsync(context, PlannedPost.Of(journal), correlation);
        if (!cancelled.IsCompleted)
        {
            OrchestratorSteps.Cancel(cancelWait);
            return new DischargeToBillResult(DischargeToBillResult.Posted, journal.JournalId);
        }

        var reversal = JournalReversal.Reverse(journal, journal.PostingDate, journal.Source);
        await OrchestratorSteps.PostAsync(context, PlannedPost.Of(reversal), correlation);
        return new DischargeToBillResult(DischargeToBillResult.PostedThenReversed, journal.JournalId, reversal.JournalId);
    }
}

/// <summary>
/// Reverses the posted accrual of an encounter whose discharge was cancelled after its discharge-to-bill instance
/// completed (instance <c>discharge-reversal:{facility}:{encounter}</c>): the exact mirror, key <c>{accrual key}:reversal</c>,
/// on the accrual's posting date (why: <see cref="DischargeToBillOrchestrator"/>).
/// </summary>
public sealed class DischargeReversalOrchestrator : IOrchestrator<DischargeReversalInput, DischargeToBillResult>
{
    public async Task<DischargeToBillResult> RunAsync(OrchestrationContext context, DischargeReversalInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        var original = await context.CallActivityAsync<Journal?>(nameof(FindAccrualActivity), new EncounterRef(input.Facility, input.EncounterId));
        if (original is null)
            return new DischargeToBillResult(DischargeToBillResult.NothingToBill);
        var reversal = JournalReversal.Reverse(original, original.PostingDate, new JournalSource(input.CorrelationId, input.CorrelationId));
        await OrchestratorSteps.PostAsync(context, PlannedPost.Of(reversal), input.CorrelationId);
        return new DischargeToBillResult(DischargeToBillResult.PostedThenReversed, original.JournalId, reversal.JournalId);
    }
}
