using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Core;
using HealthFlow.Pipeline.Erp;

namespace HealthFlow.Pipeline.Tests.Erp;

public sealed class The_Dynamics_365_gateway
{
    private static Dictionary<string, string?> Settings(LoopbackErp erp) => new()
    {
        ["Gateway"] = "dynamics365",
        ["Dynamics365:Url"] = erp.Url.ToString(),
        ["Dynamics365:JournalName"] = "HFJrn",
        ["Dynamics365:Companies:RHS-NORTH"] = "rhsn",
    };

    /// <summary>A D365 stand-in: checks the token and OData headers, keeps headers and lines, numbers batches like a number sequence.</summary>
    private sealed class FakeFinance
    {
        public ConcurrentDictionary<string, JsonObject> Headers { get; } = new();
        public ConcurrentBag<JsonObject> Lines { get; } = [];
        public Func<SeenRequest, Reply?>? Fault { get; set; }

        public Reply Respond(SeenRequest request, int _)
        {
            if (request.Header("Authorization") != "Bearer d365-token")
                return new Reply(401);
            if (Fault?.Invoke(request) is { } fault)
                return fault;
            switch (request.Method, request.Path)
            {
                case ("GET", "/data/LedgerJournalHeaders"):
                    var found = Headers.Values.Where(h => request.Query.Contains($"Description eq '{h["Description"]}'", StringComparison.Ordinal)
                        && request.Query.Contains($"dataAreaId eq '{h["dataAreaId"]}'", StringComparison.Ordinal));
                    return new Reply(200, new JsonObject { ["value"] = new JsonArray([.. found.Select(h => h.DeepClone())]) }.ToJsonString());
                case ("GET", "/data/LedgerJournalLines"):
                    var lines = Lines.Where(l => request.Query.Contains($"JournalBatchNumber eq '{l["JournalBatchNumber"]}'", StringComparison.Ordinal));
                    return new Reply(200, new JsonObject { ["value"] = new JsonArray([.. lines.Select(l => new JsonObject { ["LineNumber"] = l["LineNumber"]!.DeepClone() })]) }.ToJsonString());
                case ("POST", "/data/LedgerJournalHeaders"):
                    var header = JsonNode.Parse(request.Body)!.AsObject();
                    header["JournalBatchNumber"] = $"JB-{Headers.Count + 1:D5}";
                    Headers[header["JournalBatchNumber"]!.GetValue<string>()] = header;
                    return new Reply(201, header.ToJsonString());
                case ("POST", "/data/LedgerJournalLines"):
                    var line = JsonNode.Parse(request.Body)!.AsObject();
                    Lines.Add(line);
                    return new Reply(201, line.ToJsonString());
                default:
                    return new Reply(404);
            }
        }
    }

