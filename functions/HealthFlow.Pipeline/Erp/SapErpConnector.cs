using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using HealthFlow.Finance.Journals;

namespace HealthFlow.Pipeline.Erp;

/// <summary>SAP S/4HANA Cloud settings (<c>Erp:Sap:*</c>).</summary>
public sealed class SapOptions
{
    /// <summary>The API host, e.g. <c>https://my123456-api.s4hana.cloud.sap</c>.</summary>
    public required Uri Url { get; init; }

    /// <summary>Legal entity → company code; an entity not listed is used as is.</summary>
    public IReadOnlyDictionary<string, string> CompanyCodes { get; init; } = new Dictionary<string, string>();

    /// <summary><c>AccountingDocumentType</c> (default <c>SA</c>, G/L account document).</summary>
    public string AccountingDocumentType { get; init; } = "SA";

    /// <summary><c>CreatedByUser</c>: the communication user (optional).</summary>
    public string? CreatedByUser { get; init; }

    /// <summary>How the facility dimension is booked: <c>ProfitCenter</c> (default), <c>Segment</c> or <c>None</c>.</summary>
    public string FacilityAs { get; init; } = "ProfitCenter";

    /// <summary>Journal entries per SOAP call (each is its own <c>JournalEntryCreateRequest</c>).</summary>
    public int EntriesPerCall { get; init; } = 10;
}

/// <summary>
/// SAP S/4HANA Cloud "Journal Entry – Post (Synchronous)" (communication scenario SAP_COM_0002): the SOAP inbound service
/// <c>JournalEntryCreateRequestConfirmation_In</c> at <c>/sap/bc/srt/scs_ext/sap/journalentrycreaterequestconfi</c>,
/// root <c>sfin:JournalEntryBulkCreateRequest</c> (namespace <c>http://sap.com/xi/SAPSCORE/SFIN</c>) with one
/// <c>JournalEntryCreateRequest</c> per journal. The confirmation's <c>AccountingDocument</c> (with company code and fiscal
/// year) is the document number; an entry answered with <c>0000000000</c> and error log items is rejected.
/// </summary>
/// <remarks>
/// (The OData <c>API_JOURNALENTRYITEMBASIC_SRV</c> is read-only; posting is SOAP.) Each entry carries
/// <c>DocumentReferenceID</c> = the 16-character <see cref="ErpReference"/> of the journal key and its message header id
/// = the 34-character one, so a duplicate is detectable in SAP (Manage Journal Entries, reference field) and the
/// confirmation maps back to its journal. The synchronous service documents no duplicate check of its own, so the
/// gateway writes an intent record before sending and a key left pending by a crash goes to reconciliation.
/// </remarks>
internal sealed class SapErpConnector(ErpHttpSender sender, SapOptions options, ErpAuth auth, TimeProvider clock) : IErpConnector
{
    public const string Path = "sap/bc/srt/scs_ext/sap/journalentrycreaterequestconfi";
    public const string SoapAction = "http://sap.com/xi/SAPSCORE/SFIN/JournalEntryCreateRequestConfirmation_In/JournalEntryCreateRequestConfirmation_InRequest";

    private static readonly XNamespace Soap = "http://schemas.xmlsoap.org/soap/envelope/";
    private static readonly XNamespace Sfin = "http://sap.com/xi/SAPSCORE/SFIN";

    public string Name => "sap";

    public bool NeedsIntentRecord => true;

