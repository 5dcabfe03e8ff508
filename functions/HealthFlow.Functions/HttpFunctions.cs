using HealthFlow.Pipeline.Http;
using HealthFlow.Pipeline.Ingestion;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace HealthFlow.Functions;

/// <summary>
/// The HTTP triggers: the routes of the local runtime (<c>HealthFlowRoutes</c>), each a call to the shared endpoint
/// class. Anonymous at the Functions level because HealthFlow authenticates vendors itself (<c>VendorDirectory</c>,
/// the <c>x-functions-key</c> header or <c>code</c> query the local runtime reads too), so one key works in both hosts.
/// </summary>
public sealed class HttpFunctions(IngestionEndpoints ingestion, HealthEndpoint health)
{
    [Function("PostX12")]
    public async Task<IActionResult> PostX12([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "x12")] HttpRequest request) =>
        new ResultAction(await ingestion.PostAsync(request, PayloadFormat.X12));

    [Function("PostFhir")]
    public async Task<IActionResult> PostFhir([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "fhir")] HttpRequest request) =>
        new ResultAction(await ingestion.PostAsync(request, PayloadFormat.Fhir));

    [Function("PostHl7v2")]
    public async Task<IActionResult> PostHl7v2([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "hl7v2")] HttpRequest request) =>
        new ResultAction(await ingestion.PostAsync(request, PayloadFormat.Hl7v2));

    [Function("GetReceipt")]
    public IActionResult GetReceipt([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "receipts/{receiptId}")] HttpRequest request, string receiptId) =>
        new ResultAction(ingestion.GetReceipt(request, receiptId));

    [Function("Health")]
    public IActionResult Health([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest request) =>
        new ResultAction(health.Get());

    /// <summary>
    /// Runs a minimal-API <see cref="IResult"/> as an <see cref="IActionResult"/>: the Functions ASP.NET Core
    /// integration executes action results (FunctionsHttpProxyingMiddleware), the shared endpoints return IResult.
    /// </summary>
    private sealed class ResultAction(IResult result) : IActionResult
    {
        public Task ExecuteResultAsync(ActionContext context) => result.ExecuteAsync(context.HttpContext);
    }
}
