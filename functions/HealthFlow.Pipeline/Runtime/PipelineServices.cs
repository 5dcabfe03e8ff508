using HealthFlow.Pipeline.Http;
using HealthFlow.Pipeline.Ingestion;
using HealthFlow.Pipeline.Ingestion.Fhir;
using HealthFlow.Pipeline.Ingestion.Hl7;
using HealthFlow.Pipeline.Ingestion.X12;
using Microsoft.Extensions.DependencyInjection;

namespace HealthFlow.Pipeline.Runtime;

/// <summary>
/// The Pipeline services both hosts register the same way: one reader per format, the ingestion service and
/// its HTTP endpoints. The host adds what differs (ledger store, bus, keys): <see cref="LocalRuntime"/> on the data
/// folder, the Functions app on Azure resources.
/// </summary>
public static class PipelineServices
{
    public static IServiceCollection AddHealthFlowIngestion(this IServiceCollection services)
    {
        services.AddSingleton<IPayloadProcessor, X12Processor>();
        services.AddSingleton<IPayloadProcessor, FhirProcessor>();
        services.AddSingleton<IPayloadProcessor, Hl7Processor>();
        services.AddSingleton<IngestionService>();
        services.AddSingleton<IngestionEndpoints>();
        services.AddSingleton<HealthEndpoint>();
        return services;
    }
}
