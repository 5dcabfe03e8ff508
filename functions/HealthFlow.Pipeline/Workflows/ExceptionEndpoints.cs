using HealthFlow.Pipeline.Http;
using HealthFlow.Pipeline.Orchestration;
using HealthFlow.Pipeline.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace HealthFlow.Pipeline.Workflows;

/// <summary>
/// The exceptions workbench over HTTP (admin key only: references may name claims), shared by both hosts like
/// <see cref="IngestionEndpoints"/>: <c>GET /api/exceptions?status=open|resolved|all</c> and
/// <c>POST /api/exceptions/{id}/resolve</c>, which records the resolution and raises the exception's resume event on
/// its instance (e.g. <see cref="WorkflowEvents.MappingUpdated"/>).
/// </summary>
public sealed class ExceptionEndpoints(ExceptionBook book, IOrchestrationClient client, VendorDirectory vendors, ILogger<ExceptionEndpoints> logger)
{
    /// <summary>GET /api/exceptions: open ones by default.</summary>
    public async Task<IResult> ListAsync(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (Refuse(request) is { } refused)
            return refused;
        await book.CatchUpAsync(request.HttpContext.RequestAborted); // exceptions raised by other instances
        var status = (request.Query["status"].FirstOrDefault() ?? "open").ToUpperInvariant();
        if (status is not ("OPEN" or "RESOLVED" or "ALL"))
            return ApiProblems.BadRequest("status must be open, resolved or all.");
        bool? open = status == "ALL" ? null : status == "OPEN";
        return TypedResults.Json(book.List(open), ApiJson.Options);
    }

    /// <summary>POST /api/exceptions/{id}/resolve: 200 with the entry and what raising its resume event did; 404 when unknown.</summary>
    public async Task<IResult> ResolveAsync(HttpRequest request, string id)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (Refuse(request) is { } refused)
            return refused;
        await book.CatchUpAsync(request.HttpContext.RequestAborted);
        var entry = await book.ResolveAsync(id, request.HttpContext.RequestAborted);
        if (entry is null)
            return ApiProblems.NotFound($"No exception has id '{id}'.");
        string? resumed = null;
        if (entry.ResumeEvent is { } resumeEvent)
        {
            resumed = (await client.RaiseEventAsync(entry.InstanceId, resumeEvent, null, request.HttpContext.RequestAborted)).ToString();
            Logs.ExceptionResolved(logger, id, resumeEvent, resumed);
        }

        return TypedResults.Json(new { exception = entry, resumeEvent = entry.ResumeEvent, resumed }, ApiJson.Options);
    }

    private IResult? Refuse(HttpRequest request) => RequestKeys.RefuseUnlessAdmin(request, vendors, "Exception endpoints");
}
