using System.Text.Json;

namespace HealthFlow.Fhir.Tests;

/// <summary>OperationOutcome, CapabilityStatement and the inspect report are valid JSON with the agreed names.</summary>
public sealed class WriterTests
{
    [Fact]
    public void OperationOutcome_is_written_as_a_fhir_resource_with_expression_arrays()
    {
        var result = TestSupport.Read("""{"resourceType":"Claim","id":"c"}""");
        using var document = JsonDocument.Parse(OperationOutcomeWriter.ToUtf8Bytes(result.Outcome));
        var root = document.RootElement;

        Assert.Equal("OperationOutcome", root.GetProperty("resourceType").GetString());
        var issues = root.GetProperty("issue").EnumerateArray().ToList();
        Assert.Equal(result.Outcome.Issues.Length, issues.Count);
        var status = issues.Single(i => i.TryGetProperty("expression", out var e) && e[0].GetString() == "Claim.status");
        Assert.Equal("error", status.GetProperty("severity").GetString());
        Assert.Equal("required", status.GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(status.GetProperty("diagnostics").GetString()));
    }

    [Fact]
    public void Empty_outcome_still_has_one_information_issue()
    {
        using var document = JsonDocument.Parse(OperationOutcomeWriter.ToUtf8Bytes(OperationOutcome.Empty));
        var issue = Assert.Single(document.RootElement.GetProperty("issue").EnumerateArray());

        Assert.Equal("information", issue.GetProperty("severity").GetString());
        Assert.Equal("informational", issue.GetProperty("code").GetString());
    }

    [Fact]
    public void Every_issue_type_and_severity_has_a_fhir_code()
    {
        foreach (var code in Enum.GetValues<IssueType>())
        {
            Assert.Matches("^[a-z-]+$", OperationOutcome.ToCode(code));
        }

        foreach (var severity in Enum.GetValues<IssueSeverity>())
        {
            Assert.Matches("^[a-z]+$", OperationOutcome.ToCode(severity));
        }
    }

    [Fact]
    public void CapabilityStatement_declares_r4_json_create_per_resource_and_transaction_and_batch()
    {
        using var document = JsonDocument.Parse(CapabilityStatementWriter.ToUtf8Bytes(new DateOnly(2026, 11, 21), "1.0.0"));
        var root = document.RootElement;

        Assert.Equal("CapabilityStatement", root.GetProperty("resourceType").GetString());
        Assert.Equal("4.0.1", root.GetProperty("fhirVersion").GetString());
        Assert.Equal("2026-11-21", root.GetProperty("date").GetString());
        Assert.Contains("application/fhir+json", root.GetProperty("format").EnumerateArray().Select(f => f.GetString()));
        var rest = root.GetProperty("rest")[0];
        Assert.Equal("server", rest.GetProperty("mode").GetString());
        var resources = rest.GetProperty("resource").EnumerateArray().ToDictionary(r => r.GetProperty("type").GetString()!, r => r);
        Assert.Equal(CapabilityStatementWriter.AcceptedResourceTypes.Order(StringComparer.Ordinal), resources.Keys.Order(StringComparer.Ordinal));
        Assert.All(resources.Values, r => Assert.Equal("create", r.GetProperty("interaction")[0].GetProperty("code").GetString()));
        Assert.Equal(["transaction", "batch"], rest.GetProperty("interaction").EnumerateArray().Select(i => i.GetProperty("code").GetString()));
    }

    [Fact]
    public void Inspect_report_has_accepted_events_and_outcome_with_the_agreed_names()
    {
        var result = TestSupport.ReadFixture("bundle-transaction-episode.json");
        using var document = JsonDocument.Parse(FhirInspectReport.ToUtf8Bytes(result, "receipt-123"));
        var root = document.RootElement;

        Assert.True(root.GetProperty("accepted").GetBoolean());
        var events = root.GetProperty("events").EnumerateArray().ToList();
        Assert.Equal(5, events.Count);
        Assert.All(events, e =>
        {
            Assert.False(string.IsNullOrEmpty(e.GetProperty("type").GetString()));
            Assert.False(string.IsNullOrEmpty(e.GetProperty("idempotencyKey").GetString()));
            Assert.Equal("receipt-123", e.GetProperty("correlationId").GetString());
        });
        var claim = events.Single(e => e.GetProperty("type").GetString() == "ClaimSubmitted");
        Assert.Equal(182.62m, claim.GetProperty("amount").GetDecimal());
        Assert.Equal("USD", claim.GetProperty("currency").GetString());
        Assert.Equal("OperationOutcome", root.GetProperty("outcome").GetProperty("resourceType").GetString());
    }

    [Fact]
    public void Inspect_report_of_a_rejected_document_has_no_events()
    {
        var result = TestSupport.Read("{not json");
        using var document = JsonDocument.Parse(FhirInspectReport.ToUtf8Bytes(result, "r"));

        Assert.False(document.RootElement.GetProperty("accepted").GetBoolean());
        Assert.Empty(document.RootElement.GetProperty("events").EnumerateArray());
        Assert.Equal("fatal", document.RootElement.GetProperty("outcome").GetProperty("issue")[0].GetProperty("severity").GetString());
    }

    [Fact]
    public void Inspect_report_amounts_keep_every_decimal_digit()
    {
        var events = new[] { new FhirInspectEvent("PaymentReceived", "k", "c") { Amount = 112.41600000000001m, Currency = "USD" } };
        using var document = JsonDocument.Parse(FhirInspectReport.ToUtf8Bytes(true, events, OperationOutcome.Empty));

        Assert.Equal("112.41600000000001", document.RootElement.GetProperty("events")[0].GetProperty("amount").GetRawText());
    }
}
