using System.Diagnostics;
using System.Globalization;
using System.Net;
using HealthFlow.Finance;
using HealthFlow.Ledger;
using HealthFlow.Ledger.Storage;
using HealthFlow.Pipeline.Bus;
using HealthFlow.Pipeline.Erp;
using HealthFlow.Pipeline.Orchestration;
using HealthFlow.Pipeline.ReadModels;
using HealthFlow.Pipeline.Reconciliation;
using HealthFlow.Pipeline.Replay;
using HealthFlow.Pipeline.Workflows;
using HealthFlow.Pipeline.Http;
using HealthFlow.Pipeline.Ingestion;
using HealthFlow.Pipeline.Mllp;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using HealthFlow.Pipeline.Security;
using HealthFlow.Pipeline.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace HealthFlow.Pipeline.Runtime;

/// <summary>
/// HealthFlow on one machine with no cloud: Kestrel on the Functions app's routes (and MLLP), the ledger on the
/// file store in the data folder, the embedded bus and durable engine on the ledger, the two workflows, and the
/// ERP gateway (the file sink by default). <c>healthflow serve</c> runs it; tests start it on
/// a free loopback port.
/// </summary>
public sealed class LocalRuntime : IAsyncDisposable
{
    public const string DefaultUrls = "http://127.0.0.1:7071";
    public const string DefaultDataFolder = "./.healthflow";

    private readonly WebApplication _app;
    private readonly FileBlobStore _store;
    private readonly BlobLedger _ledger;
    private readonly EmbeddedTopicBus _bus;
    private readonly EmbeddedOrchestrationEngine _engine;
    private readonly ActivityListener _traces;

    private LocalRuntime(WebApplication app, FileBlobStore store, BlobLedger ledger, EmbeddedTopicBus bus, EmbeddedOrchestrationEngine engine,
        ActivityListener traces, DataFolder data, VendorDirectory vendors)
    {
        _engine = engine;
        _app = app;
        _store = store;
        _ledger = ledger;
        _bus = bus;
        _traces = traces;
        Data = data;
        Vendors = vendors;
    }

    /// <summary>The HTTP address Kestrel listens on (the actual port when 0 was asked for).</summary>
    public Uri Address => new(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
        .First(a => MllpEndpoint is null || new Uri(a).Port != MllpEndpoint.Port));

    /// <summary>Where the MLLP listener accepts HL7 v2 connections, or null when it is off.</summary>
    public IPEndPoint? MllpEndpoint { get; private init; }

    public DataFolder Data { get; }

    public VendorDirectory Vendors { get; }

    public BlobLedger Ledger => _ledger;

    public ITopicBus Bus => _bus;

    public IOrchestrationClient Orchestrations => _engine;

    public IServiceProvider Services => _app.Services;

    /// <summary>Opens the data folder, recovers the ledger and unfinished receipts, and starts listening.</summary>
    public static Task<LocalRuntime> StartAsync(IConfiguration configuration, CancellationToken cancellationToken = default) =>
        StartAsync(configuration, logs: null, cancellationToken);