    public async ValueTask<ErpAcknowledgement> SendAsync(ErpSendContext context, CancellationToken cancellationToken)
    {
        var documents = new List<ErpDocument>();
        var attempts = 0;
        foreach (var chunk in context.Journals.Chunk(Math.Max(1, options.EntriesPerCall)))
        {
            var body = Envelope(chunk, clock.GetUtcNow());
            var result = await sender.SendAsync(async ct =>
            {
                var request = new HttpRequestMessage(HttpMethod.Post, new Uri(options.Url, Path)) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("text/xml") { CharSet = "utf-8" };
                request.Headers.Add("SOAPAction", "\"" + SoapAction + "\"");
                await auth.ApplyAsync(request, ct);
                return request;
            }, "POST JournalEntryCreateRequestConfirmation_In", context.IdempotencyKey, cancellationToken, IsClientFault, retryAmbiguous: false);
            attempts += result.Attempts;
            if (result.Status == ErpHttpStatus.Rejected)
                return ErpAnswers.Rejected(context, Name, result with { Attempts = attempts }, Fault(result.Body), documents);
            if (result.Status == ErpHttpStatus.Exhausted)
                return ErpAnswers.Failed(context, Name, result with { Attempts = attempts }, documents, reconcileAmbiguous: true);

            var (accepted, errors) = Confirmations(result.Body, chunk);
            documents.AddRange(accepted);
            if (errors.Count > 0)
                return ErpAnswers.Rejected(context, Name, result with { Attempts = attempts }, string.Join("; ", errors), documents);
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

    /// <summary>The SOAP request for a chunk of journals.</summary>
    internal byte[] Envelope(IReadOnlyList<Journal> journals, DateTimeOffset now)
    {
        var stamp = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
        var bulk = new XElement(Sfin + "JournalEntryBulkCreateRequest",
            new XElement("MessageHeader",
                new XElement("ID", ErpReference.For(string.Join("|", journals.Select(j => j.IdempotencyKey)), 34)),
                new XElement("CreationDateTime", stamp)));
        foreach (var journal in journals)
            bulk.Add(Entry(journal, stamp));
        var document = new XDocument(new XDeclaration("1.0", "utf-8", null),
            new XElement(Soap + "Envelope", new XAttribute(XNamespace.Xmlns + "soapenv", Soap), new XAttribute(XNamespace.Xmlns + "sfin", Sfin),
                new XElement(Soap + "Header"),
                new XElement(Soap + "Body", bulk)));
        using var buffer = new MemoryStream();
        using (var writer = XmlWriter.Create(buffer, new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = false }))
            document.Save(writer);
        return buffer.ToArray();
    }

    private XElement Entry(Journal journal, string stamp)
    {
        var entry = new XElement("JournalEntry",
            new XElement("OriginalReferenceDocumentType", "BKPFF"),
            new XElement("BusinessTransactionType", "RFBU"),
            new XElement("AccountingDocumentType", options.AccountingDocumentType),
            new XElement("DocumentReferenceID", ErpReference.For(journal.IdempotencyKey, 16)),
            new XElement("DocumentHeaderText", Truncate($"{journal.Kind} {journal.JournalId}", 25)));
        if (!string.IsNullOrEmpty(options.CreatedByUser))
            entry.Add(new XElement("CreatedByUser", options.CreatedByUser));
        entry.Add(
            new XElement("CompanyCode", CompanyCode(journal)),
            new XElement("DocumentDate", Date(journal.PostingDate)),
            new XElement("PostingDate", Date(journal.PostingDate)));
        for (var i = 0; i < journal.Lines.Count; i++)
        {
            var line = journal.Lines[i];
            var debit = line.Debit != 0;
            // SAP signs the amount: debit positive with code S (Soll), credit negative with code H (Haben).
            var amount = debit ? line.Debit : -line.Credit;
            var item = new XElement("Item",
                new XElement("ReferenceDocumentItem", (i + 1).ToString(CultureInfo.InvariantCulture)),
                new XElement("GLAccount", line.Account),
                new XElement("AmountInTransactionCurrency", new XAttribute("currencyCode", journal.Currency), amount.ToString(CultureInfo.InvariantCulture)),
                new XElement("DebitCreditCode", debit ? "S" : "H"),
                new XElement("DocumentItemText", Truncate(line.Memo ?? journal.Kind, 50)));
            if (line.Payer is { Length: > 0 } payer)
                item.Add(new XElement("AssignmentReference", Truncate(payer, 18)));
            var assignment = new XElement("AccountAssignment");
            if (line.CostCenter is { Length: > 0 } costCenter)
                assignment.Add(new XElement("CostCenter", costCenter));
            if (line.Facility is { Length: > 0 } facility && !options.FacilityAs.Equals("None", StringComparison.OrdinalIgnoreCase))
                assignment.Add(new XElement(options.FacilityAs.Equals("Segment", StringComparison.OrdinalIgnoreCase) ? "Segment" : "ProfitCenter", facility));
            if (assignment.HasElements)
                item.Add(assignment);
            entry.Add(item);
        }

        return new XElement("JournalEntryCreateRequest",
            new XElement("MessageHeader",
                new XElement("ID", ErpReference.For(journal.IdempotencyKey, 34)),
                new XElement("CreationDateTime", stamp)),
            entry);
    }

    /// <summary>Reads each entry's confirmation (matched by the message header reference id, else by order).</summary>
    internal static (List<ErpDocument> Accepted, List<string> Errors) Confirmations(string body, IReadOnlyList<Journal> journals)
    {
        var accepted = new List<ErpDocument>();
        var errors = new List<string>();
        XDocument document;
        try
        {
            document = XDocument.Parse(body);
        }
        catch (XmlException)
        {
            errors.Add("the confirmation is not XML");
            return (accepted, errors);
        }

        var byMessageId = journals.ToDictionary(j => ErpReference.For(j.IdempotencyKey, 34), StringComparer.Ordinal);
        var confirmations = document.Descendants().Where(e => e.Name.LocalName == "JournalEntryCreateConfirmation"
            && e.Parent?.Name.LocalName == "JournalEntryBulkCreateConfirmation").ToList();
        for (var i = 0; i < journals.Count; i++)
        {
            var confirmation = confirmations.FirstOrDefault(c => Child(c, "MessageHeader", "ReferenceID") is { } id && byMessageId.TryGetValue(id, out var j) && j == journals[i])
                ?? (i < confirmations.Count && Child(confirmations[i], "MessageHeader", "ReferenceID") is null ? confirmations[i] : null);
            var journal = journals[i];
            if (confirmation is null)
            {
                errors.Add($"{journal.JournalId}: no confirmation");
                continue;
            }

            var number = Child(confirmation, "JournalEntryCreateConfirmation", "AccountingDocument")?.Trim();
            if (string.IsNullOrEmpty(number) || number.All(c => c == '0'))
            {
                var notes = confirmation.Descendants().Where(e => e.Name.LocalName == "Item" && e.Parent?.Name.LocalName == "Log")
                    .Where(item => item.Elements().FirstOrDefault(e => e.Name.LocalName == "SeverityCode")?.Value is "3" or "4" or null)
                    .Select(item => item.Elements().FirstOrDefault(e => e.Name.LocalName == "Note")?.Value)
                    .OfType<string>().ToList();
                errors.Add($"{journal.JournalId}: " + (notes.Count > 0 ? string.Join(" / ", notes) : "not posted"));
                continue;
            }

            var company = Child(confirmation, "JournalEntryCreateConfirmation", "CompanyCode")?.Trim();
            var year = Child(confirmation, "JournalEntryCreateConfirmation", "FiscalYear")?.Trim();
            accepted.Add(new ErpDocument(journal.JournalId, journal.IdempotencyKey, number, $"{company}/{year}"));
        }

        return (accepted, errors);
    }

    /// <summary>A SOAP fault whose code names the client (a malformed or invalid request) is permanent even on HTTP 500.</summary>
    private static bool IsClientFault(int status, string body) =>
        status == 500 && Fault(body) is not null && FaultCode(body) is { } code && code.Contains("Client", StringComparison.OrdinalIgnoreCase);

    private static string? Fault(string body) => TryParse(body)?.Descendants().FirstOrDefault(e => e.Name.LocalName == "faultstring")?.Value ?? ErpAnswers.ProblemText(body);

    private static string? FaultCode(string body) => TryParse(body)?.Descendants().FirstOrDefault(e => e.Name.LocalName == "faultcode")?.Value;

    private static XDocument? TryParse(string body)
    {
        try
        {
            return string.IsNullOrWhiteSpace(body) ? null : XDocument.Parse(body);
        }
        catch (XmlException)
        {
            return null;
        }
    }

    private static string? Child(XElement element, string first, string second) =>
        element.Elements().FirstOrDefault(e => e.Name.LocalName == first)?.Elements().FirstOrDefault(e => e.Name.LocalName == second)?.Value;

    private string CompanyCode(Journal journal) => options.CompanyCodes.TryGetValue(journal.LegalEntity, out var code) ? code : journal.LegalEntity;

    private static string Date(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..length];
}
