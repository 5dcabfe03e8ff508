using System.Net;
using System.Text;
using System.Text.Json;
using HealthFlow.Hl7;
using HealthFlow.Hl7.Generation;
using HealthFlow.Pipeline.Tests.Support;

namespace HealthFlow.Pipeline.Tests.Ingestion;

public sealed class Hl7ApiTests : IAsyncLifetime
{
    private RuntimeHost _host = null!;

    public async Task InitializeAsync() => _host = await RuntimeHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static Hl7Generator Generator(int seed) =>
        new(seed, new Hl7GeneratorOptions { ControlIdPrefix = "H" + Guid.NewGuid().ToString("N")[..8] });

    private async Task<(HttpStatusCode Status, JsonElement Receipt)> PostAsync(string message, string contentType = "x-application/hl7-v2+er7")
    {
        using var client = _host.Client();
        using var response = await client.PostAsync("/api/hl7v2", RuntimeHost.Body(Encoding.UTF8.GetBytes(message), contentType));
        var body = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, body.Length == 0 ? default : JsonDocument.Parse(body).RootElement.Clone());
    }

    private static string[] Msa(JsonElement receipt)
    {
        var ack = receipt.GetProperty("acknowledgement");
        Assert.Equal("x-application/hl7-v2+er7", ack.GetProperty("contentType").GetString());
        return ack.GetProperty("body").GetString()!.Split('\r').Single(s => s.StartsWith("MSA|", StringComparison.Ordinal)).Split('|');
    }

    [Fact]
    public async Task An_admission_posted_over_http_gets_202_with_the_AA_ack_in_the_receipt()
    {
        var message = Generator(301).NextAdt(Hl7AdtEvent.A01);

        var (status, receipt) = await PostAsync(message.Text);

        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal(["MSA", "AA", message.ControlId], Msa(receipt)[..3]);
        Assert.Equal("Published", receipt.GetProperty("status").GetString());
        Assert.DoesNotContain(message.PatientFamilyName, receipt.GetRawText(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Charges_posted_as_text_plain_are_accepted_and_a_resend_gets_the_same_ack_with_200()
    {
        var message = Generator(302).NextDft();

        var (status, receipt) = await PostAsync(message.Text, "text/plain");
        var (again, resent) = await PostAsync(message.Text, "text/plain");

        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal(HttpStatusCode.OK, again);
        Assert.Equal(receipt.GetProperty("receiptId").GetString(), resent.GetProperty("receiptId").GetString());
        Assert.Equal(Msa(receipt), Msa(resent));
        Assert.Equal("AA", Msa(receipt)[1]);
    }

    [Fact]
    public async Task An_admission_without_its_visit_segment_gets_an_AE_naming_the_problem()
    {
        var message = Generator(303).NextAdt(Hl7AdtEvent.A01);
        var withoutPv1 = string.Join('\r', message.Text.Split('\r').Where(s => !s.StartsWith("PV1|", StringComparison.Ordinal)));

        var (status, receipt) = await PostAsync(withoutPv1);

        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal(["MSA", "AE", message.ControlId], Msa(receipt)[..3]);
        Assert.Contains("\rERR|", receipt.GetProperty("acknowledgement").GetProperty("body").GetString(), StringComparison.Ordinal);
        Assert.Equal("Rejected", receipt.GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_body_without_msh_gets_an_AR()
    {
        var (status, receipt) = await PostAsync("PID|1||MRN1^^^STMARYS^MR\rPV1|1|I\r");

        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal("AR", Msa(receipt)[1]);
        Assert.Equal("Rejected", receipt.GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_wrong_content_type_gets_415()
    {
        var message = Generator(304).NextAdt(Hl7AdtEvent.A03);

        var (status, _) = await PostAsync(message.Text, "application/json");

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status);
    }
}
