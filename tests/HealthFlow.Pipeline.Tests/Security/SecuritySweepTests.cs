using System.Net;
using System.Text;
using System.Text.Json;
using HealthFlow.Pipeline.Tests.Support;

namespace HealthFlow.Pipeline.Tests.Security;

/// <summary>A running server with short slow-client limits, shared by the sweep (each test checks it still serves).</summary>
public sealed class SweepServer : IAsyncLifetime
{
    public RuntimeHost Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await RuntimeHost.StartAsync(new Dictionary<string, string?>
    {
        ["HealthFlow:BodyTimeoutSeconds"] = "2",
        ["HealthFlow:RequestHeadersTimeoutSeconds"] = "2",
    });

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>
/// Security sweep against the real local runtime over loopback (issue 9): keys, other vendors' receipts, oversized,
/// slow and deeply nested bodies, path traversal, header injection and the admin routes, each answered as designed
/// (problem+json or the format's own answer, never a 500) and followed by a check that the server still serves.
/// </summary>
public sealed class SecuritySweepTests(SweepServer server) : IClassFixture<SweepServer>
{
    private static int _control = 700_000;

    private RuntimeHost Host => server.Host;

    public static TheoryData<string, string> VendorRoutes => new()
    {
        { "POST", "/api/x12" },
        { "POST", "/api/fhir" },
        { "POST", "/api/hl7v2" },
        { "GET", "/api/receipts/r-1" },
    };

    /// <summary>Operator routes (the admin key only). /api/replay joins this list when it exists.</summary>
    public static TheoryData<string, string> AdminRoutes => new()
    {
        { "GET", "/api/orchestrations" },
        { "GET", "/api/orchestrations/remit-1" },
        { "POST", "/api/orchestrations/remit-1/events/MappingUpdated" },
        { "POST", "/api/orchestrations/remit-1/terminate" },
        { "POST", "/api/orchestrations/remit-1/rewind" },
        { "GET", "/api/exceptions" },
        { "POST", "/api/exceptions/ex-1/resolve" },
        { "GET", "/reconciliation" },
    };

    [Theory]
    [MemberData(nameof(VendorRoutes))]
    [MemberData(nameof(AdminRoutes))]
    public async Task Every_route_answers_401_without_a_key_with_an_empty_one_or_a_wrong_one(string method, string path)
    {
        foreach (var key in new[] { null, "", "not-a-key", RuntimeHost.AcmeKey + "x", RuntimeHost.AcmeKey.ToUpperInvariant() })
        {
            using var response = await SendAsync(key, method, path);
            await AssertProblemAsync(response, HttpStatusCode.Unauthorized);
        }

        await AssertStillServingAsync();
    }

    [Theory]
    [MemberData(nameof(AdminRoutes))]
    public async Task Admin_routes_answer_403_to_a_vendor_key(string method, string path)
    {
        using var response = await SendAsync(RuntimeHost.BetaKey, method, path);
        await AssertProblemAsync(response, HttpStatusCode.Forbidden);
        using var inQuery = await SendAsync(null, method, path + "?code=" + RuntimeHost.AcmeKey);
        await AssertProblemAsync(inQuery, HttpStatusCode.Forbidden);
        await AssertStillServingAsync();
    }

