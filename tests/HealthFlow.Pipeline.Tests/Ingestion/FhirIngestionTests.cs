using System.Net;
using System.Text;
using System.Text.Json;
using HealthFlow.Fhir.Generation;
using HealthFlow.Finance.Events;
using HealthFlow.Pipeline.Tests.Support;

namespace HealthFlow.Pipeline.Tests.Ingestion;

public sealed class FhirIngestionTests : IAsyncLifetime
{
    private RuntimeHost _host = null!;

    public async Task InitializeAsync() => _host = await RuntimeHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<List<LedgerEvent>> EventsOfAsync(string receiptId) =>
        [.. (await _host.EventsAsync(receiptId)).Select(e => new LedgerEvent(e.Event, Encoding.UTF8.GetString(e.Record.Payload.Span)))];

    private sealed record LedgerEvent(CanonicalEvent Event, string RawPayload);

    [Fact]
    public async Task An_accepted_transaction_bundle_gets_202_with_an_outcome_and_publishes_its_events_without_patient_names()
    {
        var bundle = new FhirGenerator(5).Bundle(3);
        using var client = _host.Client();
        using var response = await client.PostAsync("/api/fhir", RuntimeHost.Body(bundle, "application/fhir+json"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var receipt = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var outcome = JsonDocument.Parse(receipt.GetProperty("acknowledgement").GetProperty("body").GetString()!).RootElement;
        Assert.Equal("OperationOutcome", outcome.GetProperty("resourceType").GetString());

        var events = await EventsOfAsync(receipt.GetProperty("receiptId").GetString()!);
        Assert.Contains(events, e => e.Event is EncounterDischarged or EncounterAdmitted);
        Assert.Contains(events, e => e.Event is ChargePosted);
        Assert.Contains(events, e => e.Event is ClaimSubmitted);
        Assert.All(events, e => Assert.StartsWith("fhir:", e.Event.IdempotencyKey, StringComparison.Ordinal));
        foreach (var name in FhirGenerator.FakeFamilyNames.Concat(FhirGenerator.FakeGivenNames))
            Assert.All(events, e => Assert.DoesNotContain(name, e.RawPayload, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_claim_whose_total_does_not_add_up_gets_422_with_the_operation_outcome_and_is_kept()
    {
        const string claim = """
            {"resourceType":"Claim","id":"c1","meta":{"versionId":"1"},"status":"active","use":"claim",
             "type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/claim-type","code":"institutional"}]},
             "patient":{"reference":"Patient/p1"},"created":"2026-11-01","provider":{"reference":"Organization/hosp-1"},
             "priority":{"coding":[{"code":"normal"}]},"insurance":[{"sequence":1,"focal":true,"coverage":{"reference":"Coverage/cov1"}}],
             "item":[{"sequence":1,"productOrService":{"coding":[{"code":"99213"}]},"net":{"value":100.00,"currency":"USD"}}],
             "total":{"value":250.00,"currency":"USD"}}
            """;
        using var client = _host.Client();
        using var response = await client.PostAsync("/api/fhir", RuntimeHost.Body(Encoding.UTF8.GetBytes(claim), "application/fhir+json"));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("application/fhir+json", response.Content.Headers.ContentType?.MediaType);
        var outcome = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("OperationOutcome", outcome.GetProperty("resourceType").GetString());
        Assert.Contains(outcome.GetProperty("issue").EnumerateArray(), i => i.GetProperty("severity").GetString() == "error");
        var receiptId = response.Headers.GetValues("x-receipt-id").Single();
        Assert.NotNull(await _host.Runtime.Ledger.ReadCorrelationAsync(receiptId).FirstOrDefaultAsync(r => r.Type == "RawReceived"));
    }

    [Fact]
    public async Task Invalid_json_gets_422_with_an_operation_outcome()
    {
        using var client = _host.Client();
        using var response = await client.PostAsync("/api/fhir", RuntimeHost.Body("{\"resourceType\":\"Claim\","u8.ToArray(), "application/fhir+json"));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("OperationOutcome", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("resourceType").GetString());
    }

    [Fact]
    public async Task Metadata_is_a_capability_statement()
    {
        using var client = _host.Client(key: null);
        using var response = await client.GetAsync("/api/fhir/metadata");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var statement = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("CapabilityStatement", statement.GetProperty("resourceType").GetString());
        Assert.Equal("4.0.1", statement.GetProperty("fhirVersion").GetString());
    }
}