    private sealed class FakeCredential : TokenCredential
    {
        public List<string> Scopes { get; } = [];

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            Scopes.AddRange(requestContext.Scopes);
            return new AccessToken("d365-token", DateTimeOffset.UtcNow.AddHours(1));
        }

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }

    [Fact]
    public async Task creates_a_journal_header_and_its_lines_and_records_the_journal_batch_number()
    {
        await using var f = await ErpFixture.StartAsync();
        await using var erp = await LoopbackErp.StartAsync();
        var finance = new FakeFinance();
        erp.Respond = finance.Respond;
        var credential = new FakeCredential();
        var journal = SampleJournals.Cash();

        var ack = await f.Gateway(Settings(erp), credential).PostAsync(ErpPostRequest.For(journal));

        Assert.Equal((ErpOutcome.Accepted, "JB-00001", "rhsn"), (ack.Outcome, ack.Documents.Single().DocumentNumber, ack.Documents.Single().Context));
        Assert.Equal(erp.Url.GetLeftPart(UriPartial.Authority) + "/.default", credential.Scopes.Distinct().Single());
        var header = Assert.Single(finance.Headers.Values);
        Assert.Equal(("rhsn", "HFJrn", ErpReference.For(journal.IdempotencyKey)), (header["dataAreaId"]!.GetValue<string>(), header["JournalName"]!.GetValue<string>(), header["Description"]!.GetValue<string>()));
        var lines = finance.Lines.OrderBy(l => l["LineNumber"]!.GetValue<int>()).ToList();
        Assert.Equal(2, lines.Count);
        Assert.Equal(["dataAreaId", "JournalBatchNumber", "LineNumber", "AccountType", "AccountDisplayValue", "DebitAmount", "CreditAmount", "CurrencyCode", "TransDate", "Text"], lines[0].Select(p => p.Key));
        Assert.Equal(("JB-00001", "Ledger", "1120-N-PFS-RMC-RMC-AETNA", 100.00m, 0m, "USD", "2026-11-21T12:00:00Z"),
            (lines[0]["JournalBatchNumber"]!.GetValue<string>(), lines[0]["AccountType"]!.GetValue<string>(), lines[0]["AccountDisplayValue"]!.GetValue<string>(),
             lines[0]["DebitAmount"]!.GetValue<decimal>(), lines[0]["CreditAmount"]!.GetValue<decimal>(), lines[0]["CurrencyCode"]!.GetValue<string>(), lines[0]["TransDate"]!.GetValue<string>()));
        Assert.Equal(100.00m, lines[1]["CreditAmount"]!.GetValue<decimal>());
        Assert.All(erp.Seen, s => Assert.Equal("4.0", s.Header("OData-Version")));
        Assert.Contains("cross-company=true", erp.Seen[0].Query, StringComparison.Ordinal);
        Assert.Contains("JB-00001", System.Text.Encoding.UTF8.GetString(Assert.Single(await f.PostedRecordsAsync()).Payload.Span), StringComparison.Ordinal);
    }

    [Fact]
    public async Task resumes_a_journal_a_crash_left_half_created_instead_of_creating_it_again()
    {
        await using var f = await ErpFixture.StartAsync();
        await using var erp = await LoopbackErp.StartAsync();
        var finance = new FakeFinance();
        var journal = SampleJournals.Cash();
        // What an interrupted earlier post left in D365: the header and line 1.
        finance.Headers["JB-00001"] = new JsonObject { ["dataAreaId"] = "rhsn", ["JournalName"] = "HFJrn", ["Description"] = ErpReference.For(journal.IdempotencyKey), ["JournalBatchNumber"] = "JB-00001" };
        finance.Lines.Add(new JsonObject { ["JournalBatchNumber"] = "JB-00001", ["LineNumber"] = 1 });
        erp.Respond = finance.Respond;

        var ack = await f.Gateway(Settings(erp), new FakeCredential()).PostAsync(ErpPostRequest.For(journal));

        Assert.Equal((ErpOutcome.Accepted, "JB-00001"), (ack.Outcome, ack.Documents.Single().DocumentNumber));
        Assert.Single(finance.Headers);
        Assert.Equal([1, 2], finance.Lines.Select(l => l["LineNumber"]!.GetValue<int>()).Order());
        Assert.DoesNotContain(erp.Seen, s => s is { Method: "POST", Path: "/data/LedgerJournalHeaders" });
    }

    [Fact]
    public async Task retries_429_and_503_then_succeeds()
    {
        await using var f = await ErpFixture.StartAsync();
        await using var erp = await LoopbackErp.StartAsync();
        var finance = new FakeFinance();
        var faults = 0;
        finance.Fault = request => request.Method == "POST" && Interlocked.Increment(ref faults) switch
        {
            1 => true,
            2 => true,
            _ => false,
        } ? (faults == 1 ? new Reply(429, Headers: new Dictionary<string, string> { ["Retry-After"] = "3" }) : new Reply(503)) : null;
        erp.Respond = finance.Respond;

        var ack = await f.Gateway(Settings(erp), new FakeCredential()).PostAsync(ErpPostRequest.For(SampleJournals.Cash()));

        Assert.Equal(ErpOutcome.Accepted, ack.Outcome);
        Assert.Single(finance.Headers);
        Assert.Equal(2, finance.Lines.Count);
        Assert.Contains(TimeSpan.FromSeconds(3), f.Clock.Waits);
    }

    [Fact]
    public async Task rejects_a_line_the_ERP_refuses_with_400_without_retrying()
    {
        await using var f = await ErpFixture.StartAsync();
        await using var erp = await LoopbackErp.StartAsync();
        var finance = new FakeFinance
        {
            Fault = request => request is { Method: "POST", Path: "/data/LedgerJournalLines" }
                ? new Reply(400, """{"error":{"code":"","message":"Account 1120-N-PFS-RMC-RMC-AETNA does not exist."}}""")
                : null,
        };
        erp.Respond = finance.Respond;

        var ack = await f.Gateway(Settings(erp), new FakeCredential()).PostAsync(ErpPostRequest.For(SampleJournals.Cash()));

        Assert.Equal((ErpOutcome.Rejected, 400), (ack.Outcome, ack.StatusCode));
        Assert.Contains("does not exist", ack.Reason, StringComparison.Ordinal);
        Assert.Single(erp.Seen, s => s is { Method: "POST", Path: "/data/LedgerJournalLines" });
    }
}
