using HealthFlow.Pipeline.Http;
using HealthFlow.Pipeline.Ingestion;
using HealthFlow.Pipeline.Orchestration;
using HealthFlow.Pipeline.Reconciliation;
using HealthFlow.Pipeline.Replay;
using HealthFlow.Pipeline.Security;
using HealthFlow.Pipeline.Workflows;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace HealthFlow.Functions;

/// <summary>
/// The HTTP triggers: the routes of the local runtime (<c>MapHealthFlowApi</c>, <c>MapOrchestrationApi</c>,
/// <c>MapExceptionApi</c>, <c>MapReconciliationApi</c>, <c>MapReplayApi</c>; FunctionsProjectTests keeps the two lists equal), each a call to
/// the shared endpoint class. host.json's route prefix is empty and each route says <c>api/</c> itself, because the
/// OData feed (the address Power BI's OData connector is given) and the reconciliation page live at <c>/odata</c> and
/// <c>/reconciliation</c> in both hosts. Anonymous at the Functions level because HealthFlow authenticates vendors itself (<c>VendorDirectory</c>,
/// the <c>x-functions-key</c> header or <c>code</c> query the local runtime reads too), so one key works in both hosts.
/// The operator routes take the invocation's Durable client (<c>[DurableClient]</c>, the only way the isolated worker
/// hands one out) behind <see cref="DurableOrchestrationClient"/>.
/// </summary>
public sealed class HttpFunctions(IngestionEndpoints ingestion, HealthEndpoint health, VendorDirectory vendors, TimeProvider clock, IServiceProvider services)
{
    [Function("PostX12")]
    public async Task<IActionResult> PostX12([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/x12")] HttpRequest request) =>
        new ResultAction(await ingestion.PostAsync(request, PayloadFormat.X12));

    [Function("PostFhir")]
    public async Task<IActionResult> PostFhir([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/fhir")] HttpRequest request) =>
        new ResultAction(await ingestion.PostAsync(request, PayloadFormat.Fhir));

    [Function("PostHl7v2")]
    public async Task<IActionResult> PostHl7v2([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/hl7v2")] HttpRequest request) =>
        new ResultAction(await ingestion.PostAsync(request, PayloadFormat.Hl7v2));

    [Function("GetReceipt")]
    public async Task<IActionResult> GetReceipt([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/receipts/{receiptId}")] HttpRequest request, string receiptId) =>
        new ResultAction(await ingestion.GetReceiptAsync(request, receiptId));

    [Function("FhirMetadata")]
    public IActionResult FhirMetadata([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/fhir/metadata")] HttpRequest request) =>
        new ResultAction(FhirMetadataEndpoint.Get(clock));

    [Function("GetReconciliation")]
    public async Task<IActionResult> GetReconciliation([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/reconciliation")] HttpRequest request) =>
        new ResultAction(await services.GetRequiredService<ReconciliationEndpoints>().GetAsync(request));

    [Function("GetReconciliationPage")]
    public async Task<IActionResult> GetReconciliationPage([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "reconciliation")] HttpRequest request) =>
        new ResultAction(await services.GetRequiredService<ReconciliationEndpoints>().GetPageAsync(request));

    [Function("ODataServiceDocument")]
    public async Task<IActionResult> ODataServiceDocument([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "odata")] HttpRequest request)
    {
        await services.GetRequiredService<ReportingODataFeed>().GetAsync(request.HttpContext, null);
        return new EmptyResult();
    }

    [Function("OData")]
    public async Task<IActionResult> OData([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "odata/{path}")] HttpRequest request, string path)
    {
        await services.GetRequiredService<ReportingODataFeed>().GetAsync(request.HttpContext, path);
        return new EmptyResult();
    }

    [Function("Health")]
    public IActionResult Health([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/health")] HttpRequest request) =>
        new ResultAction(health.Get());

    [Function("ListOrchestrations")]
    public async Task<IActionResult> ListOrchestrations([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/orchestrations")] HttpRequest request,
        [DurableClient] DurableTaskClient client) =>
        new ResultAction(await Orchestrations(client).ListAsync(request));

    [Function("GetOrchestration")]
    public async Task<IActionResult> GetOrchestration([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/orchestrations/{instanceId}")] HttpRequest request,
        string instanceId, [DurableClient] DurableTaskClient client) =>
        new ResultAction(await Orchestrations(client).GetAsync(request, instanceId));

    [Function("RaiseOrchestrationEvent")]
    public async Task<IActionResult> RaiseOrchestrationEvent([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/orchestrations/{instanceId}/events/{eventName}")] HttpRequest request,
        string instanceId, string eventName, [DurableClient] DurableTaskClient client) =>
        new ResultAction(await Orchestrations(client).RaiseEventAsync(request, instanceId, eventName));

    [Function("TerminateOrchestration")]
    public async Task<IActionResult> TerminateOrchestration([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/orchestrations/{instanceId}/terminate")] HttpRequest request,
        string instanceId, [DurableClient] DurableTaskClient client) =>
        new ResultAction(await Orchestrations(client).TerminateAsync(request, instanceId));

    [Function("RewindOrchestration")]
    public async Task<IActionResult> RewindOrchestration([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/orchestrations/{instanceId}/rewind")] HttpRequest request,
        string instanceId, [DurableClient] DurableTaskClient client) =>
        new ResultAction(await Orchestrations(client).RewindAsync(request, instanceId));

    [Function("ListExceptions")]
    public async Task<IActionResult> ListExceptions([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/exceptions")] HttpRequest request,
        [DurableClient] DurableTaskClient client) =>
        new ResultAction(await Exceptions(client).ListAsync(request));

    [Function("ResolveException")]
    public async Task<IActionResult> ResolveException([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/exceptions/{id}/resolve")] HttpRequest request,
        string id, [DurableClient] DurableTaskClient client) =>
        new ResultAction(await Exceptions(client).ResolveAsync(request, id));

    [Function("Replay")]
    public async Task<IActionResult> Replay([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/replay")] HttpRequest request,
        [DurableClient] DurableTaskClient client) =>
        new ResultAction(await new ReplayEndpoints(ActivatorUtilities.CreateInstance<ReplayService>(services, new DurableOrchestrationClient(client)), vendors).PostAsync(request));

    private OrchestrationEndpoints Orchestrations(DurableTaskClient client) => new(new DurableOrchestrationClient(client), vendors);

    private ExceptionEndpoints Exceptions(DurableTaskClient client) =>
        ActivatorUtilities.CreateInstance<ExceptionEndpoints>(services, new DurableOrchestrationClient(client));

    /// <summary>
    /// Runs a minimal-API <see cref="IResult"/> as an <see cref="IActionResult"/>: the Functions ASP.NET Core
    /// integration executes action results (FunctionsHttpProxyingMiddleware), the shared endpoints return IResult.
    /// </summary>
    private sealed class ResultAction(IResult result) : IActionResult
    {
        public Task ExecuteResultAsync(ActionContext context) => result.ExecuteAsync(context.HttpContext);
    }
}
