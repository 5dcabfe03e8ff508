using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using HealthFlow.Finance.Journals;

namespace HealthFlow.Pipeline.Erp;

/// <summary>Dynamics 365 Finance settings (<c>Erp:Dynamics365:*</c>).</summary>
public sealed class Dynamics365Options
{
    /// <summary>The environment, e.g. <c>https://contoso.operations.dynamics.com</c>; OData lives under <c>/data/</c>, the token scope is <c>{Url}/.default</c>.</summary>
    public required Uri Url { get; init; }

    /// <summary>The general journal name the headers are created with (<c>JournalName</c>, e.g. <c>GenJrn</c>).</summary>
    public string JournalName { get; init; } = "GenJrn";

    /// <summary>Legal entity → company (<c>dataAreaId</c>); an entity not listed is used as is.</summary>
    public IReadOnlyDictionary<string, string> Companies { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// The financial dimensions appended to the main account in <c>AccountDisplayValue</c>, in the order of the ledger
    /// dimension format set up under "Financial dimension configuration for integrating applications"
    /// (<c>Erp:Dynamics365:Dimensions</c>, default <c>CostCenter,Facility,Payer</c>).
    /// </summary>
    public IReadOnlyList<string> Dimensions { get; init; } = ["CostCenter", "Facility", "Payer"];

    /// <summary>The dimension format's segment delimiter (default <c>-</c>).</summary>
    public string Delimiter { get; init; } = "-";
}

/// <summary>
/// Dynamics 365 Finance general journals over OData: one <c>LedgerJournalHeaders</c> entity per journal (company, journal
/// name, <c>Description</c> = <see cref="ErpReference"/> of the journal key), then its <c>LedgerJournalLines</c> with explicit
/// <c>LineNumber</c>s. The journal batch number D365 assigns is the document number. OAuth 2.0 client credentials via
/// Azure.Identity (the <see cref="ErpAuth"/> given).
/// </summary>
/// <remarks>
/// D365 OData has no idempotency header and a header plus its lines are several requests, so the connector makes every
/// step repeatable instead: before creating a header it looks one up by company and <c>Description</c>; before creating
/// lines it reads the line numbers that already exist and sends only the others. A crash or a lost answer at any point
/// is resumed by posting the key again, and the journal exists once. The journal is left unposted in D365 (posting and
/// workflow approval stay with finance, or a batch job).
/// </remarks>
internal sealed class Dynamics365ErpConnector(ErpHttpSender sender, Dynamics365Options options, ErpAuth auth) : IErpConnector
{
    public string Name => "dynamics365";

    public bool NeedsIntentRecord => false;

    public async ValueTask<ErpAcknowledgement> SendAsync(ErpSendContext context, CancellationToken cancellationToken)
    {
        var documents = new List<ErpDocument>();
        var attempts = 0;
        foreach (var journal in context.Journals)
        {
            var company = options.Companies.TryGetValue(journal.LegalEntity, out var mapped) ? mapped : journal.LegalEntity;
            var reference = ErpReference.For(journal.IdempotencyKey, 34);
            var key = context.IdempotencyKey;

            var found = await SendAsync(HttpMethod.Get, Data("LedgerJournalHeaders", $"dataAreaId eq {Literal(company)} and Description eq {Literal(reference)}", "JournalBatchNumber,dataAreaId"), null, "GET LedgerJournalHeaders", key, cancellationToken);
            attempts += found.Attempts;
            if (found.Status != ErpHttpStatus.Success)
                return Fail(context, found, documents, attempts);
            var batchNumber = Values(found.Body).Select(v => v["JournalBatchNumber"]?.GetValue<string>()).FirstOrDefault(n => !string.IsNullOrEmpty(n));
            var existingLines = new HashSet<int>();
            if (batchNumber is null)
            {
                var header = new JsonObject
                {
                    ["dataAreaId"] = company,
                    ["JournalName"] = options.JournalName,
                    ["Description"] = reference,
                };
                var created = await SendAsync(HttpMethod.Post, new Uri(options.Url, "data/LedgerJournalHeaders"), header, "POST LedgerJournalHeaders", key, cancellationToken);
                attempts += created.Attempts;
                if (created.Status != ErpHttpStatus.Success)
                    return Fail(context, created, documents, attempts);
                batchNumber = Field(created.Body, "JournalBatchNumber");
                if (string.IsNullOrEmpty(batchNumber))
                    return Fail(context, created with { Status = ErpHttpStatus.Rejected }, documents, attempts, "the created journal header carries no JournalBatchNumber");
            }
            else
            {
                var lines = await SendAsync(HttpMethod.Get, Data("LedgerJournalLines", $"dataAreaId eq {Literal(company)} and JournalBatchNumber eq {Literal(batchNumber)}", "LineNumber"), null, "GET LedgerJournalLines", key, cancellationToken);
                attempts += lines.Attempts;
                if (lines.Status != ErpHttpStatus.Success)
                    return Fail(context, lines, documents, attempts);
                foreach (var value in Values(lines.Body))
                    if (value["LineNumber"] is JsonValue number && number.TryGetValue<decimal>(out var n))
                        existingLines.Add((int)n);
            }

            for (var i = 0; i < journal.Lines.Count; i++)
            {
                if (existingLines.Contains(i + 1))
                    continue;
                var line = Line(journal, journal.Lines[i], i + 1, company, batchNumber);
                var posted = await SendAsync(HttpMethod.Post, new Uri(options.Url, "data/LedgerJournalLines"), line, "POST LedgerJournalLines", key, cancellationToken);
                attempts += posted.Attempts;
                if (posted.Status != ErpHttpStatus.Success)
                    return Fail(context, posted, documents, attempts);
            }

            documents.Add(new ErpDocument(journal.JournalId, journal.IdempotencyKey, batchNumber, company));
        }

        return new ErpAcknowledgement
        {
            Outcome = ErpOutcome.Accepted,
            IdempotencyKey = context.IdempotencyKey,
            Gateway = Name,
            Documents = documents,
            Attempts = attempts,
        };
    }