    /// <summary>As <see cref="StartAsync(IConfiguration, CancellationToken)"/>, with <paramref name="logs"/> receiving every log
    /// entry the console gets (the PHI scan reads them).</summary>
    public static async Task<LocalRuntime> StartAsync(IConfiguration configuration, ILoggerProvider? logs, CancellationToken cancellationToken = default)
    {
        var data = new DataFolder(configuration["HealthFlow:Data"] ?? DefaultDataFolder);
        var urls = configuration["HealthFlow:Urls"] ?? DefaultUrls;
        var vendors = VendorDirectory.FromConfiguration(configuration);
        var ingestionOptions = new IngestionOptions
        {
            MaxBodyBytes = long.Parse(configuration["HealthFlow:MaxBodyBytes"] ?? "67108864", CultureInfo.InvariantCulture),
            BodyTimeout = TimeSpan.FromSeconds(double.Parse(configuration["HealthFlow:BodyTimeoutSeconds"] ?? "60", CultureInfo.InvariantCulture)),
        };
        var headersTimeout = TimeSpan.FromSeconds(double.Parse(configuration["HealthFlow:RequestHeadersTimeoutSeconds"] ?? "30", CultureInfo.InvariantCulture));

        // Every request gets a W3C trace context (incoming traceparent honoured, a new one otherwise).
        var traces = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "Microsoft.AspNetCore" or "HealthFlow",
            Sample = (ref ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => ActivitySamplingResult.AllData,
        };
        ActivitySource.AddActivityListener(traces);

        var store = FileBlobStore.OpenWritable(data.Path);
        BlobLedger? ledger = null;
        EmbeddedOrchestrationEngine? engine = null;
        try
        {
            // The file store has no per-blob block limit, so segments roll over by size only.
            ledger = await BlobLedger.OpenAsync(store, new LedgerOptions { SegmentMaxAppends = int.MaxValue }, TimeProvider.System, cancellationToken);
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
            builder.Configuration.AddConfiguration(configuration);
            builder.Logging.ClearProviders();
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.IncludeScopes = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
            });
            if (logs is not null)
                builder.Logging.AddProvider(logs);
            builder.Logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
            builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
            var mllp = MllpOptions.FromConfiguration(configuration);
            ListenOptions? mllpListener = null;
            builder.WebHost.ConfigureKestrel(k =>
            {
                // The ingestion endpoint enforces the body limit itself so the 413 carries a problem+json body.
                k.Limits.MaxRequestBodySize = null;
                // Slow clients: headers must arrive within the headers timeout; a body at no less than Kestrel's minimum
                // rate (240 B/s after 5 s) and whole within the ingestion body timeout (IngestionOptions.BodyTimeout).
                k.Limits.RequestHeadersTimeout = headersTimeout;
                foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    var uri = new Uri(url);
                    var address = uri.Host == "localhost" ? IPAddress.Loopback : IPAddress.Parse(uri.Host);
                    k.Listen(address, uri.Port);
                }
                if (mllp.Endpoint is { } endpoint)
                    k.Listen(endpoint, l => { mllpListener = l; l.UseConnectionHandler<MllpConnectionHandler>(); });
            });

            var loggerFactory = LoggerFactory.Create(l =>
            {
                l.AddSimpleConsole(o => o.SingleLine = true).AddFilter(level => level >= LogLevel.Warning);
                if (logs is not null)
                    l.AddProvider(logs);
            });
            var bus = await EmbeddedTopicBus.OpenAsync(ledger, BusTopology.LoadEmbedded(), new EmbeddedBusOptions
                {
                    CheckpointStore = store,
                    BacklogMaxPerSubscription = int.Parse(configuration["Bus:BacklogMaxPerSubscription"] ?? "10000", CultureInfo.InvariantCulture),
                }, TimeProvider.System,
                loggerFactory.CreateLogger<EmbeddedTopicBus>(), cancellationToken);

            var tokenKey = configuration["Ledger:PatientTokenKey"] is { Length: > 0 } configuredToken
                ? Convert.FromBase64String(configuredToken)
                : data.LoadOrCreateKey("patient-token.key", 32);
            var payloadKey = configuration["Ledger:PayloadKey"] is { Length: > 0 } configuredPayload
                ? Convert.FromBase64String(configuredPayload)
                : string.Equals(configuration["Ledger:EncryptPayloads"], "true", StringComparison.OrdinalIgnoreCase) ? data.LoadOrCreateKey("payload.key", 32) : null;

            var services = builder.Services;
            services.AddSingleton(TimeProvider.System);
            services.AddSingleton(data);
            services.AddSingleton(store);
            services.AddSingleton(ledger);
            services.AddSingleton<ILedger>(ledger);
            services.AddSingleton<ITopicBus>(bus);
            services.AddSingleton(vendors);
            services.AddSingleton(ingestionOptions);
            services.AddSingleton(new PayloadProtector(payloadKey));
            services.AddSingleton(new PatientTokenizer(tokenKey));
            services.AddHealthFlowIngestion();
            services.AddSingleton(MllpSources.FromConfiguration(configuration));
            services.AddSingleton(mllp);
            services.AddErpGateway(configuration, data);
            engine = await OrchestrationRegistration.OpenEmbeddedAsync(ledger, new OrchestrationRegistry().AddWorkflows(), loggerFactory, TimeProvider.System,
                cancellationToken: cancellationToken);
            services.AddEmbeddedOrchestrations(engine);
            services.AddWorkflows(configuration);
            services.AddReconciliation(configuration, data);
            services.AddOtlpMetricsExport(configuration);
            services.AddReplay();
            services.AddSingleton<LiveReadModels>();

            var app = builder.Build();
            app.Services.GetRequiredService<OtlpMetricsExport>();
            app.MapHealthFlowApi();
            app.MapOrchestrationApi();
            app.MapExceptionApi();
            app.MapReconciliationApi();
            app.MapReplayApi();
            await app.Services.GetRequiredService<IngestionService>().StartAsync(cancellationToken);
            // Workflows:Enabled=false runs ingestion alone (events wait on their topics), e.g. to measure it.
            var workflows = !string.Equals(configuration["Workflows:Enabled"], "false", StringComparison.OrdinalIgnoreCase);
            if (workflows)
                await WorkflowRegistration.LoadWorkflowReadModelsAsync(app.Services, cancellationToken);
            await engine.StartAsync(app.Services, cancellationToken);
            if (workflows)
                await WorkflowRegistration.StartWorkflowsAsync(app.Services, cancellationToken);
            await app.Services.GetRequiredService<LiveReadModels>().StartAsync(cancellationToken);
            await app.StartAsync(cancellationToken);
            app.Services.GetRequiredService<ReconciliationSchedule>().Start();
            return new LocalRuntime(app, store, ledger, bus, engine, traces, data, vendors) { MllpEndpoint = mllpListener?.IPEndPoint };
        }
        catch
        {
            if (engine is not null)
                await engine.DisposeAsync();
            if (ledger is not null)
                await ledger.DisposeAsync();
            store.Dispose();
            traces.Dispose();
            throw;
        }
    }

    /// <summary>Runs until Ctrl+C / SIGTERM.</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        // Stop taking requests, then the routers and the engine, then the bus and the ledger they write to.
        await _app.StopAsync();
        await _app.Services.GetRequiredService<ReconciliationSchedule>().DisposeAsync();
        await _app.Services.GetRequiredService<WorkflowHost>().DisposeAsync();
        await _app.Services.GetRequiredService<LiveReadModels>().DisposeAsync();
        await _engine.DisposeAsync();
        await _app.DisposeAsync();
        await _bus.DisposeAsync();
        await _ledger.DisposeAsync();
        _store.Dispose();
        _traces.Dispose();
    }
}
