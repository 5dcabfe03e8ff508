using System.Text.Json;
using HealthFlow.Pipeline.Http;
using HealthFlow.Pipeline.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace HealthFlow.Pipeline.Replay;

/// <summary>
/// <c>POST /api/replay</c> (admin key only): a <see cref="ReplayRequest"/> as JSON, answered with the <see cref="ReplayResult"/>;
/// 400 with a problem+json body for a selection that cannot run. Shared by both hosts like the other operator endpoints.
/// </summary>
public sealed class ReplayEndpoints(ReplayService replay, VendorDirectory vendors)
{
    public async Task<IResult> PostAsync(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (RequestKeys.RefuseUnlessAdmin(request, vendors, "Replay") is { } refused)
            return refused;
        ReplayRequest? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<ReplayRequest>(request.Body, ApiJson.Options, request.HttpContext.RequestAborted);
        }
        catch (JsonException)
        {
            // The parser's message may quote the body; say where to look instead.
            return ApiProblems.BadRequest("The body is not a replay request: JSON with from, to, stream, correlationId, deadLetter, target (topics or erp), dryRun, reason.");
        }

        if (body is null)
            return ApiProblems.EmptyBody();
        if (ReplayService.Problem(body) is { } problem)
            return ApiProblems.BadRequest(problem);
        var result = await replay.RunAsync(body, RequestKeys.IdOf(RequestKeys.Of(request)!), request.HttpContext.RequestAborted);
        return TypedResults.Json(result, ApiJson.Options);
    }
}

/// <summary>Wires replay into a host that has the workflows' services and an orchestration client.</summary>
public static class ReplayRegistration
{
    public static IServiceCollection AddReplay(this IServiceCollection services)
    {
        services.AddSingleton<ReplayService>();
        services.AddSingleton<ReplayEndpoints>();
        return services;
    }

    /// <summary>POST /api/replay (admin key).</summary>
    public static IEndpointRouteBuilder MapReplayApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/replay", (HttpRequest request, ReplayEndpoints endpoints) => endpoints.PostAsync(request));
        return app;
    }
}
