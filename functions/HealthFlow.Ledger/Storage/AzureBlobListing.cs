using System.Globalization;
using System.Xml;
using System.Xml.Linq;

namespace HealthFlow.Ledger.Storage;

/// <summary>One page of a List Blobs answer (<c>EnumerationResults</c>): the blobs and the marker of the next page.</summary>
internal sealed record AzureBlobListing(IReadOnlyList<BlobInfo> Blobs, string? NextMarker)
{
    private static readonly XmlReaderSettings Settings = new()
    {
        // The body comes from the network: no DTDs, no external entities.
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        IgnoreComments = true,
        Async = true,
    };

    /// <summary>Reads an <c>EnumerationResults</c> document; blobs whose names are not valid <see cref="BlobName"/>s are skipped.</summary>
    /// <exception cref="FormatException">The document is not a List Blobs answer.</exception>
    public static async Task<AzureBlobListing> ParseAsync(Stream xml, CancellationToken cancellationToken)
    {
        XDocument document;
        using (var reader = XmlReader.Create(xml, Settings))
        {
            try
            {
                document = await XDocument.LoadAsync(reader, LoadOptions.None, cancellationToken);
            }
            catch (XmlException ex)
            {
                throw new FormatException("The List Blobs answer is not well-formed XML.", ex);
            }
        }
        var root = document.Root;
        if (root is null || root.Name.LocalName != "EnumerationResults")
            throw new FormatException("The List Blobs answer has no EnumerationResults element.");

        var blobs = new List<BlobInfo>();
        foreach (var blob in root.Element("Blobs")?.Elements("Blob") ?? [])
        {
            var name = blob.Element("Name")?.Value;
            var properties = blob.Element("Properties");
            var length = properties?.Element("Content-Length")?.Value;
            var etag = properties?.Element("Etag")?.Value;
            if (name is null || etag is null || !long.TryParse(length, NumberStyles.None, CultureInfo.InvariantCulture, out var bytes))
                throw new FormatException("A List Blobs entry lacks Name, Content-Length or Etag.");
            // The file store lists only names it could have written; this store does the same, so a blob
            // uploaded by hand under an invalid name cannot reach the ledger.
            if (BlobName.IsValid(name))
                blobs.Add(new BlobInfo(name, bytes, QuoteETag(etag)));
        }
        var marker = root.Element("NextMarker")?.Value;
        return new AzureBlobListing(blobs, string.IsNullOrEmpty(marker) ? null : marker);
    }

    /// <summary>
    /// List Blobs returns ETags bare (<c>0x8D…</c>) while response headers quote them (<c>"0x8D…"</c>); the store
    /// hands out the quoted form everywhere so an ETag from a listing works as an <c>If-Match</c>.
    /// </summary>
    internal static string QuoteETag(string etag) =>
        etag.StartsWith('"') || etag.StartsWith("W/", StringComparison.Ordinal) ? etag : $"\"{etag}\"";
}
