using Microsoft.DurableTask;
using Hf = HealthFlow.Pipeline.Orchestration;

namespace HealthFlow.Functions;

/// <summary>
/// HealthFlow's orchestration contract over Durable Functions' <see cref="TaskOrchestrationContext"/>: each member forwards
/// to the member of the same name, so the orchestrators of HealthFlow.Pipeline run unchanged in Azure. Inputs, outputs and
/// event payloads cross as JSON text written by <see cref="Hf.OrchestrationJson"/> (the embedded engine's serializer), so
/// both hosts read the same records the same way; Durable's own converter only ever sees strings.
/// </summary>
/// <remarks>
/// Checked against microsoft/durabletask-dotnet src/Abstractions: <c>TaskOrchestrationContext</c> (CallActivityAsync,
/// CallSubOrchestratorAsync(TaskName, object?, TaskOptions?), CreateTimer(DateTime, CancellationToken),
/// WaitForExternalEvent, SetCustomStatus, NewGuid), <c>TaskOptions.FromRetryPolicy</c>, <c>SubOrchestrationOptions(TaskRetryOptions?, string?)</c>, <c>TaskRetryOptions(RetryPolicy)</c>,
/// <c>RetryPolicy</c> (same five parameters and rules as HealthFlow's) and <c>TaskFailedException</c>/<c>TaskFailureDetails</c>.
/// The timeout overload of WaitForExternalEvent and CreateReplaySafeLogger are composed by the base class from these members,
/// exactly as durabletask-dotnet composes its own.
/// </remarks>
public sealed class DurableOrchestrationContext(TaskOrchestrationContext inner) : Hf.OrchestrationContext
{
    public override string Name => inner.Name.Name;

    public override string InstanceId => inner.InstanceId;

    public override DateTime CurrentUtcDateTime => inner.CurrentUtcDateTime;

    public override bool IsReplaying => inner.IsReplaying;

    public override T? GetInput<T>() where T : default => Hf.OrchestrationJson.Deserialize<T>(inner.GetInput<string>());

    public override async Task<T> CallActivityAsync<T>(string name, object? input = null, Hf.TaskOptions? options = null)
    {
        try
        {
            return Hf.OrchestrationJson.Deserialize<T>(await inner.CallActivityAsync<string?>(name, Hf.OrchestrationJson.Serialize(input), ToDurable(options)))!;
        }
        catch (TaskFailedException failed)
        {
            throw new Hf.TaskFailedException(failed.TaskName, failed.TaskId, ToHealthFlow(failed.FailureDetails));
        }
    }

    public override async Task<TResult> CallSubOrchestratorAsync<TResult>(string orchestratorName, string? instanceId = null, object? input = null, Hf.TaskOptions? options = null)
    {
        try
        {
            var subOptions = new SubOrchestrationOptions(Retry(options) is { } retry ? new TaskRetryOptions(retry) : null, instanceId);
            return Hf.OrchestrationJson.Deserialize<TResult>(await inner.CallSubOrchestratorAsync<string?>(orchestratorName, Hf.OrchestrationJson.Serialize(input), subOptions))!;
        }
        catch (TaskFailedException failed)
        {
            throw new Hf.TaskFailedException(failed.TaskName, failed.TaskId, ToHealthFlow(failed.FailureDetails));
        }
    }

    public override Task CreateTimer(DateTime fireAt, CancellationToken cancellationToken) => inner.CreateTimer(fireAt, cancellationToken);

    public override async Task<T> WaitForExternalEvent<T>(string eventName, CancellationToken cancellationToken = default) =>
        Hf.OrchestrationJson.Deserialize<T>(await inner.WaitForExternalEvent<string?>(eventName, cancellationToken))!;

    public override void SetCustomStatus(object? customStatus) => inner.SetCustomStatus(customStatus);

    public override Guid NewGuid() => inner.NewGuid();

    private static TaskOptions? ToDurable(Hf.TaskOptions? options) => Retry(options) is { } retry ? TaskOptions.FromRetryPolicy(retry) : null;

    private static RetryPolicy? Retry(Hf.TaskOptions? options) => options?.Retry is { } policy
        ? new RetryPolicy(policy.MaxNumberOfAttempts, policy.FirstRetryInterval, policy.BackoffCoefficient, policy.MaxRetryInterval, policy.RetryTimeout)
        : null;

    internal static Hf.TaskFailureDetails ToHealthFlow(TaskFailureDetails details) =>
        new(details.ErrorType, details.ErrorMessage, details.StackTrace, details.InnerFailure is { } cause ? ToHealthFlow(cause) : null);
}