    /// <summary>The <c>LedgerJournalLines</c> entity of one line: ledger account with dimensions, debit or credit, date, text.</summary>
    internal JsonObject Line(Journal journal, JournalLine line, int number, string company, string batchNumber) => new()
    {
        ["dataAreaId"] = company,
        ["JournalBatchNumber"] = batchNumber,
        ["LineNumber"] = number,
        ["AccountType"] = "Ledger",
        ["AccountDisplayValue"] = AccountDisplayValue(line),
        ["DebitAmount"] = line.Debit,
        ["CreditAmount"] = line.Credit,
        ["CurrencyCode"] = journal.Currency,
        // Edm.DateTimeOffset; noon UTC keeps the date the same in every time zone the environment may convert to.
        ["TransDate"] = journal.PostingDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + "T12:00:00Z",
        ["Text"] = Truncate(line.Memo ?? $"{journal.Kind} {journal.JournalId}", 60),
    };

    /// <summary>Main account then the configured dimensions, joined by the delimiter; trailing empty dimensions dropped.</summary>
    internal string AccountDisplayValue(JournalLine line)
    {
        var segments = new List<string> { line.Account };
        foreach (var dimension in options.Dimensions)
        {
            segments.Add(dimension.ToUpperInvariant() switch
            {
                "COSTCENTER" => line.CostCenter ?? "",
                "FACILITY" => line.Facility ?? "",
                "PAYER" => line.Payer ?? "",
                _ => "",
            });
        }

        while (segments.Count > 1 && segments[^1].Length == 0)
            segments.RemoveAt(segments.Count - 1);
        return string.Join(options.Delimiter, segments);
    }

    private Uri Data(string entitySet, string filter, string select) =>
        new(options.Url, $"data/{entitySet}?cross-company=true&$filter={Uri.EscapeDataString(filter)}&$select={select}");

    private Task<ErpHttpResult> SendAsync(HttpMethod method, Uri uri, JsonObject? body, string operation, string key, CancellationToken cancellationToken)
    {
        var bytes = body is null ? null : Encoding.UTF8.GetBytes(body.ToJsonString());
        return sender.SendAsync(async ct =>
        {
            var request = new HttpRequestMessage(method, uri);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            request.Headers.Add("OData-Version", "4.0");
            request.Headers.Add("OData-MaxVersion", "4.0");
            if (bytes is not null)
            {
                request.Content = new ByteArrayContent(bytes);
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
            }

            await auth.ApplyAsync(request, ct);
            return request;
        }, operation, key, cancellationToken);
    }

    private ErpAcknowledgement Fail(ErpSendContext context, ErpHttpResult result, List<ErpDocument> documents, int attempts, string? reason = null)
    {
        var total = result with { Attempts = attempts };
        return result.Status == ErpHttpStatus.Rejected
            ? ErpAnswers.Rejected(context, Name, total, reason ?? ErpAnswers.ProblemText(result.Body), documents)
            : ErpAnswers.Failed(context, Name, total, documents);
    }

    private static List<JsonNode> Values(string body)
    {
        try
        {
            return (JsonNode.Parse(body)?["value"] as JsonArray ?? []).OfType<JsonNode>().ToList();
        }
        catch (JsonException)
        {
            return [];
        }
    }

    private static string? Field(string body, string name)
    {
        try
        {
            return JsonNode.Parse(body)?[name]?.ToString();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>An OData string literal: single quotes, inner quotes doubled.</summary>
    private static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..length];
}
