using System.Text;
using System.Text.Json;

namespace HealthFlow.X12.Tests;

public sealed class InspectReportTests
{
    private static (bool Accepted, JsonElement Root, string Text) Inspect(byte[] input)
    {
        using var output = new MemoryStream();
        bool accepted;
        using (var writer = new Utf8JsonWriter(output))
        {
            accepted = X12InspectReport.Write(new MemoryStream(input), writer, X12TestFiles.Tokenize);
        }

        var text = Encoding.UTF8.GetString(output.ToArray());
        return (accepted, JsonDocument.Parse(text).RootElement.Clone(), text);
    }

    [Fact]
    public void Inspect_of_a_remittance_has_the_agreed_names_and_raw_decimals()
    {
        var (accepted, root, text) = Inspect(X12TestFiles.Fixture("835-reversal-denial-plb.835"));
        Assert.True(accepted);
        var transaction = Assert.Single(root.GetProperty("transactions").EnumerateArray());
        Assert.Equal("835", transaction.GetProperty("type").GetString());
        Assert.Equal("000000101", transaction.GetProperty("interchangeControlNumber").GetString());
        Assert.Equal("1", transaction.GetProperty("groupControlNumber").GetString());
        Assert.Equal("0001", transaction.GetProperty("controlNumber").GetString());
        Assert.Equal(("PAYERSYS", "HOSPITAL"), (transaction.GetProperty("sender").GetString(), transaction.GetProperty("receiver").GetString()));
        Assert.True(transaction.GetProperty("accepted").GetBoolean());
        var remittance = transaction.GetProperty("remittance");
        Assert.Equal(("ACME HEALTH PLAN", "GENERAL HOSPITAL", "TRC20260110A"),
            (remittance.GetProperty("payer").GetString(), remittance.GetProperty("payee").GetString(), remittance.GetProperty("traceNumber").GetString()));
        Assert.Contains("\"paymentAmount\":152.34", text, StringComparison.Ordinal);
        Assert.Contains("\"difference\":0.00", text, StringComparison.Ordinal);
        Assert.True(remittance.GetProperty("balanced").GetBoolean());
        var claims = remittance.GetProperty("claims").EnumerateArray().ToList();
        Assert.Equal(4, claims.Count);
        Assert.Equal("22", claims[2].GetProperty("status").GetString());
        Assert.Contains("\"charge\":-400.00", text, StringComparison.Ordinal);
        Assert.Contains("\"paid\":0.00", text, StringComparison.Ordinal);
        var adjustment = claims[0].GetProperty("adjustments")[0];
        Assert.Equal(("PR", "1", 50.00m), (adjustment.GetProperty("group").GetString(), adjustment.GetProperty("reason").GetString(), adjustment.GetProperty("amount").GetDecimal()));
        Assert.Equal(2, claims[0].GetProperty("serviceLines").GetArrayLength());
        Assert.Equal(3, remittance.GetProperty("providerAdjustments").GetArrayLength());
        Assert.Equal("L6", remittance.GetProperty("providerAdjustments")[0].GetProperty("reason").GetString());
        Assert.Equal(0, root.GetProperty("errors").GetArrayLength());
        Assert.DoesNotContain("DOE", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_of_claims_lists_control_number_total_lines_and_frequency()
    {
        var (_, root, _) = Inspect(X12TestFiles.Fixture("837p-two-claims.837"));
        var claims = root.GetProperty("transactions")[0].GetProperty("claims");
        Assert.Equal("837P", root.GetProperty("transactions")[0].GetProperty("type").GetString());
        Assert.Equal(("PCN5002", 90.00m, 1, "7"),
            (claims[1].GetProperty("controlNumber").GetString(), claims[1].GetProperty("totalCharge").GetDecimal(),
             claims[1].GetProperty("serviceLineCount").GetInt32(), claims[1].GetProperty("frequencyCode").GetString()));
    }

    [Fact]
    public void Inspect_of_a_rejected_set_reports_errors_with_interchange_positions()
    {
        var (accepted, root, _) = Inspect(X12TestFiles.Fixture("835-wrong-counts-bad-amount.835"));
        Assert.False(accepted);
        Assert.False(root.GetProperty("transactions")[0].GetProperty("accepted").GetBoolean());
        var errors = root.GetProperty("errors").EnumerateArray()
            .Select(e => (e.GetProperty("code").GetString(), e.GetProperty("segment").GetString(), e.GetProperty("position").GetInt32())).ToList();
        Assert.Contains(("IK403-6", "CLP", 15), errors);
        Assert.Contains(("IK502-4", "SE", 18), errors);
        Assert.Contains(("AK905-5", "GE", 19), errors);
        Assert.Contains(("TA105-001", "IEA", 20), errors);
    }

    [Fact]
    public void Inspect_of_non_x12_input_is_not_accepted_and_says_why()
    {
        var (accepted, root, _) = Inspect(Encoding.UTF8.GetBytes("{\"resourceType\":\"Patient\"}"));
        Assert.False(accepted);
        Assert.Equal(0, root.GetProperty("transactions").GetArrayLength());
        Assert.Equal("NOT_X12", root.GetProperty("errors")[0].GetProperty("code").GetString());
    }

    [Fact]
    public void Ack_text_is_a_999_for_a_valid_file()
    {
        using var output = new MemoryStream();
        var accepted = X12InspectReport.WriteAcknowledgements(new MemoryStream(X12TestFiles.Fixture("837i-inpatient.837")), output,
            new X12AckEnvelope(1, 1, new DateTimeOffset(2026, 1, 11, 0, 0, 0, TimeSpan.Zero)));
        Assert.True(accepted);
        var text = Encoding.Latin1.GetString(output.ToArray());
        Assert.Contains("AK2*837*0001*005010X223A2~\nIK5*A~\nAK9*A*1*1*1~", text, StringComparison.Ordinal);
    }
}
