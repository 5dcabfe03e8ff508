using HealthFlow.Pipeline.Orchestration;
using HealthFlow.Pipeline.Workflows;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;

namespace HealthFlow.Functions;

/// <summary>
/// The workflows' orchestrators and activities as Durable Functions, one function per name registered by
/// <see cref="WorkflowRegistration.AddWorkflows(OrchestrationRegistry)"/>, each run through that registry: the same
/// classes, in the same way, as the embedded engine runs them. Payloads are JSON strings (see <see cref="DurableOrchestrationContext"/>).
/// </summary>
/// <remarks>
/// Checked against Azure/azure-functions-durable-extension src/Worker.Extensions.DurableTask: <c>[OrchestrationTrigger]</c>
/// binds <see cref="TaskOrchestrationContext"/>; <c>[ActivityTrigger]</c> binds the input through the worker's data
/// converter (ActivityInputConverter) and the host puts the orchestration's instance id in the binding data as
/// <c>instanceId</c> (ActivityTriggerAttributeBindingProvider); the task id and delivery count are not exposed.
/// </remarks>
public sealed class WorkflowFunctions(OrchestrationRegistry registry, WorkflowReadModels readModels, IServiceProvider services)
{
    [Function(nameof(DischargeToBillOrchestrator))]
    public Task<string?> DischargeToBill([OrchestrationTrigger] TaskOrchestrationContext context) => OrchestrateAsync(context);

    [Function(nameof(DischargeReversalOrchestrator))]
    public Task<string?> DischargeReversal([OrchestrationTrigger] TaskOrchestrationContext context) => OrchestrateAsync(context);

    [Function(nameof(RemittanceToGlOrchestrator))]
    public Task<string?> RemittanceToGl([OrchestrationTrigger] TaskOrchestrationContext context) => OrchestrateAsync(context);

    [Function(nameof(CountChargesActivity))]
    public Task<string?> CountCharges([ActivityTrigger] string? input, FunctionContext context) => RunAsync(input, context);

    [Function(nameof(BuildAccrualActivity))]
    public Task<string?> BuildAccrual([ActivityTrigger] string? input, FunctionContext context) => RunAsync(input, context);

    [Function(nameof(FindAccrualActivity))]
    public Task<string?> FindAccrual([ActivityTrigger] string? input, FunctionContext context) => RunAsync(input, context);

    [Function(nameof(BuildRemittanceActivity))]
    public Task<string?> BuildRemittance([ActivityTrigger] string? input, FunctionContext context) => RunAsync(input, context);

    [Function(nameof(PostJournalsActivity))]
    public Task<string?> PostJournals([ActivityTrigger] string? input, FunctionContext context) => RunAsync(input, context);

    [Function(nameof(ClaimReadyActivity))]
    public Task<string?> ClaimReady([ActivityTrigger] string? input, FunctionContext context) => RunAsync(input, context);

    [Function(nameof(RaiseExceptionsActivity))]
    public Task<string?> RaiseExceptions([ActivityTrigger] string? input, FunctionContext context) => RunAsync(input, context);

    private Task<string?> OrchestrateAsync(TaskOrchestrationContext context) =>
        registry.RunOrchestratorAsync(context.Name.Name, services, new DurableOrchestrationContext(context), context.GetInput<string>());

    /// <summary>
    /// Runs an activity after the read models caught up with the ledger: the charge, claim or journal an activity looks up
    /// was often recorded by another instance (Flex Consumption runs triggers and Durable functions on different ones).
    /// </summary>
    private async Task<string?> RunAsync(string? input, FunctionContext context)
    {
        var name = context.FunctionDefinition.Name;
        var instanceId = context.BindingContext.BindingData.TryGetValue("instanceId", out var id) ? id?.ToString() ?? "" : "";
        await readModels.CatchUpAsync(context.CancellationToken);
        return await registry.RunActivityAsync(name, services, new ActivityContext(name, instanceId, TaskId: -1, DeliveryCount: 1), input, context.CancellationToken);
    }
}
