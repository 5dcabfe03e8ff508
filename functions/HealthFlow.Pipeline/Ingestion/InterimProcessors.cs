using System.Text.Json;

namespace HealthFlow.Pipeline.Ingestion;

// Stand-ins until the X12, FHIR and HL7 readers are wired in: they check only that the payload is of the
// right kind and publish nothing. Replaced by the real processors in the same session.

internal sealed class InterimX12Processor : IPayloadProcessor
{
    public PayloadFormat Format => PayloadFormat.X12;

    public ProcessingResult Process(ReadOnlyMemory<byte> payload, ProcessingContext context) =>
        IdempotencyKeys.ForInterchange(context.Vendor, payload.Span) is null
            ? ProcessingResult.Reject(["not an X12 interchange: no ISA segment at the start"])
            : ProcessingResult.Accept([]);
}

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
