using System.IO.Compression;
using System.Text;
using System.Text.Json;
using HealthFlow.Pipeline.Erp;

namespace HealthFlow.Pipeline.Tests.Erp;

public sealed class The_Oracle_Fusion_gateway
{
    private static Dictionary<string, string?> Settings(LoopbackErp erp) => new()
    {
        ["Gateway"] = "oracle",
        ["Oracle:Url"] = erp.Url.ToString(),
        ["Oracle:Username"] = "hf.integration",
        ["Oracle:Password"] = "oracle-pass",
        ["Oracle:Ledgers:RHS-NORTH"] = "300000046975971",
        ["Oracle:DataAccessSetId"] = "300000046975980",
    };

    private static readonly string BasicAuth = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("hf.integration:oracle-pass"));

    private static Reply Accepted(SeenRequest request) =>
        request.Header("Authorization") == BasicAuth && request.Path == "/fscmRestApi/resources/11.13.18.05/erpintegrations"
            ? new Reply(201, """{"OperationName":"importBulkData","DocumentId":null,"ReqstId":"4491823","ContentType":"zip"}""")
            : new Reply(401);

    [Fact]
    public async Task imports_a_gl_interface_file_through_importBulkData_and_records_the_load_request_id()
    {
        await using var f = await ErpFixture.StartAsync();
        await using var erp = await LoopbackErp.StartAsync();
        erp.Respond = (request, _) => Accepted(request);
        var journal = SampleJournals.Cash();

        var ack = await f.Gateway(Settings(erp)).PostAsync(ErpPostRequest.For(journal));

        Assert.Equal((ErpOutcome.Accepted, "4491823"), (ack.Outcome, ack.Documents.Single().DocumentNumber));
        var seen = Assert.Single(erp.Seen);
        Assert.Equal("POST", seen.Method);
        Assert.StartsWith("application/vnd.oracle.adf.resourceitem+json", seen.Header("Content-Type"), StringComparison.Ordinal);
        using var body = JsonDocument.Parse(seen.Body);
        var root = body.RootElement;
        var groupId = ErpReference.NumberFor(journal.IdempotencyKey).ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(("importBulkData", "zip", "fin$/generalLedger$/import$", "/oracle/apps/ess/financials/generalLedger/programs/common,JournalImportLauncher", "#NULL"),
            (root.GetProperty("OperationName").GetString(), root.GetProperty("ContentType").GetString(), root.GetProperty("DocumentAccount").GetString(), root.GetProperty("JobName").GetString(), root.GetProperty("CallbackURL").GetString()));
        Assert.Equal($"300000046975980,HealthFlow,300000046975971,{groupId},N,N,N", root.GetProperty("ParameterList").GetString());

        using var zip = new ZipArchive(new MemoryStream(Convert.FromBase64String(root.GetProperty("DocumentContent").GetString()!)));
        var entry = Assert.Single(zip.Entries);
        Assert.Equal("GlInterface.csv", entry.FullName);
        using var reader = new StreamReader(entry.Open());
        var rows = JournalFormat.ParseCsv(await reader.ReadToEndAsync()).ToList();
        Assert.Equal(2, rows.Count);
        var debit = rows[0];
        Assert.Equal(67, debit.Count);
        Assert.Equal(("NEW", "300000046975971", "2026/11/21", "HealthFlow", "Adjustment", "USD", "A"), (debit[0], debit[1], debit[2], debit[3], debit[4], debit[5], debit[7]));
        Assert.Equal(["RHS-NORTH", "N-PFS-RMC", "1120", "RMC", "AETNA"], debit.Skip(8).Take(5));
        Assert.Equal(("100.00", ""), (debit[38], debit[39]));
        Assert.Equal(("", "100.00"), (rows[1][38], rows[1][39]));
        Assert.Equal((ErpReference.For(journal.IdempotencyKey), "J-1", groupId), (debit[42], debit[45], debit[66]));
    }

    [Fact]
    public async Task retries_503_then_succeeds_and_rejects_400_without_retrying()
    {
        await using var f = await ErpFixture.StartAsync();
        await using var erp = await LoopbackErp.StartAsync();
        erp.Respond = (request, n) => n switch
        {
            1 or 2 => new Reply(503),
            3 => Accepted(request),
            _ => new Reply(400, """{"title":"Bad Request","detail":"Invalid JobName"}"""),
        };
        var gateway = f.Gateway(Settings(erp));

        var accepted = await gateway.PostAsync(ErpPostRequest.For(SampleJournals.Cash("J-1")));
        var rejected = await gateway.PostAsync(ErpPostRequest.For(SampleJournals.Cash("J-2")));

        Assert.Equal((ErpOutcome.Accepted, 3), (accepted.Outcome, accepted.Attempts));
        Assert.Equal((ErpOutcome.Rejected, 400, 1), (rejected.Outcome, rejected.StatusCode, rejected.Attempts));
        Assert.Equal(4, erp.Seen.Count);
    }

    [Fact]
    public async Task sends_nothing_for_a_key_whose_earlier_attempt_a_crash_left_unanswered_and_asks_for_reconciliation()
    {
        await using var f = await ErpFixture.StartAsync();
        await using var erp = await LoopbackErp.StartAsync();
        erp.Respond = (request, _) => Accepted(request);
        var journal = SampleJournals.Cash();
        // The crash: the intent record was written, the import may have left, no answer was recorded.
        var register = await ErpPostedRegister.OpenAsync(f.Ledger);
        await register.RecordPostingAsync(journal.IdempotencyKey, "oracle", "corr-J-1", f.Clock.GetUtcNow(), CancellationToken.None);
        await f.RestartAsync();

        var ack = await f.Gateway(Settings(erp)).PostAsync(ErpPostRequest.For(journal));

        Assert.Equal((ErpOutcome.Rejected, true), (ack.Outcome, ack.RequiresReconciliation));
        Assert.Contains(ErpReference.For(journal.IdempotencyKey), ack.Reason, StringComparison.Ordinal);
        Assert.Empty(erp.Seen);
    }

    [Fact]
    public async Task sends_a_reconciled_key_that_was_not_in_the_erp_and_never_one_that_was()
    {
        await using var f = await ErpFixture.StartAsync();
        await using var erp = await LoopbackErp.StartAsync();
        erp.Respond = (request, _) => Accepted(request);
        var lost = SampleJournals.Cash("J-1");
        var landed = SampleJournals.Cash("J-2");
        var register = await ErpPostedRegister.OpenAsync(f.Ledger);
        await register.RecordPostingAsync(lost.IdempotencyKey, "oracle", "corr-J-1", f.Clock.GetUtcNow(), CancellationToken.None);
        await register.RecordPostingAsync(landed.IdempotencyKey, "oracle", "corr-J-2", f.Clock.GetUtcNow(), CancellationToken.None);
        await f.RestartAsync();
        var gateway = f.Gateway(Settings(erp));

        await gateway.ResolvePendingAsync(lost.IdempotencyKey, "corr-J-1", null);
        await gateway.ResolvePendingAsync(landed.IdempotencyKey, "corr-J-2", [new ErpDocument("J-2", landed.IdempotencyKey, "4400001")]);
        var sent = await gateway.PostAsync(ErpPostRequest.For(lost));
        var known = await gateway.PostAsync(ErpPostRequest.For(landed));

        Assert.Equal((ErpOutcome.Accepted, "4491823"), (sent.Outcome, sent.Documents.Single().DocumentNumber));
        Assert.Equal((true, "4400001"), (known.Replayed, known.Documents.Single().DocumentNumber));
        Assert.Single(erp.Seen);
    }

    [Fact]
    public async Task writes_its_intent_before_sending_and_posts_a_key_once_across_a_restart()
    {
        await using var f = await ErpFixture.StartAsync();
        await using var erp = await LoopbackErp.StartAsync();
        erp.Respond = (request, _) => Accepted(request);
        var journal = SampleJournals.Cash();
        await f.Gateway(Settings(erp)).PostAsync(ErpPostRequest.For(journal));

        await f.RestartAsync();
        var again = await f.Gateway(Settings(erp)).PostAsync(ErpPostRequest.For(journal));

        Assert.True(again.Replayed);
        Assert.Single(erp.Seen);
        Assert.Equal([ErpPostedRegister.PostingType, ErpPostedRegister.AcceptedType], (await f.PostedRecordsAsync()).Select(r => r.Type));
    }
}
