using System.Globalization;
using System.IO.Compression;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using HealthFlow.Finance.Journals;

namespace HealthFlow.Pipeline.Erp;

/// <summary>Oracle Fusion Cloud settings (<c>Erp:Oracle:*</c>).</summary>
public sealed class OracleOptions
{
    /// <summary>The pod, e.g. <c>https://abcd.fa.us2.oraclecloud.com</c>.</summary>
    public required Uri Url { get; init; }

    /// <summary>Legal entity → ledger id (<c>LEDGER_ID</c> and the import's ledger parameter).</summary>
    public required IReadOnlyDictionary<string, string> Ledgers { get; init; }

    /// <summary>The data access set id, or <c>#NULL</c>.</summary>
    public string DataAccessSetId { get; init; } = "#NULL";

    /// <summary><c>USER_JE_SOURCE_NAME</c>: a journal source defined in Fusion (e.g. <c>HealthFlow</c>).</summary>
    public string JournalSource { get; init; } = "HealthFlow";

    /// <summary><c>USER_JE_CATEGORY_NAME</c>: a journal category defined in Fusion.</summary>
    public string JournalCategory { get; init; } = "Adjustment";

    /// <summary>
    /// What goes into SEGMENT1, SEGMENT2, ... of the chart of accounts, in order: <c>LegalEntity</c>, <c>Account</c>,
    /// <c>CostCenter</c>, <c>Facility</c>, <c>Payer</c> or a literal in quotes (<c>'000'</c>)
    /// (<c>Erp:Oracle:Segments</c>, default <c>LegalEntity,CostCenter,Account,Facility,Payer</c>).
    /// </summary>
    public IReadOnlyList<string> Segments { get; init; } = ["LegalEntity", "CostCenter", "Account", "Facility", "Payer"];

    /// <summary>UCM account of the upload (GL journal import's documented account).</summary>
    public string DocumentAccount { get; init; } = "fin$/generalLedger$/import$";
}

/// <summary>
/// Oracle Fusion Cloud journal import, the route most teams use: the ERP Integrations REST resource
/// (<c>POST /fscmRestApi/resources/11.13.18.05/erpintegrations</c>, operation <c>importBulkData</c>) with an FBDI zip
/// holding <c>GlInterface.csv</c> (the <c>GL_INTERFACE</c> layout of <c>JournalImportTemplate.xlsm</c>), which loads the
/// interface table and runs Import Journals (<c>JournalImportLauncher</c>). The answer's <c>ReqstId</c> (the ESS load
/// request) is the document number of each journal in the file; the batch is named <see cref="ErpReference"/> of the key
/// (<c>REFERENCE1</c>), each journal by its id (<c>REFERENCE4</c>), and <c>GROUP_ID</c> is a number derived from the key.
/// </summary>
/// <remarks>
/// importBulkData has no idempotency mechanism and is asynchronous (the journals exist only once the ESS job ran), so a
/// resend cannot be checked against Fusion in the same instant: the gateway writes an intent record before sending
/// (<see cref="NeedsIntentRecord"/>) and a key left pending by a crash goes to reconciliation, where the batch name
/// finds it in Fusion. One call per ledger: the import takes one ledger id.
/// </remarks>
internal sealed class OracleErpConnector(ErpHttpSender sender, OracleOptions options, ErpAuth auth) : IErpConnector
{
    /// <summary>Column positions (0-based) in GlInterface.csv, per the FBDI template's GL_INTERFACE sheet.</summary>
    private const int Status = 0, LedgerId = 1, AccountingDate = 2, Source = 3, Category = 4, Currency = 5, DateCreated = 6,
        ActualFlag = 7, Segment1 = 8, EnteredDr = 38, EnteredCr = 39, Reference1 = 42, Reference2 = 43, Reference4 = 45,
        Reference5 = 46, Reference6 = 47, Reference10 = 51, GroupId = 66, ColumnCount = 67;

    public const string Path = "fscmRestApi/resources/11.13.18.05/erpintegrations";
    public const string JobName = "/oracle/apps/ess/financials/generalLedger/programs/common,JournalImportLauncher";

    public string Name => "oracle";

    public bool NeedsIntentRecord => true;

    public async ValueTask<ErpAcknowledgement> SendAsync(ErpSendContext context, CancellationToken cancellationToken)
    {
        var documents = new List<ErpDocument>();
        var attempts = 0;
        var groupId = ErpReference.NumberFor(context.IdempotencyKey).ToString(CultureInfo.InvariantCulture);
        foreach (var ledger in context.Journals.GroupBy(j => LedgerOf(j.LegalEntity)))
        {
            if (ledger.Key is null)
                return ErpAnswers.Rejected(context, Name, new ErpHttpResult(ErpHttpStatus.Rejected, null, "", attempts, null),
                    $"no Oracle ledger id configured for legal entity {ledger.First().LegalEntity} (Erp:Oracle:Ledgers)", documents);
            var body = Body(context.IdempotencyKey, ledger.Key, groupId, [.. ledger]);
            var result = await sender.SendAsync(async ct =>
            {
                var request = new HttpRequestMessage(HttpMethod.Post, new Uri(options.Url, Path)) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.oracle.adf.resourceitem+json");
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
                await auth.ApplyAsync(request, ct);
                return request;
            }, "POST erpintegrations importBulkData", context.IdempotencyKey, cancellationToken, retryAmbiguous: false);
            attempts += result.Attempts;
            if (result.Status == ErpHttpStatus.Rejected)
                return ErpAnswers.Rejected(context, Name, result with { Attempts = attempts }, ErpAnswers.ProblemText(result.Body), documents);
            if (result.Status == ErpHttpStatus.Exhausted)
                return ErpAnswers.Failed(context, Name, result with { Attempts = attempts }, documents, reconcileAmbiguous: true);
            var requestId = ReadRequestId(result.Body);
            if (requestId is null)
                return ErpAnswers.Rejected(context, Name, result with { Attempts = attempts, Status = ErpHttpStatus.Rejected }, "importBulkData answered without a ReqstId", documents);
            documents.AddRange(ledger.Select(j => new ErpDocument(j.JournalId, j.IdempotencyKey, requestId, "ESS load request; batch " + ErpReference.For(context.IdempotencyKey))));
        }

        return new ErpAcknowledgement
        {
            Outcome = ErpOutcome.Accepted,
            IdempotencyKey = context.IdempotencyKey,
            Gateway = Name,
            Documents = documents,
            Attempts = attempts,
            Details = new Dictionary<string, string>(StringComparer.Ordinal) { ["groupId"] = groupId, ["batchName"] = ErpReference.For(context.IdempotencyKey) },
        };
    }

