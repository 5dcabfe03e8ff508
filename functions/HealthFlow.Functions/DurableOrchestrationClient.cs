using System.Text.Json;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Hf = HealthFlow.Pipeline.Orchestration;

namespace HealthFlow.Functions;

/// <summary>
/// HealthFlow's <see cref="Hf.IOrchestrationClient"/> over Durable Functions' <see cref="DurableTaskClient"/>, so the
/// workflow routers and the operator endpoints run unchanged in Azure. The Functions host hands a client to each
/// invocation (<c>[DurableClient]</c>), so this adapter is made per call, never registered in the container.
/// </summary>
/// <remarks>
/// Checked against microsoft/durabletask-dotnet src/Client/Core (<c>DurableTaskClient</c>: ScheduleNewOrchestrationInstanceAsync,
/// GetInstanceAsync, GetAllInstancesAsync + <c>AsyncPageable.AsPages</c>, RaiseEventAsync, TerminateInstanceAsync(string, object?, …),
/// RewindInstanceAsync(string, string, …), WaitForInstanceCompletionAsync; <c>OrchestrationQuery</c>, <c>OrchestrationMetadata</c>,
/// <c>OrchestrationRuntimeStatus</c>) and Azure/azure-functions-durable-extension src/Worker.Extensions.DurableTask
/// (<c>FunctionsDurableTaskClient</c> forwards rewind since "Add Rewind to .NET isolated", PR 3227, in 1.16+).
/// Differences from the embedded engine, all documented in docs/AZURE.md: the correlation id is not kept apart from the
/// input (both workflow inputs carry it), and a list is in the order the task hub returns, not by instance id.
/// </remarks>
public sealed class DurableOrchestrationClient(DurableTaskClient client) : Hf.IOrchestrationClient
{
    public async Task<Hf.StartResult> StartIfNotExistsAsync(string orchestratorName, string instanceId, object? input = null, string correlationId = "", CancellationToken cancellationToken = default)
    {
        // Durable Functions restarts an ended instance scheduled again under its id; HealthFlow starts an id once. Two
        // concurrent first starts are serialized by the subscription's session (one instance per session key); a start
        // that loses a race anyway throws, the trigger fails, and the redelivery finds the instance.
        if (await client.GetInstanceAsync(instanceId, getInputsAndOutputs: false, cancellationToken) is not null)
            return Hf.StartResult.AlreadyExists;
        await client.ScheduleNewOrchestrationInstanceAsync(orchestratorName, Hf.OrchestrationJson.Serialize(input), new StartOrchestrationOptions(instanceId), cancellationToken);
        return Hf.StartResult.Started;
    }

    public async Task<Hf.OrchestrationMetadata?> GetInstanceAsync(string instanceId, bool getInputsAndOutputs = true, CancellationToken cancellationToken = default) =>
        await client.GetInstanceAsync(instanceId, getInputsAndOutputs, cancellationToken) is { } metadata ? ToHealthFlow(metadata) : null;

    public async Task<Hf.OrchestrationPage> ListInstancesAsync(Hf.OrchestrationQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var filter = new OrchestrationQuery
        {
            Statuses = query.Statuses?.SelectMany(ToDurable).ToList(),
            InstanceIdPrefix = query.InstanceIdPrefix,
            CreatedFrom = query.CreatedFrom,
            CreatedTo = query.CreatedTo,
            PageSize = query.PageSize,
            FetchInputsAndOutputs = query.FetchInputsAndOutputs,
            ContinuationToken = query.ContinuationToken,
        };
        await foreach (var page in client.GetAllInstancesAsync(filter).AsPages(query.ContinuationToken, query.PageSize).WithCancellation(cancellationToken))
            return new Hf.OrchestrationPage([.. page.Values.Select(ToHealthFlow)], page.ContinuationToken);
        return new Hf.OrchestrationPage([], null);
    }

    public async Task<Hf.InstanceOperationResult> RaiseEventAsync(string instanceId, string eventName, object? payload = null, CancellationToken cancellationToken = default)
    {
        // The Azure Storage provider throws on an event for an ended instance; the contract answers NotApplicable.
        if (await OperableAsync(instanceId, m => !m.IsCompleted, cancellationToken) is { } refused)
            return refused;
        await client.RaiseEventAsync(instanceId, eventName, Hf.OrchestrationJson.Serialize(payload), cancellationToken);
        return Hf.InstanceOperationResult.Accepted;
    }

