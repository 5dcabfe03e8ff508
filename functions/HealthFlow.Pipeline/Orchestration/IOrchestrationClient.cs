namespace HealthFlow.Pipeline.Orchestration;

/// <summary>
/// Starts, queries and steers orchestration instances (durabletask-dotnet's <c>DurableTaskClient</c>). The embedded
/// engine implements it; the Functions app implements it over <c>DurableTaskClient</c>, so the workflows' start
/// handlers, the HTTP endpoints (<see cref="OrchestrationEndpoints"/>) and the CLI work against either.
/// </summary>
/// <remarks>
/// Expected outcomes (exists already, not found, not applicable) are values; exceptions mean a bug (unknown
/// orchestrator name) or failed I/O. Every operation returns once its effect is durable in the ledger.
/// </remarks>
public interface IOrchestrationClient
{
    /// <summary>
    /// Starts <paramref name="orchestratorName"/> as <paramref name="instanceId"/> unless an instance with that id exists,
    /// in any status. Instance ids are derived from the source (<c>discharge:{facility}:{encounter}</c>,
    /// <c>remit:{payer}:{trn}</c>), so a redelivered start message does not start twice.
    /// </summary>
    /// <param name="orchestratorName">Registered orchestrator name, by convention <c>nameof(TheOrchestrator)</c>.</param>
    /// <param name="instanceId">Instance id derived from the source document (at most 256 characters, no control characters).</param>
    /// <param name="input">JSON-serializable input, or null.</param>
    /// <param name="correlationId">The ingest receipt the instance descends from; carried by every history record.</param>
    /// <param name="cancellationToken">Cancels waiting; once the start is being written it completes.</param>
    /// <exception cref="ArgumentException">The orchestrator is not registered, or the id is empty or too long.</exception>
    Task<StartResult> StartIfNotExistsAsync(string orchestratorName, string instanceId, object? input = null, string correlationId = "", CancellationToken cancellationToken = default);

    /// <summary>The instance's state, or null when no instance has this id.</summary>
    Task<OrchestrationMetadata?> GetInstanceAsync(string instanceId, bool getInputsAndOutputs = true, CancellationToken cancellationToken = default);

    /// <summary>One page of instances matching <paramref name="query"/>, ordered by instance id.</summary>
    Task<OrchestrationPage> ListInstancesAsync(OrchestrationQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// Raises an external event: recorded in the instance's history and handed to its first wait for that name (now or
    /// later: events are buffered). <see cref="InstanceOperationResult.NotApplicable"/> when the instance is no longer running.
    /// </summary>
    Task<InstanceOperationResult> RaiseEventAsync(string instanceId, string eventName, object? payload = null, CancellationToken cancellationToken = default);

    /// <summary>Terminates a pending or running instance (its sub-orchestrations go on). NotApplicable when it has already ended.</summary>
    Task<InstanceOperationResult> TerminateAsync(string instanceId, string? reason = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Resumes a failed instance: the failures that ended it are set aside (they stay in the ledger, marked by an
    /// <c>ExecutionRewound</c> record), the failed activities are dispatched again and failed sub-orchestrations rewound.
    /// NotApplicable when the instance has not failed.
    /// </summary>
    Task<InstanceOperationResult> RewindAsync(string instanceId, string? reason = null, CancellationToken cancellationToken = default);

    /// <summary>Waits until the instance has completed, failed or been terminated; returns its final state.</summary>
    /// <exception cref="ArgumentException">No instance has this id.</exception>
    Task<OrchestrationMetadata> WaitForInstanceCompletionAsync(string instanceId, CancellationToken cancellationToken = default);
}

/// <summary>Helpers over <see cref="IOrchestrationClient"/>.</summary>
public static class OrchestrationClientExtensions
{
    /// <summary>Every instance <paramref name="query"/> matches, following continuation tokens page by page.</summary>
    public static async Task<List<OrchestrationMetadata>> ListAllInstancesAsync(this IOrchestrationClient client, OrchestrationQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(query);
        var all = new List<OrchestrationMetadata>();
        var page = query;
        while (true)
        {
            var result = await client.ListInstancesAsync(page, cancellationToken);
            all.AddRange(result.Instances);
            if (result.ContinuationToken is not { } token)
                return all;
            page = page with { ContinuationToken = token };
        }
    }
}