    [Theory]
    [MemberData(nameof(VendorRoutes))]
    public async Task Vendor_routes_answer_401_to_the_admin_key_which_names_no_vendor(string method, string path)
    {
        using var response = await SendAsync(RuntimeHost.AdminKey, method, path);
        await AssertProblemAsync(response, HttpStatusCode.Unauthorized);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task Another_vendors_receipt_answers_exactly_like_one_that_does_not_exist()
    {
        using var acme = Host.Client(RuntimeHost.AcmeKey);
        using var beta = Host.Client(RuntimeHost.BetaKey);
        using var post = await acme.PostAsync("/api/x12", RuntimeHost.Body(Samples.Interchange(NextControl()), "application/edi-x12"));
        var receiptId = JsonDocument.Parse(await post.Content.ReadAsStringAsync()).RootElement.GetProperty("receiptId").GetString()!;

        using var others = await beta.GetAsync($"/api/receipts/{receiptId}");
        using var missing = await beta.GetAsync("/api/receipts/r-does-not-exist");
        var othersProblem = await AssertProblemAsync(others, HttpStatusCode.NotFound);
        var missingProblem = await AssertProblemAsync(missing, HttpStatusCode.NotFound);
        Assert.Equal(missingProblem.GetProperty("detail").GetString(), othersProblem.GetProperty("detail").GetString());
        Assert.DoesNotContain(receiptId, await others.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var own = await acme.GetAsync($"/api/receipts/{receiptId}");
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        await AssertStillServingAsync();
    }

    [Theory]
    [InlineData("/api/x12", "application/edi-x12", RuntimeHost.AcmeKey)]
    [InlineData("/api/fhir", "application/fhir+json", RuntimeHost.AcmeKey)]
    [InlineData("/api/hl7v2", "application/hl7-v2", RuntimeHost.AcmeKey)]
    [InlineData("/api/orchestrations/remit-1/events/MappingUpdated", "application/json", RuntimeHost.AdminKey)]
    public async Task An_oversized_body_gets_413_and_nothing_is_stored(string path, string contentType, string key)
    {
        var head = Host.Runtime.Ledger.Head;
        using var client = Host.Client(key);
        using var response = await client.PostAsync(path, RuntimeHost.Body(new byte[(1024 * 1024) + 1], contentType));
        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal(head, Host.Runtime.Ledger.Head);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task A_body_that_trickles_in_past_the_body_timeout_gets_408_and_is_not_stored()
    {
        var head = Host.Runtime.Ledger.Head;
        var body = Samples.Interchange(NextControl());
        var status = await RawHttp.SendAsync(Host.Runtime.Address,
            $"POST /api/x12 HTTP/1.1\r\nHost: localhost\r\nx-functions-key: {RuntimeHost.AcmeKey}\r\nContent-Type: application/edi-x12\r\nContent-Length: {body.Length}",
            body: body.Chunk(16).Take(12), pause: TimeSpan.FromMilliseconds(250));
        Assert.Equal(408, status);
        Assert.Equal(head, Host.Runtime.Ledger.Head);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task Headers_that_never_finish_are_cut_off_by_the_headers_timeout()
    {
        var status = await RawHttp.SendAsync(Host.Runtime.Address,
            $"POST /api/x12 HTTP/1.1\r\nHost: localhost\r\nx-functions-key: {RuntimeHost.AcmeKey}", finishHeaders: false);
        Assert.Equal(408, status);
        await AssertStillServingAsync();
    }

    [Theory]
    [InlineData("[", "]", 100_000)]
    [InlineData("{\"a\":", "}", 50_000)]
    [InlineData("[", "", 200_000)]
    public async Task Deeply_nested_json_gets_a_422_OperationOutcome_not_a_500(string open, string close, int depth)
    {
        var json = "{\"resourceType\":\"Claim\",\"extension\":" + string.Concat(Enumerable.Repeat(open, depth)) + "1" + string.Concat(Enumerable.Repeat(close, depth)) + "}";
        using var client = Host.Client();
        using var response = await client.PostAsync("/api/fhir", RuntimeHost.Body(Encoding.UTF8.GetBytes(json), "application/fhir+json"));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var outcome = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("OperationOutcome", outcome.GetProperty("resourceType").GetString());
        Assert.Contains(outcome.GetProperty("issue").EnumerateArray(), i => i.GetProperty("severity").GetString() is "fatal" or "error");
        await AssertStillServingAsync();
    }

    [Theory]
    [InlineData("GET", "/api/receipts/..%2F..%2Fetc%2Fpasswd", RuntimeHost.AcmeKey)]
    [InlineData("GET", "/api/receipts/%2E%2E%2F%2E%2E%2Fkeys%2Fpatient-token.key", RuntimeHost.AcmeKey)]
    [InlineData("GET", "/api/receipts/..%5C..%5Ckeys%5Cpatient-token.key", RuntimeHost.AcmeKey)]
    [InlineData("GET", "/api/receipts/%252E%252E%252Fkeys", RuntimeHost.AcmeKey)]
    [InlineData("GET", "/api/orchestrations/..%2F..%2Fkeys%2Fpatient-token.key", RuntimeHost.AdminKey)]
    [InlineData("POST", "/api/orchestrations/..%2F..%2Fledger/terminate", RuntimeHost.AdminKey)]
    [InlineData("POST", "/api/exceptions/..%2F..%2Fkeys%2Fpatient-token.key/resolve", RuntimeHost.AdminKey)]
    public async Task Path_traversal_in_an_id_finds_nothing_and_reads_no_file(string method, string path, string key)
    {
        using var response = await SendAsync(key, method, path);
        var text = await response.Content.ReadAsStringAsync();
        await AssertProblemAsync(response, HttpStatusCode.NotFound);
        var tokenKey = await File.ReadAllBytesAsync(Path.Combine(Host.Folder, "keys", "patient-token.key"));
        Assert.DoesNotContain("root:", text, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(tokenKey), text, StringComparison.Ordinal);
        await AssertStillServingAsync();
    }

    [Theory]
    [InlineData("GET", "/api/orchestrations?continuationToken=%0D%0ASet-Cookie:%20pwned=1&prefix=%0D%0AX-Injected:%201")]
    [InlineData("POST", "/api/orchestrations/a%0D%0AX-Injected:%201/terminate?reason=%0D%0ASet-Cookie:%20pwned=1")]
    [InlineData("POST", "/api/orchestrations/a%0D%0AX-Injected:%201/events/b%0D%0AX-Injected:%201")]
    [InlineData("POST", "/api/exceptions/a%0D%0AX-Injected:%201/resolve")]
    [InlineData("GET", "/api/receipts/a%0D%0AX-Injected:%201")]
    public async Task Encoded_CR_LF_in_ids_and_query_values_is_never_echoed_into_response_headers(string method, string path)
    {
        var key = path.StartsWith("/api/receipts", StringComparison.Ordinal) ? RuntimeHost.AcmeKey : RuntimeHost.AdminKey;
        using var response = await SendAsync(key, method, path);

        Assert.True((int)response.StatusCode < 500, $"{path}: {(int)response.StatusCode}");
        var headers = response.Headers.Concat(response.Content.Headers).ToList();
        Assert.DoesNotContain(headers, h => h.Key.Equals("X-Injected", StringComparison.OrdinalIgnoreCase) || h.Key.Equals("Set-Cookie", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(headers.SelectMany(h => h.Value), v => v.Contains('\r', StringComparison.Ordinal) || v.Contains('\n', StringComparison.Ordinal));
        await AssertStillServingAsync();
    }

    [Theory]
    [InlineData("x-functions-key: " + RuntimeHost.AcmeKey + "\rX-Injected: 1")]
    [InlineData("x-functions-key: " + RuntimeHost.AcmeKey + "\r\n X-Injected: folded")]
    public async Task A_bare_CR_or_a_folded_line_in_a_request_header_gets_400(string headers)
    {
        var status = await RawHttp.SendAsync(Host.Runtime.Address, $"GET /api/receipts/r-1 HTTP/1.1\r\nHost: localhost\r\n{headers}");
        Assert.Equal(400, status);
        await AssertStillServingAsync();
    }

    private static int NextControl() => Interlocked.Increment(ref _control);

    private async Task<HttpResponseMessage> SendAsync(string? key, string method, string path)
    {
        using var client = Host.Client(key);
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST")
            request.Content = RuntimeHost.Body(path.Contains("fhir", StringComparison.Ordinal) ? Samples.Encounter("e-sweep") : Samples.Interchange(NextControl()),
                path.Contains("fhir", StringComparison.Ordinal) ? "application/fhir+json" : path.Contains("orchestrations", StringComparison.Ordinal) ? "application/json" : "application/edi-x12");
        return await client.SendAsync(request);
    }

    private static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: expected {(int)expected}, got {(int)response.StatusCode} {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Equal((int)expected, problem.GetProperty("status").GetInt32());
        return problem;
    }

    /// <summary>The server still answers its health check and still takes a valid interchange.</summary>
    private async Task AssertStillServingAsync()
    {
        using var client = Host.Client();
        using var health = await client.GetAsync("/api/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        using var post = await client.PostAsync("/api/x12", RuntimeHost.Body(Samples.Interchange(NextControl()), "application/edi-x12"));
        Assert.Equal(HttpStatusCode.Accepted, post.StatusCode);
    }
}
