using HealthFlow.Pipeline.Orchestration;

namespace HealthFlow.Pipeline.Workflows;

/// <summary>
/// Remittance to GL, one instance per 835 (<c>remit:{payer}:{trn02}</c>): balance check → match each CLP to its claim →
/// journals (<see cref="HealthFlow.Finance.Posting.RemittanceRule"/>) → micro-batches → ERP gateway → <see cref="JournalPosted"/>.
/// </summary>
/// <remarks>
/// An unbalanced 835 raises an exception and posts nothing (invariant 4). A blocking issue (unmapped payer, CARC…) raises
/// exceptions and waits for <see cref="WorkflowEvents.MappingUpdated"/>, then builds again with reloaded master data:
/// journal keys come from the source, so the rebuild yields the same keys. Non-blocking issues (unmatched claim, denial
/// to a work queue) are raised once and the rest posts. The 835 itself stays in the ledger; the input is its position.
/// </remarks>
public sealed class RemittanceToGlOrchestrator : IOrchestrator<RemittanceToGlInput, RemittanceToGlResult>
{
    public async Task<RemittanceToGlResult> RunAsync(OrchestrationContext context, RemittanceToGlInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        var exceptions = 0;
        RemittancePlan plan;
        for (var attempt = 0; ; attempt++)
        {
            context.SetCustomStatus(attempt == 0 ? "building" : "building again after a fix");
            plan = await context.CallActivityAsync<RemittancePlan>(nameof(BuildRemittanceActivity),
                new BuildRemittanceInput(input.RemittanceSeq, input.MessageId, attempt, DateOnly.FromDateTime(context.CurrentUtcDateTime)));
            if (plan.Issues.Count > 0)
                exceptions += await OrchestratorSteps.RaiseAsync(context, input.CorrelationId, attempt, ExceptionDrafts.From(plan.Issues));
            if (plan.Unbalanced)
                return new RemittanceToGlResult(RemittanceToGlResult.Unbalanced, 0, 0, exceptions);
            if (!plan.Blocked)
                break;
            context.SetCustomStatus("waiting for a mapping fix");
            await context.WaitForExternalEvent<object?>(WorkflowEvents.MappingUpdated);
        }

        exceptions += await OrchestratorSteps.RaiseAsync(context, input.CorrelationId, 0, ReconciliationCheck.Drafts(plan.Differences));
        context.SetCustomStatus("posting");
        await Task.WhenAll(plan.Posts.Select(post => OrchestratorSteps.PostAsync(context, post, input.CorrelationId)));
        return new RemittanceToGlResult(RemittanceToGlResult.Posted, plan.Posts.Sum(p => p.MemberCount), plan.Posts.Count, exceptions);
    }
}
