using System.Globalization;
using System.Text.Json;
using HealthFlow.Pipeline.Http;
using HealthFlow.Pipeline.Security;
using Microsoft.AspNetCore.Http;

namespace HealthFlow.Pipeline.Orchestration;

/// <summary>
/// The HTTP face of <see cref="IOrchestrationClient"/>, shared by the local runtime and the Functions app (like
/// <c>IngestionEndpoints</c>): operator endpoints, admin key only, because instance inputs and outputs may hold claim
/// data. Status codes follow Durable Functions' HTTP API: 202 for an accepted operation, 404 for an unknown instance,
/// 410 when the instance is not in a status where the operation applies.
/// </summary>
public sealed class OrchestrationEndpoints(IOrchestrationClient client, VendorDirectory vendors)
{
    /// <summary>Largest external event payload accepted (events carry references and decisions, not documents).</summary>
    public const int EventBodyMaxBytes = 1024 * 1024;

    /// <summary>GET /api/orchestrations/{instanceId}: the instance's status, input, output, custom status and failure.</summary>
    public async Task<IResult> GetAsync(HttpRequest request, string instanceId)
    {
        if (Refuse(request) is { } refused)
            return refused;
        var metadata = await client.GetInstanceAsync(instanceId, getInputsAndOutputs: true, request.HttpContext.RequestAborted);
        return metadata is null
            ? ApiProblems.NotFound($"No orchestration instance has id '{instanceId}'.")
            : TypedResults.Json(OrchestrationStatusView.From(metadata), ApiJson.Options);
    }

    /// <summary>
    /// GET /api/orchestrations?status=Running,Failed&amp;prefix=remit:&amp;top=100&amp;continuationToken=…: one page of
    /// instances without inputs and outputs; the next page's token is in the <c>x-continuation-token</c> header.
    /// </summary>
    public async Task<IResult> ListAsync(HttpRequest request)
    {
        if (Refuse(request) is { } refused)
            return refused;
        List<OrchestrationRuntimeStatus>? statuses = null;
        if (request.Query["status"].FirstOrDefault() is { Length: > 0 } statusText)
        {
            statuses = [];
            foreach (var part in statusText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!Enum.TryParse<OrchestrationRuntimeStatus>(part, ignoreCase: true, out var status) || !Enum.IsDefined(status))
                    return ApiProblems.BadRequest($"Unknown status '{part}'; use {string.Join(", ", Enum.GetNames<OrchestrationRuntimeStatus>())}.");
                statuses.Add(status);
            }
        }
        var top = 100;
        if (request.Query["top"].FirstOrDefault() is { Length: > 0 } topText
            && (!int.TryParse(topText, NumberStyles.None, CultureInfo.InvariantCulture, out top) || top is < 1 or > 1000))
            return ApiProblems.BadRequest("top must be a whole number from 1 to 1000.");
        var page = await client.ListInstancesAsync(new OrchestrationQuery(
            statuses,
            request.Query["prefix"].FirstOrDefault(),
            PageSize: top,
            ContinuationToken: request.Query["continuationToken"].FirstOrDefault()), request.HttpContext.RequestAborted);
        if (page.ContinuationToken is { } token)
            request.HttpContext.Response.Headers["x-continuation-token"] = token;
        return TypedResults.Json(page.Instances.Select(OrchestrationStatusView.From).ToList(), ApiJson.Options);
    }

    /// <summary>POST /api/orchestrations/{instanceId}/events/{eventName}: the JSON body (or nothing) becomes the event's payload.</summary>
    public async Task<IResult> RaiseEventAsync(HttpRequest request, string instanceId, string eventName)
    {
        if (Refuse(request) is { } refused)
            return refused;
        if (request.ContentLength > EventBodyMaxBytes)
            return ApiProblems.PayloadTooLarge(EventBodyMaxBytes);
        JsonElement? payload = null;
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, request.HttpContext.RequestAborted);
        if (buffer.Length > EventBodyMaxBytes)
            return ApiProblems.PayloadTooLarge(EventBodyMaxBytes);
        if (buffer.Length > 0)
        {
            try
            {
                using var document = JsonDocument.Parse(buffer.ToArray());
                payload = document.RootElement.Clone();
            }
            catch (JsonException)
            {
                return ApiProblems.BadRequest("The event payload must be JSON.");
            }
        }
        var result = await client.RaiseEventAsync(instanceId, eventName, payload, request.HttpContext.RequestAborted);
        return Answer(result, instanceId, "The instance has ended; it takes no more events.");
    }

    /// <summary>POST /api/orchestrations/{instanceId}/terminate?reason=…</summary>
    public async Task<IResult> TerminateAsync(HttpRequest request, string instanceId)
    {
        if (Refuse(request) is { } refused)
            return refused;
        var result = await client.TerminateAsync(instanceId, request.Query["reason"].FirstOrDefault(), request.HttpContext.RequestAborted);
        return Answer(result, instanceId, "The instance has already ended.");
    }

    /// <summary>POST /api/orchestrations/{instanceId}/rewind?reason=…: resumes a failed instance.</summary>
    public async Task<IResult> RewindAsync(HttpRequest request, string instanceId)
    {
        if (Refuse(request) is { } refused)
            return refused;
        var result = await client.RewindAsync(instanceId, request.Query["reason"].FirstOrDefault(), request.HttpContext.RequestAborted);
        return Answer(result, instanceId, "Only a failed instance can be rewound.");
    }

    /// <summary>401 without a known key, 403 for a vendor key, null for the admin key.</summary>
    private IResult? Refuse(HttpRequest request) => RequestKeys.RefuseUnlessAdmin(request, vendors, "Orchestration endpoints");

    private static IResult Answer(InstanceOperationResult result, string instanceId, string notApplicable) => result switch
    {
        InstanceOperationResult.Accepted => new AcceptedResult(instanceId),
        InstanceOperationResult.NotFound => ApiProblems.NotFound($"No orchestration instance has id '{instanceId}'."),
        _ => ApiProblems.Problem(StatusCodes.Status410Gone, "orchestration-not-applicable", "Not applicable to this instance", notApplicable),
    };

    private sealed class AcceptedResult(string instanceId) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = StatusCodes.Status202Accepted;
            httpContext.Response.Headers.Location = $"/api/orchestrations/{Uri.EscapeDataString(instanceId)}";
            return Task.CompletedTask;
        }
    }
}

/// <summary>The JSON answer for an instance: inputs, outputs and custom status as JSON values, not strings.</summary>
public sealed record OrchestrationStatusView(
    string InstanceId,
    string Name,
    OrchestrationRuntimeStatus RuntimeStatus,
    DateTimeOffset CreatedAt,
    DateTimeOffset LastUpdatedAt,
    JsonElement? Input,
    JsonElement? Output,
    JsonElement? CustomStatus,
    TaskFailureDetails? FailureDetails,
    string? ParentInstanceId,
    string CorrelationId)
{
    public static OrchestrationStatusView From(OrchestrationMetadata m) => new(
        m.InstanceId, m.Name, m.RuntimeStatus, m.CreatedAt, m.LastUpdatedAt,
        Parse(m.SerializedInput), Parse(m.SerializedOutput), Parse(m.SerializedCustomStatus),
        m.FailureDetails is { } f ? f with { StackTrace = null } : null,
        m.ParentInstanceId, m.CorrelationId);

    private static JsonElement? Parse(string? json)
    {
        if (string.IsNullOrEmpty(json))
            return null;
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
