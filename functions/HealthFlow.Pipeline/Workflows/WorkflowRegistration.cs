using HealthFlow.Pipeline.Bus;
using HealthFlow.Pipeline.Orchestration;
using HealthFlow.Pipeline.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HealthFlow.Pipeline.Workflows;

/// <summary>
/// Wiring of the two workflows into a host that already has the ledger, bus, patient tokenizer, ERP gateway
/// (<c>AddErpGateway</c>) and the embedded engine:
/// <code>
/// registry.AddWorkflows();                                   // before OpenEmbeddedAsync(…, registry, …)
/// services.AddWorkflows(configuration);
/// app.MapExceptionApi();
/// await WorkflowRegistration.LoadWorkflowReadModelsAsync(app.Services);   // before engine.StartAsync(app.Services)
/// await WorkflowRegistration.StartWorkflowsAsync(app.Services);   // after it
/// </code>
/// The routers stop when the container is disposed (<see cref="WorkflowHost"/> is a disposable singleton).
/// </summary>
public static class WorkflowRegistration
{
    /// <summary>Registers the orchestrators and activities by class name.</summary>
    public static OrchestrationRegistry AddWorkflows(this OrchestrationRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        return registry
            .AddOrchestrator<DischargeToBillOrchestrator>()
            .AddOrchestrator<DischargeReversalOrchestrator>()
            .AddOrchestrator<RemittanceToGlOrchestrator>()
            .AddActivity<CountChargesActivity>()
            .AddActivity<BuildAccrualActivity>()
            .AddActivity<FindAccrualActivity>()
            .AddActivity<BuildRemittanceActivity>()
            .AddActivity<PostJournalsActivity>()
            .AddActivity<ClaimReadyActivity>()
            .AddActivity<RaiseExceptionsActivity>();
    }

    /// <summary>Registers options (<c>Workflows:*</c>), master data, read models, planned posts' members, the exceptions book and endpoints, routers and their host.</summary>
    public static IServiceCollection AddWorkflows(this IServiceCollection services, IConfiguration configuration, WorkflowOptions? options = null)
    {
        services.AddSingleton(options ?? WorkflowOptions.FromConfiguration(configuration));
        services.AddSingleton<MasterDataSource>();
        services.AddSingleton<WorkflowReadModels>();
        services.AddSingleton<PlannedPostMembers>();
        services.AddSingleton<ExceptionBook>();
        services.AddHealthFlowMetrics();
        services.AddSingleton<ExceptionEndpoints>();
        services.AddSingleton<WorkflowRouters>();
        services.AddSingleton<WorkflowHost>();
        return services;
    }

    /// <summary>GET /api/exceptions and POST /api/exceptions/{id}/resolve (admin key).</summary>
    public static IEndpointRouteBuilder MapExceptionApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/exceptions", (HttpRequest request, ExceptionEndpoints endpoints) => endpoints.ListAsync(request));
        app.MapPost("/api/exceptions/{id}/resolve", (HttpRequest request, string id, ExceptionEndpoints endpoints) => endpoints.ResolveAsync(request, id));
        return app;
    }

    /// <summary>Rebuilds the read models from the ledger and starts the routers.</summary>
    public static Task StartWorkflowsAsync(IServiceProvider services, CancellationToken cancellationToken = default) =>
        services.GetRequiredService<WorkflowHost>().StartAsync(cancellationToken);

    /// <summary>
    /// Loads the read models (charges, claims, posted journals, exceptions) from the ledger. Call it before the engine
    /// starts: the activities it resumes after a crash read them, and an empty claim index or journal set would post
    /// matched cash as unapplied or record a journal twice.
    /// </summary>
    public static Task LoadWorkflowReadModelsAsync(IServiceProvider services, CancellationToken cancellationToken = default) =>
        services.GetRequiredService<WorkflowHost>().LoadAsync(cancellationToken);
}

/// <summary>Runs the routers' bus processors; the read models are rebuilt before the first delivery.</summary>
public sealed class WorkflowHost(ITopicBus bus, WorkflowRouters routers, WorkflowReadModels readModels, ExceptionBook exceptions, WorkflowOptions options,
    TimeProvider clock, ILoggerFactory loggers) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private int _loaded;
    private readonly List<Task> _running = [];
    private int _disposed;

    /// <summary>Loads the read models once (see <see cref="WorkflowRegistration.LoadWorkflowReadModelsAsync"/>).</summary>
    public async Task LoadAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _loaded, 1) == 1)
            return;
        await readModels.StartAsync(cancellationToken);
        await exceptions.StartAsync(cancellationToken);
    }

    /// <summary>Loads the read models if not yet done, then starts the routers.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await LoadAsync(cancellationToken);
        var logger = loggers.CreateLogger<WorkflowHost>();
        var exceptionCount = exceptions.List(null).Count;
        Logs.Started(logger, exceptionCount);
        foreach (var (topic, subscription, handler) in routers.Subscriptions)
        {
            var processor = new BusProcessor(bus, topic, subscription, handler, new BusProcessorOptions { MaxConcurrency = options.RouterConcurrency }, clock, loggers.CreateLogger<BusProcessor>());
            _running.Add(processor.RunAsync(_stopping.Token));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
            return;
        await _stopping.CancelAsync();
        await Task.WhenAll(_running);
        _stopping.Dispose();
    }
}
