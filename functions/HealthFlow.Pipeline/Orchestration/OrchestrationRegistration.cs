using HealthFlow.Ledger;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HealthFlow.Pipeline.Orchestration;

/// <summary>
/// Wiring of the embedded durable engine into a host (the local runtime). Three steps, because the engine opens
/// asynchronously on the ledger before the app is built, but its activities need the app's services:
/// <code>
/// var engine = await OrchestrationRegistration.OpenEmbeddedAsync(ledger, registry, loggerFactory);       // before Build()
/// services.AddEmbeddedOrchestrations(engine);
/// var app = builder.Build();
/// app.MapOrchestrationApi();
/// await engine.StartAsync(app.Services);                                                    // after Build(), before serving
/// ...
/// await engine.DisposeAsync();                                                              // before the ledger
/// </code>
/// </summary>
public static class OrchestrationRegistration
{
    /// <summary>Opens the engine on the runtime's ledger with the registered orchestrators and activities.</summary>
    public static Task<EmbeddedOrchestrationEngine> OpenEmbeddedAsync(
        ILedger ledger,
        OrchestrationRegistry registry,
        ILoggerFactory? loggers = null,
        TimeProvider? clock = null,
        EmbeddedOrchestrationOptions? options = null,
        CancellationToken cancellationToken = default) =>
        EmbeddedOrchestrationEngine.OpenAsync(ledger, registry, options, clock, loggers, cancellationToken);

    /// <summary>Registers the engine as <see cref="IOrchestrationClient"/> and the HTTP handlers.</summary>
    public static IServiceCollection AddEmbeddedOrchestrations(this IServiceCollection services, EmbeddedOrchestrationEngine engine)
    {
        services.AddSingleton(engine);
        services.AddSingleton<IOrchestrationClient>(engine);
        services.AddSingleton<OrchestrationEndpoints>();
        return services;
    }

    /// <summary>
    /// Maps the orchestration routes (admin key): GET /api/orchestrations, GET /api/orchestrations/{instanceId},
    /// POST /api/orchestrations/{instanceId}/events/{eventName}, POST …/terminate, POST …/rewind.
    /// </summary>
    public static IEndpointRouteBuilder MapOrchestrationApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/orchestrations", (HttpRequest request, OrchestrationEndpoints endpoints) => endpoints.ListAsync(request));
        app.MapGet("/api/orchestrations/{instanceId}", (HttpRequest request, string instanceId, OrchestrationEndpoints endpoints) => endpoints.GetAsync(request, instanceId));
        app.MapPost("/api/orchestrations/{instanceId}/events/{eventName}",
            (HttpRequest request, string instanceId, string eventName, OrchestrationEndpoints endpoints) => endpoints.RaiseEventAsync(request, instanceId, eventName));
        app.MapPost("/api/orchestrations/{instanceId}/terminate", (HttpRequest request, string instanceId, OrchestrationEndpoints endpoints) => endpoints.TerminateAsync(request, instanceId));
        app.MapPost("/api/orchestrations/{instanceId}/rewind", (HttpRequest request, string instanceId, OrchestrationEndpoints endpoints) => endpoints.RewindAsync(request, instanceId));
        return app;
    }
}