    private string? LedgerOf(string legalEntity) =>
        options.Ledgers.TryGetValue(legalEntity, out var id) ? id : options.Ledgers.TryGetValue("*", out var fallback) ? fallback : null;

    /// <summary>The importBulkData request body.</summary>
    internal byte[] Body(string idempotencyKey, string ledgerId, string groupId, IReadOnlyList<Journal> journals)
    {
        var reference = ErpReference.For(idempotencyKey);
        var body = new JsonObject
        {
            ["OperationName"] = "importBulkData",
            ["DocumentContent"] = Convert.ToBase64String(Zip(GlInterfaceCsv(ledgerId, groupId, reference, idempotencyKey, journals), journals[0].PostingDate)),
            ["ContentType"] = "zip",
            ["FileName"] = $"GlInterface_{reference}.zip",
            ["DocumentAccount"] = options.DocumentAccount,
            ["JobName"] = JobName,
            // DataAccessSetId, source, ledger id, group id, post errors to suspense, create summary journals, import descriptive flexfields.
            ["ParameterList"] = $"{options.DataAccessSetId},{options.JournalSource},{ledgerId},{groupId},N,N,N",
            ["CallbackURL"] = "#NULL",
            ["NotificationCode"] = "10",
            ["JobOptions"] = "ExtractFileType=ALL",
        };
        return Encoding.UTF8.GetBytes(body.ToJsonString());
    }

    /// <summary>GlInterface.csv: headerless, positional, one row per journal line, columns after GROUP_ID left out (TRAILING NULLCOLS).</summary>
    internal string GlInterfaceCsv(string ledgerId, string groupId, string batchName, string idempotencyKey, IReadOnlyList<Journal> journals)
    {
        var text = new StringBuilder();
        foreach (var journal in journals)
        {
            var date = journal.PostingDate.ToString("yyyy/MM/dd", CultureInfo.InvariantCulture);
            foreach (var line in journal.Lines)
            {
                var row = new string?[ColumnCount];
                row[Status] = "NEW";
                row[LedgerId] = ledgerId;
                row[AccountingDate] = date;
                row[Source] = options.JournalSource;
                row[Category] = options.JournalCategory;
                row[Currency] = journal.Currency;
                row[DateCreated] = date;
                row[ActualFlag] = "A";
                for (var s = 0; s < options.Segments.Count && s < 30; s++)
                    row[Segment1 + s] = SegmentValue(options.Segments[s], journal, line);
                row[EnteredDr] = line.Debit == 0 ? null : JournalFormat.Amount(line.Debit);
                row[EnteredCr] = line.Credit == 0 ? null : JournalFormat.Amount(line.Credit);
                row[Reference1] = batchName;
                row[Reference2] = Truncate("HealthFlow " + idempotencyKey, 240);
                row[Reference4] = Truncate(journal.JournalId, 100);
                row[Reference5] = Truncate($"{journal.Kind} {journal.JournalId}" + (journal.ReversalOf is { } original ? $" reverses {original}" : ""), 240);
                row[Reference6] = Truncate(journal.IdempotencyKey, 100);
                row[Reference10] = Truncate(line.Memo ?? "", 240);
                row[GroupId] = groupId;
                JournalFormat.AppendRow(text, row);
            }
        }

        return text.ToString();
    }

    private static string SegmentValue(string segment, Journal journal, JournalLine line) => segment.Trim() switch
    {
        ['\'', .. var literal, '\''] => literal,
        var name when name.Equals("LegalEntity", StringComparison.OrdinalIgnoreCase) => journal.LegalEntity,
        var name when name.Equals("Account", StringComparison.OrdinalIgnoreCase) => line.Account,
        var name when name.Equals("CostCenter", StringComparison.OrdinalIgnoreCase) => line.CostCenter ?? "",
        var name when name.Equals("Facility", StringComparison.OrdinalIgnoreCase) => line.Facility ?? "",
        var name when name.Equals("Payer", StringComparison.OrdinalIgnoreCase) => line.Payer ?? "",
        _ => "",
    };

    /// <summary>A zip with one entry, stamped with the posting date so the same journals give the same bytes.</summary>
    private static byte[] Zip(string csv, DateOnly date)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            var entry = zip.CreateEntry("GlInterface.csv", CompressionLevel.Optimal);
            entry.LastWriteTime = new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            using var stream = entry.Open();
            stream.Write(Encoding.UTF8.GetBytes(csv));
        }

        return buffer.ToArray();
    }

    private static string? ReadRequestId(string body)
    {
        try
        {
            var id = JsonNode.Parse(body)?["ReqstId"];
            var text = id?.ToString();
            return string.IsNullOrWhiteSpace(text) ? null : text;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..length];
}
