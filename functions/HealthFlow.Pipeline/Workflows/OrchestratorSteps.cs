using HealthFlow.Pipeline.Orchestration;

namespace HealthFlow.Pipeline.Workflows;

/// <summary>Steps both orchestrators take; deterministic like them (scanned as orchestrator code by its file name).</summary>
internal static class OrchestratorSteps
{
    /// <summary>ERP transient failures (after the gateway's own retries): six attempts, 30 s doubling to 15 min, on durable timers.</summary>
    internal static readonly TaskOptions PostRetry = TaskOptions.FromRetryPolicy(
        new RetryPolicy(maxNumberOfAttempts: 6, firstRetryInterval: TimeSpan.FromSeconds(30), backoffCoefficient: 2.0, maxRetryInterval: TimeSpan.FromMinutes(15)));

    /// <summary>
    /// Posts until the ERP accepts: a rejection raises an <c>erp-rejected</c> exception and waits for
    /// <see cref="ExceptionDrafts.RetryPost"/> (its resolve), then posts the same journal under the same key.
    /// </summary>
    internal static async Task<PostJournalsOutcome> PostAsync(OrchestrationContext context, PlannedPost post, string correlationId)
    {
        for (var attempt = 0; ; attempt++)
        {
            var outcome = await context.CallActivityAsync<PostJournalsOutcome>(nameof(PostJournalsActivity), new PostJournalsInput(post, correlationId, context.InstanceId), PostRetry);
            if (outcome.Accepted)
                return outcome;
            await RaiseAsync(context, correlationId, attempt,
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
