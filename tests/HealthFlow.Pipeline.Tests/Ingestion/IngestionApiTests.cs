using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using HealthFlow.Ledger;
using HealthFlow.Ledger.Storage;
using HealthFlow.Pipeline.Tests.Support;

namespace HealthFlow.Pipeline.Tests.Ingestion;

public sealed class IngestionApiTests : IAsyncLifetime
{
    private RuntimeHost _host = null!;

    public async Task InitializeAsync() => _host = await RuntimeHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static async Task<JsonElement> Json(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    private async Task AssertStillServingAsync()
    {
        using var client = _host.Client();
        using var health = await client.GetAsync("/api/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        using var post = await client.PostAsync("/api/x12", RuntimeHost.Body(Samples.Interchange(Random.Shared.Next(100_000, 999_999)), "application/edi-x12"));
        Assert.Equal(HttpStatusCode.Accepted, post.StatusCode);
    }

    [Fact]
    public async Task Accepted_x12_gets_202_with_a_receipt_and_the_raw_payload_is_durable_when_the_answer_arrives()
    {
        var payload = Samples.Interchange(1);
        using var client = _host.Client();
        using var response = await client.PostAsync("/api/x12", RuntimeHost.Body(payload, "application/edi-x12"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var receipt = await Json(response);
        var receiptId = receipt.GetProperty("receiptId").GetString()!;
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(payload)), receipt.GetProperty("sha256").GetString());
        Assert.Equal("acme", receipt.GetProperty("vendor").GetString());
        Assert.Equal($"/api/receipts/{receiptId}", response.Headers.Location?.OriginalString);
        Assert.True(receipt.TryGetProperty("receivedAt", out _));

        // Read the ledger files from disk, independently of the running process.
        Assert.True(File.Exists(Path.Combine(_host.Folder, "ledger", "p0", "0000000000.seg")));
        using var store = FileBlobStore.OpenReadOnly(_host.Folder);
        await using var ledger = await BlobLedger.OpenReadOnlyAsync(store);
        var raw = await ledger.ReadCorrelationAsync(receiptId).SingleAsync(r => r.Type == "RawReceived");
        Assert.Equal(payload, raw.Payload.ToArray());
    }

    [Fact]
    public async Task Receipt_status_is_reported_to_its_vendor()
    {
        using var client = _host.Client();
        using var post = await client.PostAsync("/api/x12", RuntimeHost.Body(Samples.Interchange(2), "text/plain"));
        var receiptId = (await Json(post)).GetProperty("receiptId").GetString();

        using var get = await client.GetAsync($"/api/receipts/{receiptId}");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        var receipt = await Json(get);
        Assert.Equal(receiptId, receipt.GetProperty("receiptId").GetString());
        Assert.Contains(receipt.GetProperty("status").GetString(), new[] { "Published", "Rejected" });
    }

    [Fact]
    public async Task The_same_bytes_sent_again_get_the_original_receipt_with_200()
    {
        using var client = _host.Client();
        using var first = await client.PostAsync("/api/x12", RuntimeHost.Body(Samples.Interchange(3), "application/edi-x12"));
        using var second = await client.PostAsync("/api/x12", RuntimeHost.Body(Samples.Interchange(3), "application/edi-x12"));

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal((await Json(first)).GetProperty("receiptId").GetString(), (await Json(second)).GetProperty("receiptId").GetString());
    }

    [Fact]
    public async Task An_interchange_resent_with_the_same_sender_and_control_number_gets_the_original_receipt()
    {
        using var client = _host.Client();
        using var first = await client.PostAsync("/api/x12", RuntimeHost.Body(Samples.Interchange(4, date: "261121"), "application/edi-x12"));
        using var resent = await client.PostAsync("/api/x12", RuntimeHost.Body(Samples.Interchange(4, date: "261122"), "application/edi-x12"));

        Assert.Equal(HttpStatusCode.OK, resent.StatusCode);
        Assert.Equal((await Json(first)).GetProperty("receiptId").GetString(), (await Json(resent)).GetProperty("receiptId").GetString());
    }

    [Fact]
    public async Task Concurrent_identical_sends_produce_one_receipt()
    {
        using var client = _host.Client();
        var responses = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ =>
            client.PostAsync("/api/x12", RuntimeHost.Body(Samples.Interchange(5), "application/edi-x12"))));
        var ids = new HashSet<string>();
        foreach (var response in responses)
        {
            ids.Add((await Json(response)).GetProperty("receiptId").GetString()!);
            response.Dispose();
        }
        Assert.Single(ids);
        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Accepted);
    }

    [Fact]
    public async Task The_same_bytes_from_another_vendor_are_a_new_receipt()
    {
        using var acme = _host.Client(RuntimeHost.AcmeKey);
        using var beta = _host.Client(RuntimeHost.BetaKey);
        using var first = await acme.PostAsync("/api/x12", RuntimeHost.Body(Samples.Interchange(6), "application/edi-x12"));
        using var second = await beta.PostAsync("/api/x12", RuntimeHost.Body(Samples.Interchange(6), "application/edi-x12"));
        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        Assert.NotEqual((await Json(first)).GetProperty("receiptId").GetString(), (await Json(second)).GetProperty("receiptId").GetString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not-a-key")]
    public async Task No_key_or_a_wrong_key_gets_401_with_a_problem(string? key)
    {
        using var client = _host.Client(key);
        using var response = await client.PostAsync("/api/x12", RuntimeHost.Body(Samples.Interchange(7), "application/edi-x12"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(401, (await Json(response)).GetProperty("status").GetInt32());
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task The_key_can_come_in_the_code_query_parameter()
    {
        using var client = _host.Client(key: null);
        using var response = await client.PostAsync($"/api/x12?code={RuntimeHost.BetaKey}", RuntimeHost.Body(Samples.Interchange(8), "application/edi-x12"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("beta", (await Json(response)).GetProperty("vendor").GetString());
    }

    [Fact]
    public async Task A_body_over_the_limit_gets_413_with_a_problem_and_is_not_stored()
    {
        using var client = _host.Client();
        var head = _host.Runtime.Ledger.Head;
        using var response = await client.PostAsync("/api/x12", RuntimeHost.Body(new byte[(1024 * 1024) + 1], "application/edi-x12"));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(head, _host.Runtime.Ledger.Head);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task A_chunked_body_over_the_limit_gets_413()
    {
        using var client = _host.Client();
        var content = new StreamContent(new MemoryStream(new byte[(1024 * 1024) + 10]));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/edi-x12");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/x12") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task A_wrong_content_type_gets_415_with_a_problem()
    {
        using var client = _host.Client();
        using var response = await client.PostAsync("/api/x12", RuntimeHost.Body(Samples.Interchange(9), "application/pdf"));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Contains("application/edi-x12", (await Json(response)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task An_empty_body_gets_400_with_a_problem()
    {
        using var client = _host.Client();
        using var response = await client.PostAsync("/api/fhir", RuntimeHost.Body([], "application/fhir+json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task A_vendor_cannot_see_another_vendors_receipt()
    {
        using var acme = _host.Client(RuntimeHost.AcmeKey);
        using var beta = _host.Client(RuntimeHost.BetaKey);
        using var post = await acme.PostAsync("/api/x12", RuntimeHost.Body(Samples.Interchange(10), "application/edi-x12"));
        var receiptId = (await Json(post)).GetProperty("receiptId").GetString();

        using var other = await beta.GetAsync($"/api/receipts/{receiptId}");
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        using var anonymous = await _host.Client(key: null).GetAsync($"/api/receipts/{receiptId}");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task Content_that_is_not_x12_gets_400_with_a_problem_and_is_kept_as_rejected()
    {
        using var client = _host.Client();
        using var response = await client.PostAsync("/api/x12", RuntimeHost.Body("definitely not an interchange"u8.ToArray(), "text/plain"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var receiptId = (await Json(response)).GetProperty("receiptId").GetString()!;

        using var get = await client.GetAsync($"/api/receipts/{receiptId}");
        var receipt = await Json(get);
        Assert.Equal("Rejected", receipt.GetProperty("status").GetString());
        Assert.NotEmpty(receipt.GetProperty("reasons").EnumerateArray());
        Assert.NotNull(await _host.Runtime.Ledger.ReadCorrelationAsync(receiptId).FirstOrDefaultAsync(r => r.Type == "RawReceived"));
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task Receipts_and_duplicates_survive_a_restart()
    {
        using var before = _host.Client();
        using var post = await before.PostAsync("/api/fhir", RuntimeHost.Body(Samples.Encounter("e-restart"), "application/fhir+json"));
        var receiptId = (await Json(post)).GetProperty("receiptId").GetString();

        await _host.RestartAsync();

        using var after = _host.Client();
        using var get = await after.GetAsync($"/api/receipts/{receiptId}");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        using var again = await after.PostAsync("/api/fhir", RuntimeHost.Body(Samples.Encounter("e-restart"), "application/fhir+json"));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(receiptId, (await Json(again)).GetProperty("receiptId").GetString());
    }

    [Fact]
    public async Task Health_answers_without_a_key()
    {
        using var client = _host.Client(key: null);
        var health = await client.GetFromJsonAsync<JsonElement>("/api/health");
        Assert.Equal("healthy", health.GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_trace_id_from_traceparent_is_kept_on_the_receipt()
    {
        using var client = _host.Client();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/x12") { Content = RuntimeHost.Body(Samples.Interchange(11), "application/edi-x12") };
        request.Headers.Add("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        using var response = await client.SendAsync(request);
        Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736", (await Json(response)).GetProperty("traceId").GetString());
    }
}
