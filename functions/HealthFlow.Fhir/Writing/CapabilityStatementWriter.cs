using System.Text.Json;

namespace HealthFlow.Fhir;

/// <summary>
/// The CapabilityStatement served at <c>GET /api/fhir/metadata</c>: FHIR 4.0.1, JSON only, <c>create</c> for each
/// mapped resource type and <c>transaction</c>/<c>batch</c> on the system. Deterministic: the caller supplies the date.
/// </summary>
public static class CapabilityStatementWriter
{
    /// <summary>The resource types accepted by <c>POST /api/fhir</c> (alone or in a Bundle).</summary>
    public static IReadOnlyList<string> AcceptedResourceTypes { get; } = Array.AsReadOnly(FhirJsonParser.MappedResourceTypes);

    /// <summary>Writes the CapabilityStatement.</summary>
    /// <param name="writer">Destination.</param>
    /// <param name="date">Publication date (FHIR dateTime), e.g. the build date.</param>
    /// <param name="softwareVersion">The HealthFlow version.</param>
    public static void Write(Utf8JsonWriter writer, DateOnly date, string softwareVersion)
    {
        writer.WriteStartObject();
        writer.WriteString("resourceType", "CapabilityStatement");
        writer.WriteString("status", "active");
        writer.WriteString("date", date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        writer.WriteString("publisher", "HealthFlow");
        writer.WriteString("kind", "instance");
        writer.WriteStartObject("software");
        writer.WriteString("name", "HealthFlow");
        writer.WriteString("version", softwareVersion);
        writer.WriteEndObject();
        writer.WriteStartObject("implementation");
        writer.WriteString("description", "HealthFlow FHIR R4 financial ingestion: POST a resource or a transaction/batch Bundle to /api/fhir");
        writer.WriteEndObject();
        writer.WriteString("fhirVersion", "4.0.1");
        writer.WriteStartArray("format");
        writer.WriteStringValue("application/fhir+json");
        writer.WriteStringValue("json");
        writer.WriteEndArray();
        writer.WriteStartArray("rest");
        writer.WriteStartObject();
        writer.WriteString("mode", "server");
        writer.WriteString("documentation",
            "Accepted resources are read, validated and turned into financial events. Transaction Bundles are all-or-nothing; batch Bundles are accepted entry by entry. Rejections answer 422 with an OperationOutcome.");
        writer.WriteStartArray("resource");
        foreach (var type in AcceptedResourceTypes)
        {
            writer.WriteStartObject();
            writer.WriteString("type", type);
            writer.WriteStartArray("interaction");
            writer.WriteStartObject();
            writer.WriteString("code", "create");
            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteStartArray("interaction");
        foreach (var code in (string[])["transaction", "batch"])
        {
            writer.WriteStartObject();
            writer.WriteString("code", code);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>The CapabilityStatement as UTF-8 JSON bytes.</summary>
    public static byte[] ToUtf8Bytes(DateOnly date, string softwareVersion, bool indented = false)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = indented }))
        {
            Write(writer, date, softwareVersion);
        }

        return buffer.ToArray();
    }
}
