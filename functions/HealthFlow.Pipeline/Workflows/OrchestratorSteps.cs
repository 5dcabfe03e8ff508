using HealthFlow.Pipeline.Orchestration;

namespace HealthFlow.Pipeline.Workflows;

/// <summary>Steps both orchestrators take; deterministic like them (scanned as orchestrator code by its file name).</summary>
internal static class OrchestratorSteps
{
    /// <summary>Failures of the posting activity itself (local I/O, a bug): six attempts, 30 s doubling to 15 min, on durable timers.</summary>
    internal static readonly TaskOptions PostRetry = TaskOptions.FromRetryPolicy(
        new RetryPolicy(maxNumberOfAttempts: 6, firstRetryInterval: TimeSpan.FromSeconds(30), backoffCoefficient: 2.0, maxRetryInterval: TimeSpan.FromMinutes(15)));

    /// <summary>The ERP unavailable (after the gateway's own retries): posted again 30 s later, doubling to every 15 min, for as long as it takes.</summary>
    internal static readonly RetryPolicy ErpBackoff =
        new(maxNumberOfAttempts: int.MaxValue, firstRetryInterval: TimeSpan.FromSeconds(30), backoffCoefficient: 2.0, maxRetryInterval: TimeSpan.FromMinutes(15));

    /// <summary>
    /// Posts until the ERP accepts. An unavailable ERP is waited out on durable timers (<see cref="ErpBackoff"/>): an
    /// outage delays posting, which the payment-posting-lag SLA shows, and never fails the workflow or raises an
    /// exception. A rejection raises an <c>erp-rejected</c> exception and waits for <see cref="ExceptionDrafts.RetryPost"/>
    /// (its resolve), then posts the same journal under the same key.
    /// </summary>
    internal static async Task<PostJournalsOutcome> PostAsync(OrchestrationContext context, PlannedPost post, string correlationId)
    {
        var (unavailable, rejected) = (0, 0);
        while (true)
        {
            var outcome = await context.CallActivityAsync<PostJournalsOutcome>(nameof(PostJournalsActivity), new PostJournalsInput(post, correlationId, context.InstanceId), PostRetry);
            if (outcome.Accepted)
                return outcome;
            if (outcome.Unavailable)
            {
                await context.CreateTimer(context.CurrentUtcDateTime + ErpBackoff.DelayAfter(++unavailable), CancellationToken.None);
                continue;
            }
            await RaiseAsync(context, correlationId, rejected++,
                [new ExceptionDraft(ExceptionDrafts.ErpRejected, "erp", $"journal:{post.Journal.JournalId}", Blocking: true, ResumeEvent: ExceptionDrafts.RetryPost)]);
            await context.WaitForExternalEvent<object?>(ExceptionDrafts.RetryPost);
        }
    }

    /// <summary>Raises one round of exceptions; returns how many.</summary>
    internal static async Task<int> RaiseAsync(OrchestrationContext context, string correlationId, int round, IReadOnlyList<ExceptionDraft> drafts)
    {
        if (drafts.Count == 0)
            return 0;
        var ids = await context.CallActivityAsync<IReadOnlyList<string>>(nameof(RaiseExceptionsActivity), new RaiseExceptionsInput(context.InstanceId, correlationId, round, drafts));
        return ids.Count;
    }

    /// <summary>
    /// Cancels pending waits and timers synchronously: the callbacks must run now, on the orchestrator thread, for replay
    /// to take the same path (the reason <see cref="OrchestrationContext.WaitForExternalEvent{T}(string, TimeSpan)"/> does the same).
    /// </summary>
    internal static void Cancel(params CancellationTokenSource[] sources)
    {
        foreach (var source in sources)
            source.Cancel();
    }
}
