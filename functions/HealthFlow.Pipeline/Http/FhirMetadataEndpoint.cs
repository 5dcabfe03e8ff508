using HealthFlow.Fhir;
using Microsoft.AspNetCore.Http;

namespace HealthFlow.Pipeline.Http;

/// <summary>GET /api/fhir/metadata: the CapabilityStatement of what <c>POST /api/fhir</c> accepts. Public, as FHIR servers' metadata is.</summary>
public static class FhirMetadataEndpoint
{
    private static readonly string Version = typeof(FhirMetadataEndpoint).Assembly.GetName().Version?.ToString(3) ?? "0.1.0";

    public static IResult Get(TimeProvider clock) =>
        TypedResults.Bytes(CapabilityStatementWriter.ToUtf8Bytes(DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime), Version), "application/fhir+json");
}
