using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using HealthFlow.Finance.Events;
using HealthFlow.Pipeline.Tests.Support;
using HealthFlow.X12;

namespace HealthFlow.Pipeline.Tests.Ingestion;

public sealed class X12IngestionTests : IAsyncLifetime
{
    private RuntimeHost _host = null!;

    public async Task InitializeAsync() => _host = await RuntimeHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<JsonElement> PostAsync(byte[] payload)
    {
        using var client = _host.Client();
        using var response = await client.PostAsync("/api/x12", RuntimeHost.Body(payload, "application/edi-x12"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
    }

    private async Task<List<CanonicalEvent>> EventsOfAsync(string topic, string receiptId) =>
        [.. (await _host.EventsAsync(receiptId, topic)).Select(e => e.Event)];

    [Fact]
    public async Task An_accepted_835_answers_with_a_999_and_publishes_its_remittance()
    {
        var generator = new X12Generator(7);
        using var stream = new MemoryStream();
        generator.Write835(stream, 20_000);
        var receipt = await PostAsync(stream.ToArray());

        Assert.Equal("Published", receipt.GetProperty("status").GetString());
        var ack = receipt.GetProperty("acknowledgement").GetProperty("body").GetString()!;
        Assert.Contains("ST*999*", ack, StringComparison.Ordinal);
        Assert.Contains("AK9*A*", ack, StringComparison.Ordinal);

        var events = await EventsOfAsync("remittances", receipt.GetProperty("receiptId").GetString()!);
        Assert.NotEmpty(events);
        var remittances = events.Cast<RemittanceReceived>().ToList();
        Assert.All(remittances, r => Assert.True(r.Balanced));
        Assert.Equal(receipt.GetProperty("eventCount").GetInt32(), events.Count);
        Assert.All(remittances, r => Assert.StartsWith("x12:", r.IdempotencyKey, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_transaction_set_with_a_wrong_segment_count_is_rejected_in_the_999_and_not_published()
    {
        var text = Encoding.ASCII.GetString(Samples.Interchange(500)).Replace("SE*11*0001", "SE*12*0001", StringComparison.Ordinal);
        var receipt = await PostAsync(Encoding.ASCII.GetBytes(text));

        Assert.Equal("Rejected", receipt.GetProperty("status").GetString());
        var ack = receipt.GetProperty("acknowledgement").GetProperty("body").GetString()!;
        Assert.Contains("IK5*R", ack, StringComparison.Ordinal);
        Assert.Contains("AK9*R", ack, StringComparison.Ordinal);
        Assert.Empty(await EventsOfAsync("remittances", receipt.GetProperty("receiptId").GetString()!));
    }

    [Fact]
    public async Task An_interchange_with_a_broken_envelope_gets_a_ta1()
    {
        var text = Encoding.ASCII.GetString(Samples.Interchange(501)).Replace("IEA*1*000000501", "IEA*1*000000999", StringComparison.Ordinal);
        var receipt = await PostAsync(Encoding.ASCII.GetBytes(text));

        var ack = receipt.GetProperty("acknowledgement").GetProperty("body").GetString()!;
        Assert.Contains("TA1*000000501*", ack, StringComparison.Ordinal);
    }

    /// <summary>The 835's events are written as its set ends, before the IEA that rejects the interchange is read: they must not be published.</summary>
    [Fact]
    public async Task An_interchange_rejected_at_its_IEA_publishes_none_of_the_sets_read_before_it()
    {
        using var stream = new MemoryStream();
        new X12Generator(8).Write835(stream, 20_000);
        var text = Regex.Replace(Encoding.ASCII.GetString(stream.ToArray()), @"IEA\*(\d+)\*\d{9}", "IEA*$1*999999999");
        var receipt = await PostAsync(Encoding.ASCII.GetBytes(text));

        Assert.Equal("Rejected", receipt.GetProperty("status").GetString());
        Assert.Empty(await EventsOfAsync("remittances", receipt.GetProperty("receiptId").GetString()!));
    }

    [Fact]
    public async Task Claims_of_an_837_are_published_one_event_per_claim_without_patient_names()
    {
        var generator = new X12Generator(11);
        using var stream = new MemoryStream();
        generator.Write837(stream, ClaimKind.Institutional, 5);
        var receipt = await PostAsync(stream.ToArray());

        var claims = (await EventsOfAsync("claims", receipt.GetProperty("receiptId").GetString()!)).Cast<ClaimSubmitted>().ToList();
        Assert.Equal(5, claims.Count);
        Assert.All(claims, c => Assert.Equal("837I", c.ClaimKind));
        Assert.All(claims, c => Assert.True(c.PatientToken is null || c.PatientToken.StartsWith("pt_", StringComparison.Ordinal)));
    }
}
