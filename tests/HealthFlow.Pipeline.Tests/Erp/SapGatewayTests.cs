using System.Text;
using System.Xml.Linq;
using HealthFlow.Pipeline.Erp;

namespace HealthFlow.Pipeline.Tests.Erp;

public sealed class The_SAP_S4HANA_gateway
{
    private static readonly XNamespace Sfin = "http://sap.com/xi/SAPSCORE/SFIN";

    private static Dictionary<string, string?> Settings(LoopbackErp erp, string auth = "basic") => new()
    {
        ["Gateway"] = "sap",
        ["Sap:Url"] = erp.Url.ToString(),
        ["Sap:Auth"] = auth,
        ["Sap:Username"] = "HF_COMM_USER",
        ["Sap:Password"] = "sap-pass",
        ["Sap:CompanyCodes:RHS-NORTH"] = "1710",
        ["Sap:TokenUrl"] = new Uri(erp.Url, "oauth/token").ToString(),
        ["Sap:ClientId"] = "hf-client",
        ["Sap:ClientSecret"] = "hf-secret",
    };

    /// <summary>The confirmation SAP sends back: per entry the reference id of its request and the accounting document.</summary>
    private static Reply Confirmation(SeenRequest request, string document = "0100000008", string severity = "1", string note = "Document posted successfully")
    {
        var envelope = XDocument.Parse(request.Text);
        var entries = envelope.Descendants("JournalEntryCreateRequest").Select(e => e.Element("MessageHeader")!.Element("ID")!.Value);
        var body = new XElement(Sfin + "JournalEntryBulkCreateConfirmation", new XAttribute(XNamespace.Xmlns + "n0", Sfin),
            new XElement("MessageHeader", new XElement("UUID", "2d656d48-6d1b-1eee-bc82-9fbbd1ef35ff"), new XElement("CreationDateTime", "2026-11-21T09:00:01Z")),
            entries.Select(id => new XElement("JournalEntryCreateConfirmation",
                new XElement("MessageHeader", new XElement("UUID", "x"), new XElement("ReferenceID", id)),
                new XElement("JournalEntryCreateConfirmation", new XElement("AccountingDocument", document), new XElement("CompanyCode", "1710"), new XElement("FiscalYear", "2026")),
                new XElement("Log", new XElement("MaximumLogItemSeverityCode", severity), new XElement("Item", new XElement("TypeID", "614(RW)"), new XElement("SeverityCode", severity), new XElement("Note", note))))));
        XNamespace env = "http://schemas.xmlsoap.org/soap/envelope/";
        return new Reply(200, new XElement(env + "Envelope", new XAttribute(XNamespace.Xmlns + "soap-env", env), new XElement(env + "Header"), new XElement(env + "Body", body)).ToString(), "text/xml");
    }

