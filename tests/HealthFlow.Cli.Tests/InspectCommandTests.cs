using System.Text.Json;

namespace HealthFlow.Cli.Tests;

public sealed class InspectCommandTests
{
    [Fact]
    public async Task X12_inspect_prints_the_documented_json_and_exits_0_when_accepted()
    {
        var (exit, output) = await CliRunner.RunAsync("x12", "inspect", CliRunner.Fixture("x12/835-reversal-denial-plb.835"));

        Assert.Equal(0, exit);
        var document = JsonDocument.Parse(output).RootElement;
        var transaction = document.GetProperty("transactions")[0];
        Assert.Equal("835", transaction.GetProperty("type").GetString());
        Assert.True(transaction.GetProperty("accepted").GetBoolean());
        var remittance = transaction.GetProperty("remittance");
        foreach (var name in new[] { "payer", "payee", "traceNumber", "paymentAmount", "balanced", "difference", "claims", "providerAdjustments" })
            Assert.True(remittance.TryGetProperty(name, out _), $"remittance.{name} is missing");
        Assert.Contains(remittance.GetProperty("claims").EnumerateArray(), c => c.GetProperty("status").GetString() == "22");
    }

    [Fact]
    public async Task X12_inspect_exits_2_for_a_rejected_transaction_set()
    {
        var (exit, output) = await CliRunner.RunAsync("x12", "inspect", CliRunner.Fixture("x12/835-wrong-counts-bad-amount.835"));

        Assert.Equal(2, exit);
        Assert.NotEmpty(JsonDocument.Parse(output).RootElement.GetProperty("errors").EnumerateArray());
    }

    [Fact]
    public async Task X12_ack_prints_the_999()
    {
        var (exit, output) = await CliRunner.RunAsync("x12", "ack", CliRunner.Fixture("x12/835-reversal-denial-plb.835"));

        Assert.Equal(0, exit);
        Assert.Contains("ST*999*", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hl7_inspect_prints_events_and_the_ack()
    {
        var (exit, output) = await CliRunner.RunAsync("hl7", "inspect", CliRunner.Fixture("hl7/adt_a03_cerner_v23_crlf.hl7"));

        Assert.Equal(0, exit);
        var document = JsonDocument.Parse(output).RootElement;
        Assert.True(document.GetProperty("accepted").GetBoolean());
        Assert.Contains(document.GetProperty("events").EnumerateArray(), e => e.GetProperty("type").GetString() == "EncounterDischarged");
        Assert.Contains("MSA|AA", document.GetProperty("ack").GetString(), StringComparison.Ordinal);
    }
}

public sealed class FhirInspectCommandTests
{
    [Fact]
    public async Task Fhir_inspect_prints_accepted_events_and_outcome()
    {
        var fixture = Directory.GetFiles(Path.GetDirectoryName(CliRunner.Fixture("fhir/x"))!, "*.json").First(f => f.Contains("bundle", StringComparison.OrdinalIgnoreCase));
        var (exit, output) = await CliRunner.RunAsync("fhir", "inspect", fixture);

        var document = System.Text.Json.JsonDocument.Parse(output).RootElement;
        Assert.Equal(document.GetProperty("accepted").GetBoolean() ? 0 : 2, exit);
        Assert.True(document.TryGetProperty("events", out _));
        Assert.Equal("OperationOutcome", document.GetProperty("outcome").GetProperty("resourceType").GetString());
    }

    [Fact]
    public async Task Fhir_inspect_exits_2_for_a_rejected_resource()
    {
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, "{\"resourceType\":\"Claim\",");
        var (exit, _) = await CliRunner.RunAsync("fhir", "inspect", file);
        File.Delete(file);
        Assert.Equal(2, exit);
    }
}
