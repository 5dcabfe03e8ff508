using System.Text.Json;

namespace HealthFlow.Fhir;

/// <summary>Writes an <see cref="OperationOutcome"/> as a FHIR R4 OperationOutcome resource (application/fhir+json).</summary>
public static class OperationOutcomeWriter
{
    /// <summary>Writes the resource as the current JSON value of <paramref name="writer"/>.</summary>
    public static void Write(Utf8JsonWriter writer, OperationOutcome outcome)
    {
        writer.WriteStartObject();
        writer.WriteString("resourceType", "OperationOutcome");
        writer.WriteStartArray("issue");
        if (outcome.Issues.IsEmpty)
        {
            // R4 requires at least one issue: say that all went well.
            WriteIssue(writer, new OperationOutcomeIssue(IssueSeverity.Information, IssueType.Informational, "All OK", null));
        }

        foreach (var issue in outcome.Issues)
        {
            WriteIssue(writer, issue);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>The resource as UTF-8 JSON bytes.</summary>
    public static byte[] ToUtf8Bytes(OperationOutcome outcome, bool indented = false)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = indented }))
        {
            Write(writer, outcome);
        }

        return buffer.ToArray();
    }

    private static void WriteIssue(Utf8JsonWriter writer, OperationOutcomeIssue issue)
    {
        writer.WriteStartObject();
        writer.WriteString("severity", OperationOutcome.ToCode(issue.Severity));
        writer.WriteString("code", OperationOutcome.ToCode(issue.Code));
        writer.WriteString("diagnostics", issue.Diagnostics);
        if (issue.Expression is not null)
        {
            writer.WriteStartArray("expression");
            writer.WriteStringValue(issue.Expression);
            writer.WriteEndArray();
        }

        writer.WriteEndObject();
    }
}
