using HealthFlow.Pipeline.Ingestion;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace HealthFlow.Pipeline.Http;

/// <summary>The routes of the local runtime, the same as the Functions app's HTTP triggers.</summary>
public static class HealthFlowRoutes
{
    public static IEndpointRouteBuilder MapHealthFlowApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/x12", (HttpRequest request, IngestionEndpoints endpoints) => endpoints.PostAsync(request, PayloadFormat.X12));
        app.MapPost("/api/fhir", (HttpRequest request, IngestionEndpoints endpoints) => endpoints.PostAsync(request, PayloadFormat.Fhir));
        app.MapPost("/api/hl7v2", (HttpRequest request, IngestionEndpoints endpoints) => endpoints.PostAsync(request, PayloadFormat.Hl7v2));
        app.MapGet("/api/receipts/{receiptId}", (HttpRequest request, string receiptId, IngestionEndpoints endpoints) => endpoints.GetReceiptAsync(request, receiptId));
        app.MapGet("/api/fhir/metadata", (TimeProvider clock) => FhirMetadataEndpoint.Get(clock));
        app.MapGet("/api/health", (HealthEndpoint health) => health.Get());
        return app;
    }
}
