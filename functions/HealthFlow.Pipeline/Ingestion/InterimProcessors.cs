using System.Text.Json;

namespace HealthFlow.Pipeline.Ingestion;

// Stand-in until the FHIR reader is wired in: it checks only that the payload is a FHIR resource and
// publishes nothing.

internal sealed class InterimFhirProcessor : IPayloadProcessor
{
    public PayloadFormat Format => PayloadFormat.Fhir;

    public ProcessingResult Process(ReadOnlyMemory<byte> payload, ProcessingContext context)
    {
        try
        {
            using var document = JsonDocument.Parse(payload);
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("resourceType", out _)
                ? ProcessingResult.Accept([])
                : ProcessingResult.Reject(["not a FHIR resource: no resourceType"]);
        }
        catch (JsonException)
        {
            return ProcessingResult.Reject(["not valid JSON"]);
        }
    }
}
