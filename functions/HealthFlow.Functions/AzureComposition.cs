using System.Globalization;
using Azure.Core;
using Azure.Identity;
using Azure.Messaging.ServiceBus;
using Azure.Monitor.OpenTelemetry.Exporter;
using HealthFlow.Finance;
using HealthFlow.Ledger;
using HealthFlow.Ledger.Storage;
using HealthFlow.Pipeline.Bus;
using HealthFlow.Pipeline.Erp;
using HealthFlow.Pipeline.Http;
using HealthFlow.Pipeline.Ingestion;
using HealthFlow.Pipeline.Orchestration;
using HealthFlow.Pipeline.Reconciliation;
using HealthFlow.Pipeline.Runtime;
using HealthFlow.Pipeline.Security;
using HealthFlow.Pipeline.Telemetry;
using HealthFlow.Pipeline.Workflows;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace HealthFlow.Functions;

/// <summary>
/// The Pipeline services on Azure resources, registered the way <c>LocalRuntime</c> registers them on the data
/// folder: the ledger on Azure Blob Storage, the topic bus on Service Bus, keys from Key Vault references. Every
/// connection uses the app's user-assigned managed identity (settings in docs/AZURE.md, "Settings").
/// </summary>
public static class AzureComposition
{
    public static async Task AddHealthFlowOnAzureAsync(this IServiceCollection services, IConfiguration configuration)
    {
        // AZURE_CLIENT_ID selects the user-assigned identity; on a developer machine the same code uses `az login`.
        TokenCredential credential = new DefaultAzureCredential(new DefaultAzureCredentialOptions
        {
            ManagedIdentityClientId = configuration["AZURE_CLIENT_ID"],
        });

        var store = AzureBlobStore.FromTokenCredential(new Uri(Required(configuration, "Ledger:ContainerUri")), credential);
        // LedgerOptions' default rolls a segment over at 49,000 appends, under the 50,000-block append blob limit. Every
        // instance appends to the same partition, so each reads the others' appends before its read models answer.
        var ledger = await BlobLedger.OpenAsync(store, new LedgerOptions { SharedWithOtherWriters = true }, TimeProvider.System);

        var serviceBusNamespace = Required(configuration, "ServiceBusConnection:fullyQualifiedNamespace");
        // The file gateway's default folder is under HealthFlow__Data: in Azure, an instance's temporary disk.
        if (string.Equals(configuration["Erp:Gateway"] ?? "file", "file", StringComparison.OrdinalIgnoreCase) && string.IsNullOrEmpty(configuration["Erp:File:Folder"]))
            throw new InvalidOperationException(
                "Erp__Gateway is 'file' without Erp__File__Folder: journals would go to the instance's temporary disk. Set the erpGateway parameter of infra/main.bicep (docs/ERP.md), or point Erp__File__Folder at a mounted share.");

        var tokenKey = Convert.FromBase64String(Required(configuration, "Ledger:PatientTokenKey"));
        var payloadKey = string.Equals(configuration["Ledger:EncryptPayloads"], "true", StringComparison.OrdinalIgnoreCase)
            ? Convert.FromBase64String(Required(configuration, "Ledger:PayloadKey"))
            : null;

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(store);
        services.AddSingleton(ledger);
        services.AddSingleton<ILedger>(ledger);
        // Factories, so the container owns (and disposes) the client and its senders.
        services.AddSingleton(_ => new ServiceBusClient(serviceBusNamespace, credential));
        services.AddSingleton(BusTopology.LoadEmbedded());
        services.AddSingleton<ITopicBus>(provider => new ServiceBusTopicBus(provider.GetRequiredService<ServiceBusClient>(), provider.GetRequiredService<BusTopology>(), ledger));
        services.AddSingleton(VendorDirectory.FromConfiguration(configuration));
        services.AddSingleton(new IngestionOptions
        {
            MaxBodyBytes = long.Parse(configuration["HealthFlow:MaxBodyBytes"] ?? "67108864", CultureInfo.InvariantCulture),
        });
        services.AddSingleton(new PayloadProtector(payloadKey));
        services.AddSingleton(new PatientTokenizer(tokenKey));
        // The same readers, ingestion service and endpoints as the local runtime.
        services.AddHealthFlowIngestion();
        // The same workflows: orchestrators and activities (run by WorkflowFunctions through the registry), master data,
        // read models, exceptions book, and the ERP gateway (Erp__*, from the template's erpGateway and erpSettings).
        services.AddSingleton(new OrchestrationRegistry().AddWorkflows());
        var dataFolder = new DataFolder(configuration["HealthFlow:Data"] is { Length: > 0 } data ? data : Path.Combine(Path.GetTempPath(), "healthflow"));
        services.AddErpGateway(configuration, dataFolder);
        services.AddWorkflows(configuration);
        // The reporting CSVs live in the reporting container; the instance's disk holds only a working copy (ReportingContainer).
        services.AddSingleton(new ReportingContainer(AzureBlobStore.FromTokenCredential(new Uri(Required(configuration, "Ledger:ReportingContainerUri")), credential)));
        services.AddReconciliation(configuration, dataFolder);
        services.AddSingleton<IDailyChecks, ReconciliationDailyChecks>();

        // The healthflow.* metrics the alert rules read (infra/monitoring/*.kql) go to Application Insights with the app's
        // identity (its local authentication is off); APPLICATIONINSIGHTS_CONNECTION_STRING (set by bicep/functionapp.bicep)
        // names the component. Program.cs resolves the provider so the export starts with the host.
        if (configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"] is { Length: > 0 } applicationInsights)
        {
            services.AddSingleton(provider =>
            {
                provider.GetRequiredService<HealthFlowMetrics>(); // its instruments exist before the first collection
                return Sdk.CreateMeterProviderBuilder()
                    .AddMeter(HealthFlowMetrics.MeterName)
                    .AddAzureMonitorMetricExporter(options =>
                    {
                        options.ConnectionString = applicationInsights;
                        options.Credential = credential;
                    })
                    .Build();
            });
        }
    }

    private static string Required(IConfiguration configuration, string key) =>
        configuration[key] is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"The app setting '{key.Replace(":", "__", StringComparison.Ordinal)}' is missing; infra/main.bicep sets it (docs/AZURE.md, \"Settings\").");
}