    private static readonly string Basic = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("HF_COMM_USER:sap-pass"));

    [Fact]
    public async Task posts_a_journal_entry_create_request_and_records_the_accounting_document()
    {
        await using var f = await ErpFixture.StartAsync();
        await using var erp = await LoopbackErp.StartAsync();
        erp.Respond = (request, _) => request.Header("Authorization") == Basic ? Confirmation(request) : new Reply(401);
        var journal = SampleJournals.Cash();

        var ack = await f.Gateway(Settings(erp)).PostAsync(ErpPostRequest.For(journal));

        Assert.Equal((ErpOutcome.Accepted, "0100000008", "1710/2026"), (ack.Outcome, ack.Documents.Single().DocumentNumber, ack.Documents.Single().Context));
        var seen = Assert.Single(erp.Seen);
        Assert.Equal(("POST", "/sap/bc/srt/scs_ext/sap/journalentrycreaterequestconfi"), (seen.Method, seen.Path));
        Assert.StartsWith("text/xml", seen.Header("Content-Type"), StringComparison.Ordinal);
        Assert.Equal("\"http://sap.com/xi/SAPSCORE/SFIN/JournalEntryCreateRequestConfirmation_In/JournalEntryCreateRequestConfirmation_InRequest\"", seen.Header("SOAPAction"));
        var xml = XDocument.Parse(seen.Text);
        var bulk = Assert.Single(xml.Descendants(Sfin + "JournalEntryBulkCreateRequest"));
        Assert.NotNull(bulk.Element("MessageHeader")?.Element("ID"));
        var request = Assert.Single(bulk.Elements("JournalEntryCreateRequest"));
        Assert.Equal(ErpReference.For(journal.IdempotencyKey, 34), request.Element("MessageHeader")!.Element("ID")!.Value);
        var entry = request.Element("JournalEntry")!;
        Assert.Equal(("BKPFF", "RFBU", "SA", ErpReference.For(journal.IdempotencyKey, 16), "1710", "2026-11-21", "2026-11-21"),
            (entry.Element("OriginalReferenceDocumentType")!.Value, entry.Element("BusinessTransactionType")!.Value, entry.Element("AccountingDocumentType")!.Value,
             entry.Element("DocumentReferenceID")!.Value, entry.Element("CompanyCode")!.Value, entry.Element("DocumentDate")!.Value, entry.Element("PostingDate")!.Value));
        var items = entry.Elements("Item").ToList();
        Assert.Equal(2, items.Count);
        Assert.Equal(("1", "1120", "USD", "100.00", "S", "N-PFS-RMC", "RMC", "AETNA"),
            (items[0].Element("ReferenceDocumentItem")!.Value, items[0].Element("GLAccount")!.Value, items[0].Element("AmountInTransactionCurrency")!.Attribute("currencyCode")!.Value,
             items[0].Element("AmountInTransactionCurrency")!.Value, items[0].Element("DebitCreditCode")!.Value, items[0].Element("AccountAssignment")!.Element("CostCenter")!.Value,
             items[0].Element("AccountAssignment")!.Element("ProfitCenter")!.Value, items[0].Element("AssignmentReference")!.Value));
        Assert.Equal(("-100.00", "H"), (items[1].Element("AmountInTransactionCurrency")!.Value, items[1].Element("DebitCreditCode")!.Value));
        Assert.Contains("0100000008", Encoding.UTF8.GetString((await f.PostedRecordsAsync()).Last().Payload.Span), StringComparison.Ordinal);
    }

    [Fact]
    public async Task rejects_an_entry_sap_confirms_with_zeros_and_an_error_log()
    {
        await using var f = await ErpFixture.StartAsync();
        await using var erp = await LoopbackErp.StartAsync();
        erp.Respond = (request, _) => Confirmation(request, "0000000000", "3", "Cost center N-PFS-RMC does not exist");

        var ack = await f.Gateway(Settings(erp)).PostAsync(ErpPostRequest.For(SampleJournals.Cash()));

        Assert.Equal((ErpOutcome.Rejected, 1), (ack.Outcome, ack.Attempts));
        Assert.Contains("Cost center N-PFS-RMC does not exist", ack.Reason, StringComparison.Ordinal);
        Assert.Empty(ack.Documents);
    }

    [Fact]
    public async Task rejects_a_soap_client_fault_without_retrying_but_retries_503_and_429()
    {
        await using var f = await ErpFixture.StartAsync();
        await using var erp = await LoopbackErp.StartAsync();
        const string fault = """<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/"><soap-env:Body><soap-env:Fault><faultcode>soap-env:Client</faultcode><faultstring>Schema validation failed</faultstring></soap-env:Fault></soap-env:Body></soap-env:Envelope>""";
        erp.Respond = (request, n) => n switch
        {
            1 => new Reply(500, fault, "text/xml"),
            2 => new Reply(503),
            3 => new Reply(429, Headers: new Dictionary<string, string> { ["Retry-After"] = "2" }),
            _ => Confirmation(request, "0100000009"),
        };
        var gateway = f.Gateway(Settings(erp));

        var rejected = await gateway.PostAsync(ErpPostRequest.For(SampleJournals.Cash("J-1")));
        var accepted = await gateway.PostAsync(ErpPostRequest.For(SampleJournals.Cash("J-2")));

        Assert.Equal((ErpOutcome.Rejected, 500, 1), (rejected.Outcome, rejected.StatusCode, rejected.Attempts));
        Assert.Contains("Schema validation failed", rejected.Reason, StringComparison.Ordinal);
        Assert.Equal((ErpOutcome.Accepted, 3, "0100000009"), (accepted.Outcome, accepted.Attempts, accepted.Documents.Single().DocumentNumber));
        Assert.Contains(TimeSpan.FromSeconds(2), f.Clock.Waits);
    }

    [Fact]
    public async Task keeps_the_documents_of_a_partly_rejected_batch_and_sends_only_the_rest_when_the_key_is_retried()
    {
        await using var f = await ErpFixture.StartAsync();
        await using var erp = await LoopbackErp.StartAsync();
        var first = SampleJournals.Cash("J-1");
        var second = SampleJournals.Cash("J-2");
        var attempt = 0;
        erp.Respond = (request, _) =>
        {
            attempt++;
            var ids = XDocument.Parse(request.Text).Descendants("JournalEntryCreateRequest").Select(e => e.Element("MessageHeader")!.Element("ID")!.Value).ToList();
            XNamespace env = "http://schemas.xmlsoap.org/soap/envelope/";
            var confirmations = ids.Select((id, i) =>
            {
                var ok = attempt > 1 || id == ErpReference.For(first.IdempotencyKey, 34);
                return new XElement("JournalEntryCreateConfirmation",
                    new XElement("MessageHeader", new XElement("ReferenceID", id)),
                    new XElement("JournalEntryCreateConfirmation", new XElement("AccountingDocument", ok ? $"01000000{attempt}{i}" : "0000000000"), new XElement("CompanyCode", "1710"), new XElement("FiscalYear", "2026")),
                    new XElement("Log", new XElement("Item", new XElement("SeverityCode", ok ? "1" : "3"), new XElement("Note", ok ? "posted" : "Posting period 011 2026 is not open"))));
            });
            return new Reply(200, new XElement(env + "Envelope", new XElement(env + "Body", new XElement(Sfin + "JournalEntryBulkCreateConfirmation", confirmations))).ToString(), "text/xml");
        };
        var gateway = f.Gateway(Settings(erp));
        var request = new ErpPostRequest("batch:AETNA:RHS-NORTH:USD:2026-11-21:abc", [first, second]);

        var rejected = await gateway.PostAsync(request);
        var retried = await gateway.PostAsync(request);

        Assert.Equal(ErpOutcome.Rejected, rejected.Outcome);
        Assert.Contains("Posting period 011 2026 is not open", rejected.Reason, StringComparison.Ordinal);
        Assert.Equal(("J-1", "0100000010"), (rejected.Documents.Single().JournalId, rejected.Documents.Single().DocumentNumber));
        Assert.Equal(ErpOutcome.Accepted, retried.Outcome);
        Assert.Equal(["0100000010", "0100000020"], retried.Documents.Select(d => d.DocumentNumber));
        Assert.Single(XDocument.Parse(erp.Seen[1].Text).Descendants("JournalEntryCreateRequest"));
    }

    [Fact]
    public async Task stops_after_a_timeout_that_may_have_posted_and_keeps_the_key_for_reconciliation()
    {
        await using var f = await ErpFixture.StartAsync();
        await using var erp = await LoopbackErp.StartAsync();
        erp.Respond = (request, _) =>
        {
            Thread.Sleep(TimeSpan.FromSeconds(2)); // longer than the attempt timeout: SAP may post, we never hear
            return Confirmation(request);
        };
        var settings = Settings(erp);
        settings["TimeoutSeconds"] = "1";
        var gateway = f.Gateway(settings);
        var journal = SampleJournals.Cash();

        var timedOut = await gateway.PostAsync(ErpPostRequest.For(journal));
        var again = await gateway.PostAsync(ErpPostRequest.For(journal));

        Assert.Equal((ErpOutcome.TransientFailure, true, 1), (timedOut.Outcome, timedOut.RequiresReconciliation, timedOut.Attempts));
        Assert.Equal((ErpOutcome.Rejected, true), (again.Outcome, again.RequiresReconciliation));
        Assert.Single(erp.Seen);
    }

    [Fact]
    public async Task authenticates_with_an_oauth_client_credentials_token_when_configured()
    {
        await using var f = await ErpFixture.StartAsync();
        await using var erp = await LoopbackErp.StartAsync();
        var client = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("hf-client:hf-secret"));
        erp.Respond = (request, _) => request.Path switch
        {
            "/oauth/token" when request.Header("Authorization") == client && request.Text.Contains("grant_type=client_credentials", StringComparison.Ordinal)
                => new Reply(200, """{"access_token":"sap-token","token_type":"bearer","expires_in":3600}"""),
            "/sap/bc/srt/scs_ext/sap/journalentrycreaterequestconfi" when request.Header("Authorization") == "Bearer sap-token" => Confirmation(request),
            _ => new Reply(401),
        };
        var gateway = f.Gateway(Settings(erp, auth: "oauth"));

        var first = await gateway.PostAsync(ErpPostRequest.For(SampleJournals.Cash("J-1")));
        var second = await gateway.PostAsync(ErpPostRequest.For(SampleJournals.Cash("J-2")));

        Assert.Equal((ErpOutcome.Accepted, ErpOutcome.Accepted), (first.Outcome, second.Outcome));
        Assert.Single(erp.Seen, s => s.Path == "/oauth/token");
    }
}