    public async Task<Hf.InstanceOperationResult> TerminateAsync(string instanceId, string? reason = null, CancellationToken cancellationToken = default)
    {
        if (await OperableAsync(instanceId, m => !m.IsCompleted, cancellationToken) is { } refused)
            return refused;
        await client.TerminateInstanceAsync(instanceId, (object?)reason, cancellationToken);
        return Hf.InstanceOperationResult.Accepted;
    }

    public async Task<Hf.InstanceOperationResult> RewindAsync(string instanceId, string? reason = null, CancellationToken cancellationToken = default)
    {
        if (await OperableAsync(instanceId, m => m.RuntimeStatus == OrchestrationRuntimeStatus.Failed, cancellationToken) is { } refused)
            return refused;
        await client.RewindInstanceAsync(instanceId, reason ?? "rewound by an operator", cancellationToken);
        return Hf.InstanceOperationResult.Accepted;
    }

    public async Task<Hf.OrchestrationMetadata> WaitForInstanceCompletionAsync(string instanceId, CancellationToken cancellationToken = default)
    {
        if (await client.GetInstanceAsync(instanceId, getInputsAndOutputs: false, cancellationToken) is null)
            throw new ArgumentException($"No orchestration instance has id '{instanceId}'.", nameof(instanceId));
        return ToHealthFlow(await client.WaitForInstanceCompletionAsync(instanceId, getInputsAndOutputs: true, cancellationToken));
    }

    /// <summary>Null when the instance exists and <paramref name="applies"/> holds; otherwise why the operation does nothing.</summary>
    private async Task<Hf.InstanceOperationResult?> OperableAsync(string instanceId, Func<OrchestrationMetadata, bool> applies, CancellationToken cancellationToken) =>
        await client.GetInstanceAsync(instanceId, getInputsAndOutputs: false, cancellationToken) switch
        {
            null => Hf.InstanceOperationResult.NotFound,
            var metadata when applies(metadata) => null,
            _ => Hf.InstanceOperationResult.NotApplicable,
        };

    private static Hf.OrchestrationMetadata ToHealthFlow(OrchestrationMetadata m) => new(
        m.InstanceId, m.Name, ToHealthFlow(m.RuntimeStatus), m.CreatedAt, m.LastUpdatedAt,
        Unwrap(m.SerializedInput), Unwrap(m.SerializedOutput), m.SerializedCustomStatus,
        m.FailureDetails is { } failure ? DurableOrchestrationContext.ToHealthFlow(failure) : null,
        ParentInstanceId: null, CorrelationId: "");

    /// <summary>Inputs and outputs are HealthFlow JSON carried as a JSON string (see <see cref="DurableOrchestrationContext"/>).</summary>
    private static string? Unwrap(string? serialized) => serialized is ['"', ..] ? JsonSerializer.Deserialize<string>(serialized) : serialized;

    private static Hf.OrchestrationRuntimeStatus ToHealthFlow(OrchestrationRuntimeStatus status) => status switch
    {
        OrchestrationRuntimeStatus.Pending => Hf.OrchestrationRuntimeStatus.Pending,
        OrchestrationRuntimeStatus.Completed => Hf.OrchestrationRuntimeStatus.Completed,
        OrchestrationRuntimeStatus.Failed => Hf.OrchestrationRuntimeStatus.Failed,
        OrchestrationRuntimeStatus.Terminated => Hf.OrchestrationRuntimeStatus.Terminated,
        // Running, Suspended (an operator paused it in the portal) and the obsolete ContinuedAsNew.
        _ => Hf.OrchestrationRuntimeStatus.Running,
    };

    private static IEnumerable<OrchestrationRuntimeStatus> ToDurable(Hf.OrchestrationRuntimeStatus status) => status switch
    {
        Hf.OrchestrationRuntimeStatus.Pending => [OrchestrationRuntimeStatus.Pending],
        Hf.OrchestrationRuntimeStatus.Running => [OrchestrationRuntimeStatus.Running, OrchestrationRuntimeStatus.Suspended],
        Hf.OrchestrationRuntimeStatus.Completed => [OrchestrationRuntimeStatus.Completed],
        Hf.OrchestrationRuntimeStatus.Failed => [OrchestrationRuntimeStatus.Failed],
        Hf.OrchestrationRuntimeStatus.Terminated => [OrchestrationRuntimeStatus.Terminated],
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Not a HealthFlow runtime status."),
    };
}
